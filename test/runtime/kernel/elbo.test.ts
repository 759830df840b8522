// The ELBO integrand, its split by channel and its gradient w.r.t. the logits on the GPU, against
// the float64 reference (relative 1e-4; gradient entries relative 1e-4 plus 1e-5 of the largest, fp32
// cancellation near zero), on random logits and (x0, x_t, t) with x_t ~ q_t(.|x0);
// and the two closed forms of KERNELS.md §2.4 (MDLM's weighted CE for masking).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { KernelSpec } from '../../../specs/types/kernel.ts';
import { nonProportional } from '../../reference/helpers.ts';
import { readF32 } from '../../../runtime/gpu/index.ts';
import { SHIPPED, drawFrom, gaussian, pair, rng, vocab } from './setup.ts';

const v = vocab(32, 4);
const TOL = 1e-4;

// Kernels without a jump channel take the row-layout path (one subgroup per position); the
// one-lane variant (adapters without subgroups) is checked for them too. Shares that change with t
// (reset weights by quadrature) are checked from t = 0 and from a corrupted start (the prefix
// before 0 composed in, docs/math.md §1.6).
const cases: Array<[string, () => KernelSpec, boolean]> = Object.entries(SHIPPED).map(([n, m]) => [n, m, false]);
for (const n of ['masking', 'uniform', 'hybrid']) cases.push([n, SHIPPED[n]!, true]);
cases.push(['non-proportional', () => nonProportional(), false], ['non-proportional, corrupted at 0', () => nonProportional(0.3), false]);

for (const [name, make, lane] of cases) {
  test(`${name}${lane ? ' (one lane per row)' : ''}: ELBO integrand, parts and gradient equal the reference`, async () => {
    if (lane) process.env['DLMK_NO_SUBGROUPS'] = '1';
    try {
      await compare(name, make);
    } finally {
      delete process.env['DLMK_NO_SUBGROUPS'];
    }
  });
}

async function compare(name: string, make: () => KernelSpec): Promise<void> {
  const P = await pair(make(), v);
  const r = rng(100 + name.length);
  const N = 48;
  const ts = Array.from({ length: N }, () => 0.02 + 0.96 * r());
  const x0 = Array.from({ length: N }, () => Math.floor(r() * v.V));
  const xt = x0.map((x, i) => drawFrom(P.ref.row(ts[i]!, x), r()));
  const logits = Float32Array.from({ length: N * v.V }, () => 2 * gaussian(r));
  const got = await P.rt.elbo(logits, x0, xt, ts);
  const st = P.rt.st;
  for (let i = 0; i < N; i++) {
    const ref = P.ref.elbo(Float64Array.from(logits.subarray(i * v.V, (i + 1) * v.V)), x0[i]!, xt[i]!, ts[i]!);
    const scale = Math.max(Math.abs(ref.value), 1e-6);
    assert.ok(Math.abs(got.loss[i]! - ref.value) <= TOL * scale, `value ${got.loss[i]} vs ${ref.value} (t=${ts[i]}, x0=${x0[i]}, xt=${xt[i]})`);
    // Parts by operator kind against the reference's split by channel.
    const kinds = [st.maskChannels, st.resetChannels, st.jumpChannels].map((cs) => cs.reduce((a, c) => a + ref.byChannel[c]!, 0));
    kinds.forEach((k, j) => assert.ok(Math.abs(got.parts[3 * i + j]! - k) <= TOL * scale, `part ${j}: ${got.parts[3 * i + j]} vs ${k}`));
    let gmax = 0;
    for (const g of ref.grad) gmax = Math.max(gmax, Math.abs(g));
    for (let y = 0; y < v.V; y++) {
      const g = got.grad[i * v.V + y]!;
      const w = ref.grad[y]!;
      assert.ok(Math.abs(g - w) <= TOL * Math.abs(w) + 1e-5 * gmax + 1e-9, `grad[${y}] ${g} vs ${w} (max ${gmax})`);
    }
  }
}

test('masking: the integrand is MDLM\'s weighted cross-entropy on masked positions, zero elsewhere', async () => {
  const P = await pair(SHIPPED.masking!(), v);
  const r = rng(7);
  const N = 8;
  const ts = Array.from({ length: N }, () => 0.1 + 0.8 * r());
  const x0 = Array.from({ length: N }, () => Math.floor(r() * v.V));
  const xt = x0.map((x, i) => (i % 2 ? v.V : x));
  const logits = Float32Array.from({ length: N * v.V }, () => gaussian(r));
  const got = await P.rt.elbo(logits, x0, xt, ts);
  for (let i = 0; i < N; i++) {
    const lam = -Math.log(1 - 0.999 * ts[i]!);
    const sigma = 0.999 / (1 - 0.999 * ts[i]!);
    const alpha = Math.exp(-lam);
    const row = logits.subarray(i * v.V, (i + 1) * v.V);
    const mx = Math.max(...row);
    let z = 0;
    for (const l of row) z += Math.exp(l - mx);
    const ce = -(row[x0[i]!]! - mx - Math.log(z));
    // alpha'/(1 - alpha) = sigma alpha / (1 - alpha)
    const want = i % 2 ? ((sigma * alpha) / (1 - alpha)) * ce : 0;
    assert.ok(Math.abs(got.loss[i]! - want) <= 1e-5 * Math.max(1, want), `${got.loss[i]} vs ${want}`);
  }
});

test('a confidently wrong model (p_hat(x0) ~ e^-120, below f32 range): finite loss and gradient equal to the reference', async () => {
  for (const name of ['masking', 'uniform', 'hybrid']) {
    const P = await pair(SHIPPED[name]!(), v);
    const N = 4;
    const x0 = [3, 3, 7, 7];
    // x0's logit 120 below the others (and the others spread): f32 exp underflows, float64 does not.
    const logits = Float32Array.from({ length: N * v.V }, (_, i) => (i % v.V === x0[Math.floor(i / v.V)] ? -120 : Math.sin(i)));
    const ts = [0.3, 0.8, 0.5, 0.95];
    const xt = P.rt.st.hasMask ? [v.V, v.V, 7, v.V] : [3, 5, 7, 1];
    const got = await P.rt.elbo(logits, x0, xt, ts);
    for (let i = 0; i < N; i++) {
      const ref = P.ref.elbo(Float64Array.from(logits.subarray(i * v.V, (i + 1) * v.V)), x0[i]!, xt[i]!, ts[i]!);
      assert.ok(Number.isFinite(got.loss[i]!) && Math.abs(got.loss[i]! - ref.value) <= 1e-4 * Math.max(ref.value, 1e-6), `${name} ${i}: loss ${got.loss[i]} vs ${ref.value}`);
      let gmax = 0;
      for (const g of ref.grad) gmax = Math.max(gmax, Math.abs(g));
      for (let y = 0; y < v.V; y++) {
        const g = got.grad[i * v.V + y]!;
        assert.ok(Math.abs(g - ref.grad[y]!) <= 1e-4 * Math.abs(ref.grad[y]!) + 1e-5 * gmax + 1e-9, `${name} ${i}: grad[${y}] ${g} vs ${ref.grad[y]}`);
      }
    }
  }
});

test('a well-fit, confident model (p_hat(x0) = 1 - 1e-4 and 1 - 2e-5): small gradients still equal the reference', async () => {
  for (const name of ['masking', 'uniform', 'hybrid']) {
    const P = await pair(SHIPPED[name]!(), v);
    for (const conf of [12, 14]) {
      const N = 4;
      const x0 = [3, 3, 7, 7];
      const logits = Float32Array.from({ length: N * v.V }, (_, i) => (i % v.V === x0[Math.floor(i / v.V)] ? conf : 0.01 * Math.sin(i)));
      const ts = [0.3, 0.8, 0.5, 0.1];
      const xt = name === 'masking' ? [v.V, v.V, 7, v.V] : name === 'hybrid' ? [v.V, 5, 7, v.V] : [3, 5, 7, 7];
      const got = await P.rt.elbo(logits, x0, xt, ts);
      for (let i = 0; i < N; i++) {
        const ref = P.ref.elbo(Float64Array.from(logits.subarray(i * v.V, (i + 1) * v.V)), x0[i]!, xt[i]!, ts[i]!);
        assert.ok(Math.abs(got.loss[i]! - ref.value) <= 1e-4 * ref.value + 1e-12, `${name} conf ${conf} ${i}: loss ${got.loss[i]} vs ${ref.value}`);
        let gmax = 0;
        for (const g of ref.grad) gmax = Math.max(gmax, Math.abs(g));
        for (let y = 0; y < v.V; y++) {
          const g = got.grad[i * v.V + y]!;
          assert.ok(Math.abs(g - ref.grad[y]!) <= 1e-4 * Math.abs(ref.grad[y]!) + 1e-4 * gmax + 1e-12, `${name} conf ${conf} ${i}: grad[${y}] ${g} vs ${ref.grad[y]} (max ${gmax})`);
        }
      }
    }
  }
});

test('an unreachable x_t: NaN loss and zero gradient on the GPU, an error naming the position from rt.elbo', async () => {
  // masking (row layout): x0 = 1, x_t = 2 is neither x0 nor [MASK]. semdlm with H = 1 (column
  // layout): a token more than one hop from x0 is beyond the truncation.
  for (const [name, H] of [['masking', undefined], ['semdlm', 1]] as const) {
    const P = await pair(SHIPPED[name]!(), v);
    const row = P.ref.row(0.5, 1, H);
    const far = row.findIndex((p, y) => y < v.V && p === 0);
    assert.ok(far >= 0, `${name}: a token unreachable from x0 = 1`);
    const logits = Float32Array.from({ length: 2 * v.V }, (_, i) => Math.sin(i));
    const N = 2;
    const loss = P.gpu.device.createBuffer({ size: 16, usage: 0x80 | 0x4 | 0x8 });
    const parts = P.gpu.device.createBuffer({ size: 32, usage: 0x80 | 0x4 | 0x8 });
    const dl = P.gpu.device.createBuffer({ size: N * v.V * 4, usage: 0x80 | 0x4 | 0x8 });
    const up = (a: Float32Array | Uint32Array) => {
      const b = P.gpu.device.createBuffer({ size: Math.max(16, a.byteLength), usage: 0x80 | 0x8 | 0x4, mappedAtCreation: true });
      new Uint8Array(b.getMappedRange()).set(new Uint8Array(a.buffer));
      b.unmap();
      return b;
    };
    const enc = P.gpu.device.createCommandEncoder();
    P.rt.encodeElbo(enc, { B: 1, L: N, t: [0.5], H, logits: up(logits), x0: up(Uint32Array.of(1, 1)), xt: up(Uint32Array.of(far, 1)), loss, dlogits: dl, parts });
    P.gpu.device.queue.submit([enc.finish()]);
    const l = await readF32(P.gpu, loss, 2);
    const pr = await readF32(P.gpu, parts, 6);
    const g = await readF32(P.gpu, dl, N * v.V);
    assert.ok(Number.isNaN(l[0]!) && [0, 1, 2].every((k) => Number.isNaN(pr[k]!)), `${name}: loss ${l[0]}, parts ${Array.from(pr.subarray(0, 3))}`);
    assert.ok(g.subarray(0, v.V).every((x) => x === 0), `${name}: the gradient of the unreachable position is 0`);
    assert.ok(Number.isFinite(l[1]!), `${name}: the other position is untouched`);
    try {
      await P.rt.elbo(logits, [1, 1], [far, 1], 0.5, { L: N, H });
      assert.unreachable('rt.elbo should throw');
    } catch (e) {
      assert.ok((e as Error).message.startsWith(`position 0: x_t = ${far} has probability 0 under q_t(. | x0 = 1) at t = 0.5`), (e as Error).message);
    }
  }
});

test.run();
