// Fused attention forward and backward against float64: q/k/v as views of a fused
// [B, L, 3, H, dh] projection, O written as [B, L, H, dh], dK/dV interleaved in one buffer;
// causal and not; both reduction paths; head dims not multiples of the lane count.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Recorder, getGpu, setMaxBindingBytesForTests } from '../../../runtime/gpu/index.ts';
import { attentionBackward, attentionForward } from '../../../runtime/nn/ops/attention.ts';
import { tensor, type Tensor } from '../../../runtime/nn/tensor.ts';
import { setReductionPathForTests } from '../../../runtime/nn/wgsl.ts';
import * as ref from '../../../reference/nn/attention.ts';
import { assertClose, bitsEqual, maxAbs, randn, read, upload, zeros } from './helpers.ts';

/** The [B, H, L, dh] view of part `p` of a [B, L, 3, H, dh] buffer. */
function part(t: Tensor, p: number, B: number, L: number, H: number, dh: number): Tensor {
  return tensor(t.buffer, [B, H, L, dh], { offset: t.offset + p * H * dh, strides: [L * 3 * H * dh, dh, 3 * H * dh, 1] });
}

/** Host [B, H, L, dh] copy of part p of a [B, L, 3, H, dh] array. */
function hostPart(x: Float32Array, p: number, B: number, L: number, H: number, dh: number): Float32Array {
  const y = new Float32Array(B * H * L * dh);
  for (let b = 0; b < B; b++) for (let h = 0; h < H; h++) for (let l = 0; l < L; l++) for (let d = 0; d < dh; d++) {
    y[((b * H + h) * L + l) * dh + d] = x[(((b * L + l) * 3 + p) * H + h) * dh + d]!;
  }
  return y;
}

async function run(B: number, H: number, L: number, dh: number, causal: boolean, seed: number) {
  const gpu = await getGpu();
  const rec = new Recorder(gpu);
  const n = B * H * L * dh;
  const qkvh = randn(3 * n, seed, 1.5);
  const qkv = upload(gpu, qkvh, [B, L, 3, H, dh], { offset: 1 });
  const [q, k, v] = [0, 1, 2].map((p) => part(qkv, p, B, L, H, dh)) as [Tensor, Tensor, Tensor];
  // O in [B, L, H, dh] memory, seen as [B, H, L, dh].
  const obuf = zeros(gpu, [B, L, H, dh]);
  const o = tensor(obuf.buffer, [B, H, L, dh], { strides: [L * H * dh, dh, H * dh, 1] });
  const douth = randn(n, seed + 1);
  const dout = upload(gpu, douth, [B, H, L, dh]);
  const dqkv = zeros(gpu, [B, L, 3, H, dh], 2);
  const [dq, dk, dv] = [0, 1, 2].map((p) => part(dqkv, p, B, L, H, dh)) as [Tensor, Tensor, Tensor];
  const lse = attentionForward(rec, { q, k, v, o, causal });
  attentionBackward(rec, { q, k, v, o, lse, dout, dq, dk, dv, causal });
  const out = { o: new Float32Array(n), d: new Float32Array(3 * n) };
  rec.read(obuf, out.o);
  rec.read(dqkv, out.d);
  await rec.submit();
  // Back to [B, H, L, dh] on the host.
  const oh = new Float32Array(n);
  for (let b = 0; b < B; b++) for (let h = 0; h < H; h++) for (let l = 0; l < L; l++) for (let d = 0; d < dh; d++) {
    oh[((b * H + h) * L + l) * dh + d] = out.o[((b * L + l) * H + h) * dh + d]!;
  }
  const [qh, kh, vh] = [0, 1, 2].map((p) => hostPart(qkvh, p, B, L, H, dh)) as [Float32Array, Float32Array, Float32Array];
  const grads = [0, 1, 2].map((p) => hostPart(out.d, p, B, L, H, dh));
  return { qh, kh, vh, douth, oh, grads, raw: out };
}

async function check(B: number, H: number, L: number, dh: number, causal: boolean, label: string) {
  const r = await run(B, H, L, dh, causal, B * 1000 + L * 10 + dh);
  const want = ref.attentionForward(r.qh, r.kh, r.vh, B, H, L, dh, { causal });
  const wb = ref.attentionBackward(r.qh, r.kh, r.vh, r.douth, B, H, L, dh, { causal });
  const what = `${label} B=${B} H=${H} L=${L} dh=${dh}${causal ? ' causal' : ''}`;
  assertClose(r.oh, want.o, { rtol: 1e-4, atol: 1e-5 * maxAbs(want.o), what: `o ${what}` });
  const names = ['dq', 'dk', 'dv'] as const;
  names.forEach((nm, i) => {
    const w = wb[nm];
    assertClose(r.grads[i]!, w, { rtol: 1e-4, atol: 1e-4 * maxAbs(w), what: `${nm} ${what}` });
  });
}

for (const path of ['subgroups', 'shared'] as const) {
  test(`attention matches float64 (${path}; rtol 1e-4 with atol 1e-4 of the tensor's max)`, async () => {
    setReductionPathForTests(path);
    try {
      // dh 20 with 8 lanes: three slots per lane, the last partial, and 5 rows per subgroup; one
      // head dimension here keeps the cold compile time of the test down (each dh is a program).
      await check(1, 1, 1, 20, false, path);
      await check(2, 3, 33, 20, true, path);
      await check(1, 2, 40, 20, false, path);
    } finally {
      setReductionPathForTests(undefined);
    }
  });
}

test('attention at the long end: L=1024 with dh=32 causal; L=128 with dh=128', async () => {
  await check(1, 1, 1024, 32, true, 'long');
  await check(1, 1, 128, 128, false, 'wide');
});

test('attention: same inputs, same bits; split over batch windows, same bits', async () => {
  const a = await run(3, 2, 50, 20, true, 3);
  const b = await run(3, 2, 50, 20, true, 3);
  assert.ok(bitsEqual(a.raw.o, b.raw.o) && bitsEqual(a.raw.d, b.raw.d));
  setMaxBindingBytesForTests(50 * 3 * 2 * 20 * 4 + 1024); // one batch item of the fused [B, L, 3, H, dh] per window
  try {
    const c = await run(3, 2, 50, 20, true, 3);
    assert.ok(bitsEqual(a.raw.o, c.raw.o) && bitsEqual(a.raw.d, c.raw.d));
  } finally {
    setMaxBindingBytesForTests(undefined);
  }
});

test.run();
