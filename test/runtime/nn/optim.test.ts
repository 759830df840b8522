// Clipping, AdamW and EMA against float64: a sequence of steps with a schedule, clipping read
// from the GPU, a skipped non-finite step, huge gradients, and split windows.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Recorder, getGpu, setMaxBindingBytesForTests } from '../../../runtime/gpu/index.ts';
import { adamw, clipGradNorm, emaUpdate } from '../../../runtime/nn/ops/optim.ts';
import { narrow } from '../../../runtime/nn/tensor.ts';
import * as ref from '../../../reference/nn/optim.ts';
import { assertClose, bitsEqual, f64, randn, read, upload, zeros } from './helpers.ts';

test('five AdamW steps with clipping match float64 (rtol 1e-5); the norm too', async () => {
  const gpu = await getGpu();
  const rec = new Recorder(gpu);
  const n = 10_007;
  const ph = randn(n, 1);
  const p = upload(gpu, ph, [n]);
  const m = zeros(gpu, [n]);
  const v = zeros(gpu, [n]);
  const ema = upload(gpu, ph, [n]);
  const g = zeros(gpu, [n], 1);
  const stats = zeros(gpu, [3]);
  const s = { p: f64(ph), m: new Float64Array(n), v: new Float64Array(n) };
  const e = f64(ph);
  const st = new Float32Array(3);
  for (let step = 1; step <= 5; step++) {
    const gh = randn(n, 100 + step, step === 3 ? 0.001 : 1); // step 3 is under the clip threshold
    rec.upload(g, gh);
    const lr = 0.01 * (1 - step / 10); // a schedule: only the uniform changes
    clipGradNorm(rec, { grads: g, stats, maxNorm: 50 });
    adamw(rec, { params: p, grads: g, m, v, stats, lr, step, weightDecay: 0.1 });
    emaUpdate(rec, { ema, params: p, decay: 0.9 });
    rec.read(stats, st);
    await rec.submit();
    const norm = ref.globalNorm([gh]);
    assertClose([st[0]!], [norm], { rtol: 1e-5, what: `norm at step ${step}` });
    const coef = ref.clipCoefficient(norm, 50);
    assertClose([st[1]!], [coef], { rtol: 1e-5, what: `coef at step ${step}` });
    assert.is(st[2], 1);
    ref.adamwStep(s, gh, { lr, step, weightDecay: 0.1 }, coef);
    ref.emaStep(e, s.p, 0.9);
  }
  assertClose(await read(gpu, p), s.p, { rtol: 1e-5, atol: 1e-6, what: 'params' });
  assertClose(await read(gpu, m), s.m, { rtol: 1e-4, atol: 1e-7, what: 'm' });
  assertClose(await read(gpu, v), s.v, { rtol: 1e-4, atol: 1e-9, what: 'v' });
  assertClose(await read(gpu, ema), e, { rtol: 1e-5, atol: 1e-6, what: 'ema' });
});

test('norm of several tensors with huge values (squares overflow f32) and tiny ones', async () => {
  const gpu = await getGpu();
  const rec = new Recorder(gpu);
  const a = randn(5000, 7, 1e30);
  const b = randn(33, 8, 1e-30);
  const stats = zeros(gpu, [3]);
  clipGradNorm(rec, { grads: [upload(gpu, a, [5000]), upload(gpu, b, [33])], stats, maxNorm: 0 });
  const tiny = zeros(gpu, [3]);
  clipGradNorm(rec, { grads: upload(gpu, b, [33]), stats: tiny, maxNorm: 1 });
  const st = new Float32Array(3);
  const st2 = new Float32Array(3);
  rec.read(stats, st);
  rec.read(tiny, st2);
  await rec.submit();
  assertClose([st[0]!], [ref.globalNorm([a, b])], { rtol: 1e-5, what: 'huge norm' });
  assert.is(st[1], 1);
  assertClose([st2[0]!], [ref.globalNorm([b])], { rtol: 1e-5, what: 'tiny norm' });
});

test('a non-finite gradient: ok = 0, norm = inf, and AdamW leaves params and moments alone', async () => {
  const gpu = await getGpu();
  const rec = new Recorder(gpu);
  const n = 9000;
  const gh = randn(n, 3);
  gh[8500] = NaN;
  const ph = randn(n, 4);
  const p = upload(gpu, ph, [n]);
  const m = upload(gpu, randn(n, 5), [n]);
  const m0 = await read(gpu, m);
  const stats = zeros(gpu, [3]);
  const g = upload(gpu, gh, [n]);
  clipGradNorm(rec, { grads: g, stats, maxNorm: 1, apply: true });
  adamw(rec, { params: p, grads: g, m, v: zeros(gpu, [n]), stats, lr: 0.1, step: 2 });
  const st = new Float32Array(3);
  rec.read(stats, st);
  await rec.submit();
  assert.is(st[2], 0);
  assert.is(st[0], Infinity);
  assert.ok(bitsEqual(await read(gpu, p), ph));
  assert.ok(bitsEqual(await read(gpu, m), m0));
});

test('clip with apply scales the gradients; windows split the flat buffers; same bits', async () => {
  const gpu = await getGpu();
  const n = 20_000;
  const gh = randn(n, 11, 3);
  const runOnce = async () => {
    const rec = new Recorder(gpu);
    const g = upload(gpu, gh, [n], { offset: 3 });
    const stats = zeros(gpu, [3]);
    clipGradNorm(rec, { grads: narrow(g, 0, 0, n), stats, maxNorm: 2, apply: true });
    const p = upload(gpu, randn(n, 12), [n]);
    adamw(rec, { params: p, grads: g, m: zeros(gpu, [n]), v: zeros(gpu, [n]), lr: 1e-3, step: 1 });
    const o = { g: new Float32Array(n), p: new Float32Array(n) };
    rec.read(g, o.g);
    rec.read(p, o.p);
    await rec.submit();
    return o;
  };
  const a = await runOnce();
  const norm = ref.globalNorm([gh]);
  assertClose(a.g, f64(gh).map((x) => (x * 2) / (norm + 1e-6)), { rtol: 1e-5, atol: 1e-7, what: 'clipped gradients' });
  setMaxBindingBytesForTests(64 * 1024);
  try {
    const b = await runOnce();
    assert.ok(bitsEqual(a.g, b.g) && bitsEqual(a.p, b.p));
  } finally {
    setMaxBindingBytesForTests(undefined);
  }
});

test.run();
