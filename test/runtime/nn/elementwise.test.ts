// Elementwise ops (add, addInto, scale, fill, GELU, SiLU) against the float64 reference.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Recorder, getGpu } from '../../../runtime/gpu/index.ts';
import { add, addInto, fill, geluBackward, geluForward, scale, siluBackward, siluForward } from '../../../runtime/nn/ops/elementwise.ts';
import * as ref from '../../../reference/nn/elementwise.ts';
import { assertClose, bitsEqual, randn, read, upload, zeros } from './helpers.ts';

// Non-multiples of the 64 x 8 elements a workgroup covers; one smaller than a workgroup.
const SIZES = [5, 513, 4099];

test('GELU and SiLU forward and backward match float64 (rtol 1e-5)', async () => {
  const gpu = await getGpu();
  const rec = new Recorder(gpu);
  for (const n of SIZES) {
    const xh = randn(n, n, 4); // wide range, tails included
    xh[0] = 30;
    if (n > 1) xh[1] = -30;
    const dyh = randn(n, n + 1);
    const x = upload(gpu, xh, [n], { offset: 1 });
    const dy = upload(gpu, dyh, [n]);
    const outs = { gy: zeros(gpu, [n]), gdx: zeros(gpu, [n], 2), sy: zeros(gpu, [n]), sdx: zeros(gpu, [n]), acc: upload(gpu, randn(n, 9), [n]) };
    const acc0 = await read(gpu, outs.acc);
    geluForward(rec, x, outs.gy);
    geluBackward(rec, x, dy, outs.gdx);
    siluForward(rec, x, outs.sy);
    siluBackward(rec, x, dy, outs.sdx);
    geluBackward(rec, x, dy, outs.acc, { accumulate: true });
    await rec.submit({ wait: true });
    const tol = { rtol: 1e-5, atol: 1e-6 };
    assertClose(await read(gpu, outs.gy), ref.geluForward(xh), { ...tol, what: `gelu n=${n}` });
    assertClose(await read(gpu, outs.gdx), ref.geluBackward(xh, dyh), { ...tol, what: `gelu' n=${n}` });
    assertClose(await read(gpu, outs.sy), ref.siluForward(xh), { ...tol, what: `silu n=${n}` });
    assertClose(await read(gpu, outs.sdx), ref.siluBackward(xh, dyh), { ...tol, what: `silu' n=${n}` });
    const gb = ref.geluBackward(xh, dyh);
    assertClose(await read(gpu, outs.acc), Float64Array.from(gb, (v, i) => v + acc0[i]!), { ...tol, what: `gelu' accumulate n=${n}` });
  }
});

test('add, addInto, scale and fill are exact in f32', async () => {
  const gpu = await getGpu();
  const rec = new Recorder(gpu);
  const n = 1031;
  const ah = randn(n, 1);
  const bh = randn(n, 2);
  const a = upload(gpu, ah, [n]);
  const b = upload(gpu, bh, [n], { offset: 3 });
  const s = zeros(gpu, [n]);
  const d = upload(gpu, ah, [n]);
  const f = zeros(gpu, [n], 1);
  add(rec, a, b, s);
  addInto(rec, d, b, -0.25);
  scale(rec, b, 3, a);
  fill(rec, f, 1.5);
  await rec.submit({ wait: true });
  const sh = await read(gpu, s);
  const dh = await read(gpu, d);
  const ah2 = await read(gpu, a);
  const fh = await read(gpu, f);
  for (let i = 0; i < n; i++) {
    assert.is(sh[i], Math.fround(ah[i]! + bh[i]!));
    assert.is(dh[i], Math.fround(ah[i]! + Math.fround(-0.25 * bh[i]!)));
    assert.is(ah2[i], Math.fround(3 * bh[i]!));
    assert.is(fh[i], 1.5);
  }
  // The guard elements after each output are untouched (NaN sentinels).
  const after = new Float32Array(await read(gpu, { ...f, offset: 1 + n }, 1));
  assert.ok(Number.isNaN(after[0]));
});

test('same inputs, same bits: GELU backward twice', async () => {
  const gpu = await getGpu();
  const rec = new Recorder(gpu);
  const n = 2000;
  const x = upload(gpu, randn(n, 11), [n]);
  const dy = upload(gpu, randn(n, 12), [n]);
  const r = [new Float32Array(n), new Float32Array(n)];
  for (const out of r) {
    const dx = zeros(gpu, [n]);
    geluBackward(rec, x, dy, dx);
    rec.read(dx, out);
    await rec.submit();
  }
  assert.ok(bitsEqual(r[0]!, r[1]!));
});

test.run();
