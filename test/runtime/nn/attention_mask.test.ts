// Attention with a key padding mask: the float64 reference against central differences, the GPU
// forward and backward against the reference on both reduction paths, causal and not (trailing
// padding, leading padding, a fully padded sequence: rows that see no key give O = 0, lse = -inf,
// zero gradients, never NaN); hidden keys get exactly zero dK/dV and their contents do not change
// any bit of the outputs; batch windows; argument errors.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Recorder, getGpu, setMaxBindingBytesForTests, type Gpu } from '../../../runtime/gpu/index.ts';
import { NnError } from '../../../runtime/nn/errors.ts';
import { attentionBackward, attentionForward } from '../../../runtime/nn/ops/attention.ts';
import { tensor, type Tensor } from '../../../runtime/nn/tensor.ts';
import { setReductionPathForTests } from '../../../runtime/nn/wgsl.ts';
import * as ref from '../../../reference/nn/attention.ts';
import { dot, maxRelErr, numericGrad } from '../../../reference/nn/gradcheck.ts';
import { assertClose, bitsEqual, f64, maxAbs, randn, upload, zeros } from './helpers.ts';

/** [B, L] masks: b0 real up to `real0`, b1 fully padded, b2 leading padding and holes. */
function maskOf(B: number, L: number, real0: number): Float32Array {
  const m = new Float32Array(B * L);
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < L; j++) {
      const v = b % 3 === 0 ? j < real0 : b % 3 === 1 ? false : j >= 3 && j % 7 !== 5;
      m[b * L + j] = v ? 1 : 0;
    }
  }
  return m;
}

test('reference: masked gradients match central differences; a row that sees no key has O = 0, lse = -inf, no gradient', () => {
  const [B, H, L, dh] = [2, 2, 5, 3];
  const n = B * H * L * dh;
  const keyMask = [1, 1, 0, 1, 0, 0, 1, 1, 1, 0];
  for (const causal of [false, true]) {
    const q = f64(randn(n, 1));
    const k = f64(randn(n, 2));
    const v = f64(randn(n, 3));
    const w = f64(randn(n, 4));
    const opts = { causal, keyMask };
    const loss = () => dot(w, ref.attentionForward(q, k, v, B, H, L, dh, opts).o);
    const g = ref.attentionBackward(q, k, v, w, B, H, L, dh, opts);
    assert.ok(maxRelErr(g.dq, numericGrad(loss, q), 1e-6) < 1e-5, `dq causal ${causal}`);
    assert.ok(maxRelErr(g.dk, numericGrad(loss, k), 1e-6) < 1e-5, `dk causal ${causal}`);
    assert.ok(maxRelErr(g.dv, numericGrad(loss, v), 1e-6) < 1e-5, `dv causal ${causal}`);
    for (let bh = 0; bh < B * H; bh++) {
      const b = Math.floor(bh / H);
      for (let j = 0; j < L; j++) {
        if (keyMask[b * L + j]) continue;
        for (let d = 0; d < dh; d++) assert.ok(g.dk[(bh * L + j) * dh + d] === 0 && g.dv[(bh * L + j) * dh + d] === 0);
      }
    }
  }
  // Sequence 1 is real only from position 1 on: causal row 0 sees no key.
  const { o, lse } = ref.attentionForward(f64(randn(n, 5)), f64(randn(n, 6)), f64(randn(n, 7)), B, H, L, dh, { causal: true, keyMask: [1, 1, 1, 1, 1, 0, 1, 1, 1, 1] });
  const row0 = (2 * L) * dh; // b = 1, h = 0, i = 0
  assert.is(lse[2 * L], -Infinity);
  assert.ok(o.subarray(row0, row0 + dh).every((x) => x === 0));
});

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

interface Case {
  B: number;
  H: number;
  L: number;
  dh: number;
  causal: boolean;
  mask: Float32Array;
  seed: number;
  /** Overwrites q/k/v at hidden keys (the invariance check). */
  scramble?: boolean;
}

async function run(gpu: Gpu, c: Case) {
  const { B, H, L, dh, causal } = c;
  const rec = new Recorder(gpu);
  const n = B * H * L * dh;
  const qkvh = randn(3 * n, c.seed, 1.5);
  if (c.scramble) {
    const junk = randn(3 * n, c.seed + 99, 40);
    for (let b = 0; b < B; b++) for (let l = 0; l < L; l++) {
      if (c.mask[b * L + l] !== 0) continue;
      for (let e = 0; e < 3 * H * dh; e++) {
        const i = (b * L + l) * 3 * H * dh + e;
        if (e >= H * dh) qkvh[i] = junk[i]!; // k and v parts of a hidden position
      }
    }
  }
  const qkv = upload(gpu, qkvh, [B, L, 3, H, dh], { offset: 1 });
  const [q, k, v] = [0, 1, 2].map((p) => part(qkv, p, B, L, H, dh)) as [Tensor, Tensor, Tensor];
  const obuf = zeros(gpu, [B, L, H, dh]);
  const o = tensor(obuf.buffer, [B, H, L, dh], { strides: [L * H * dh, dh, H * dh, 1] });
  const douth = randn(n, c.seed + 1);
  const dout = upload(gpu, douth, [B, H, L, dh]);
  const dqkv = zeros(gpu, [B, L, 3, H, dh], 2);
  const [dq, dk, dv] = [0, 1, 2].map((p) => part(dqkv, p, B, L, H, dh)) as [Tensor, Tensor, Tensor];
  const keyMask = upload(gpu, c.mask, [B, L], { offset: 3 });
  const lse = zeros(gpu, [B, H, L]);
  attentionForward(rec, { q, k, v, o, causal, lse, keyMask });
  attentionBackward(rec, { q, k, v, o, lse, dout, dq, dk, dv, causal, keyMask });
  const out = { o: new Float32Array(n), d: new Float32Array(3 * n), lse: new Float32Array(B * H * L) };
  rec.read(obuf, out.o);
  rec.read(dqkv, out.d);
  rec.read(lse, out.lse);
  await rec.submit();
  for (const t of [qkv, obuf, dout, dqkv, keyMask, lse]) t.buffer.destroy();
  const oh = new Float32Array(n);
  for (let b = 0; b < B; b++) for (let h = 0; h < H; h++) for (let l = 0; l < L; l++) for (let d = 0; d < dh; d++) {
    oh[((b * H + h) * L + l) * dh + d] = out.o[((b * L + l) * H + h) * dh + d]!;
  }
  const [qh, kh, vh] = [0, 1, 2].map((p) => hostPart(qkvh, p, B, L, H, dh)) as [Float32Array, Float32Array, Float32Array];
  const grads = [0, 1, 2].map((p) => hostPart(out.d, p, B, L, H, dh));
  return { qh, kh, vh, douth, oh, grads, raw: out };
}

const worst: Record<string, number> = {};

async function check(gpu: Gpu, c: Case, label: string) {
  const { B, H, L, dh, causal, mask } = c;
  const r = await run(gpu, c);
  const opts = { causal, keyMask: mask };
  const want = ref.attentionForward(r.qh, r.kh, r.vh, B, H, L, dh, opts);
  const wb = ref.attentionBackward(r.qh, r.kh, r.vh, r.douth, B, H, L, dh, opts);
  const what = `${label} B=${B} H=${H} L=${L} dh=${dh}${causal ? ' causal' : ''}`;
  const record = (name: string, got: ArrayLike<number>, w: ArrayLike<number>) => {
    const m = maxAbs(w) || 1;
    let e = 0;
    for (let i = 0; i < w.length; i++) e = Math.max(e, Math.abs(got[i]! - w[i]!) / m);
    worst[name] = Math.max(worst[name] ?? 0, e);
  };
  assertClose(r.oh, want.o, { rtol: 1e-4, atol: 1e-5 * maxAbs(want.o), what: `o ${what}` });
  record('o', r.oh, want.o);
  let empty = 0;
  for (let i = 0; i < want.lse.length; i++) {
    if (want.lse[i] === -Infinity) {
      empty++;
      assert.is(r.raw.lse[i], -Infinity, `lse ${i} of a row that sees no key, ${what}`);
      for (let d = 0; d < dh; d++) assert.is(r.oh[i * dh + d], 0, `o of row ${i} (sees no key), ${what}`);
    } else assert.ok(Math.abs(r.raw.lse[i]! - want.lse[i]!) <= 1e-5 * Math.max(1, Math.abs(want.lse[i]!)), `lse ${i}: ${r.raw.lse[i]} vs ${want.lse[i]}, ${what}`);
  }
  assert.ok(empty >= H * L, `${what}: the case has rows that see no key`);
  (['dq', 'dk', 'dv'] as const).forEach((nm, i) => {
    const w = wb[nm];
    assertClose(r.grads[i]!, w, { rtol: 1e-4, atol: 1e-4 * maxAbs(w), what: `${nm} ${what}` });
    record(nm, r.grads[i]!, w);
  });
  // Hidden keys: dK = dV = 0 exactly; rows that see no key: dQ = 0 exactly.
  for (let bh = 0; bh < B * H; bh++) {
    const b = Math.floor(bh / H);
    for (let l = 0; l < L; l++) {
      const at = (bh * L + l) * dh;
      if (mask[b * L + l] === 0) for (let d = 0; d < dh; d++) assert.ok(r.grads[1]![at + d] === 0 && r.grads[2]![at + d] === 0, `dk/dv of hidden key ${l}, ${what}`);
      if (want.lse[bh * L + l] === -Infinity) for (let d = 0; d < dh; d++) assert.is(r.grads[0]![at + d], 0, `dq of row ${l} (sees no key), ${what}`);
    }
  }
  return r;
}

for (const path of ['subgroups', 'shared'] as const) {
  test(`masked attention matches float64 (${path}; rtol 1e-4 with atol 1e-4 of the tensor's max)`, async () => {
    const gpu = await getGpu();
    setReductionPathForTests(path);
    try {
      // L 33, dh 20: 5 rows per subgroup on 8 lanes, so the real length 23 ends inside a tile
      // (a subgroup with hidden and real key rows) and later tiles are all hidden.
      for (const causal of [false, true]) {
        await check(gpu, { B: 3, H: 2, L: 33, dh: 20, causal, mask: maskOf(3, 33, 23), seed: 11 }, path);
      }
      await check(gpu, { B: 4, H: 1, L: 40, dh: 20, causal: true, mask: maskOf(4, 40, 40), seed: 12 }, path);
    } finally {
      setReductionPathForTests(undefined);
    }
  });

  test(`masked attention: hidden keys' q/k/v do not change any bit of O or the gradients of real keys (${path})`, async () => {
    const gpu = await getGpu();
    setReductionPathForTests(path);
    try {
      for (const causal of [false, true]) {
        const c: Case = { B: 3, H: 2, L: 33, dh: 20, causal, mask: maskOf(3, 33, 23), seed: 21 };
        const a = await run(gpu, c);
        const b = await run(gpu, { ...c, scramble: true });
        assert.ok(bitsEqual(a.raw.o, b.raw.o), `o causal ${causal}`);
        assert.ok(bitsEqual(a.raw.lse, b.raw.lse), `lse causal ${causal}`);
        // dq everywhere and dk/dv at real keys (hidden ones are 0 in both).
        assert.ok(bitsEqual(a.raw.d, b.raw.d), `gradients causal ${causal}`);
      }
    } finally {
      setReductionPathForTests(undefined);
    }
  });
}

test('masked attention: split over batch windows, same bits', async () => {
  const gpu = await getGpu();
  const c: Case = { B: 3, H: 2, L: 50, dh: 20, causal: false, mask: maskOf(3, 50, 31), seed: 3 };
  const a = await run(gpu, c);
  setMaxBindingBytesForTests(50 * 3 * 2 * 20 * 4 + 1024); // one batch item of the fused [B, L, 3, H, dh] per window
  try {
    const b = await run(gpu, c);
    assert.ok(bitsEqual(a.raw.o, b.raw.o) && bitsEqual(a.raw.d, b.raw.d) && bitsEqual(a.raw.lse, b.raw.lse));
  } finally {
    setMaxBindingBytesForTests(undefined);
  }
});

test('masked attention refuses a key mask of the wrong type, size or buffer', async () => {
  const gpu = await getGpu();
  const rec = new Recorder(gpu);
  const [B, H, L, dh] = [2, 1, 4, 8];
  const q = zeros(gpu, [B, H, L, dh]);
  const o = zeros(gpu, [B, H, L, dh]);
  const refuses = (f: () => unknown, op: string, re: RegExp) => {
    try {
      f();
    } catch (err) {
      assert.instance(err, NnError, String(err));
      assert.is((err as NnError).op, op);
      assert.is((err as NnError).field, 'keyMask');
      assert.match((err as NnError).message, re);
      return;
    }
    assert.unreachable('accepted');
  };
  const u32 = upload(gpu, new Uint32Array(B * L), [B, L]);
  refuses(() => attentionForward(rec, { q, k: q, v: q, o, keyMask: u32 }), 'attention', /expected f32 \(1 real, 0 padding\), got u32/);
  const short = upload(gpu, new Float32Array(B * L - 1), [B * L - 1]);
  refuses(() => attentionForward(rec, { q, k: q, v: q, o, keyMask: short }), 'attention', /expected \[B, L\] = \[2, 4\], got \[7\]/);
  const inO = tensor(o.buffer, [B, L], { offset: 0 });
  refuses(() => attentionForward(rec, { q, k: q, v: q, o, keyMask: inO }), 'attention', /shares a buffer with an output/);
  const lse = zeros(gpu, [B, H, L]);
  refuses(() => attentionBackward(rec, { q, k: q, v: q, o: q, lse, dout: q, dq: o, dk: o, dv: o, keyMask: inO }), 'attentionBackward', /shares a buffer with an output/);
  rec.abandon();
});

test('(measured errors against float64, max |gpu - ref| / max |ref| over the cases)', () => {
  console.log(`  masked attention: ${Object.entries(worst).map(([k, v]) => `${k} ${v.toExponential(1)}`).join(', ')}`);
});

test.run();
