// The tensor layer: pool, recorder (one submit, uniforms, readback, temps, errors), binding
// windows and timestamp profiling.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  BufferPool, Recorder, ShaderCompileError, bucketSize, getGpu, profileEntries, resetProfile, setMaxBindingBytesForTests, uniformLayout,
} from '../../../runtime/gpu/index.ts';
import { add, addInto, scale } from '../../../runtime/nn/ops/elementwise.ts';
import { allocTensor, chunkLast, extentOf, narrow, reshape, tempTensor, tensor } from '../../../runtime/nn/tensor.ts';
import { NnError } from '../../../runtime/nn/errors.ts';
import { randn, upload, zeros, read, bitsEqual } from './helpers.ts';

test('buckets: powers of two to 64 KiB, then eighths of an octave', () => {
  assert.is(bucketSize(1), 256);
  assert.is(bucketSize(257), 512);
  assert.is(bucketSize(65536), 65536);
  assert.is(bucketSize(65537), 65536 + 8192);
  assert.is(bucketSize(100 << 20), 104 << 20);
  for (const b of [70000, 1e6, 3e7, 1.3e8]) {
    const s = bucketSize(b);
    assert.ok(s >= b && s <= b * 1.125 + 256 && s % 256 === 0, `${b} -> ${s}`);
  }
});

test('the pool reuses buffers LIFO and counts them', async () => {
  const gpu = await getGpu();
  const pool = new BufferPool(gpu);
  const a = pool.acquire(1000);
  const b = pool.acquire(1000);
  assert.is(a.size, 1024);
  pool.release(a);
  pool.release(b);
  assert.is(pool.acquire(900), b);
  assert.is(pool.acquire(1024), a);
  assert.is(pool.stats().created, 2);
  assert.is(pool.stats().reused, 2);
  pool.release(a);
  assert.throws(() => pool.release(a), /does not hold/);
});

test('tensor views: narrow, chunkLast, reshape, extent', async () => {
  const gpu = await getGpu();
  const pool = new BufferPool(gpu);
  const t = allocTensor(pool, [2, 12]);
  const parts = chunkLast(t, 3);
  assert.equal(parts[1]!.strides, [12, 1]);
  assert.is(parts[1]!.offset, 4);
  assert.is(extentOf(parts[1]!), 16);
  const rows = narrow(t, 0, 1, 1);
  assert.is(rows.strides, undefined);
  assert.is(rows.offset, 12);
  assert.throws(() => reshape(parts[0]!, [8]), (e: unknown) => e instanceof NnError);
  assert.throws(() => tensor(t.buffer, [100]), /needs 100 elements/);
});

test('one recording: many dispatches, one submit, reads into preallocated arrays', async () => {
  const gpu = await getGpu();
  const rec = new Recorder(gpu);
  const n = 1000;
  const x = upload(gpu, randn(n, 1), [n]);
  const y = upload(gpu, randn(n, 2), [n], { offset: 5 });
  const t1 = tempTensor(rec, [n]);
  const t2 = tempTensor(rec, [n]);
  add(rec, x, y, t1);
  scale(rec, t1, 0.5, t2);
  add(rec, t2, x, t1);
  assert.is(rec.dispatchCount, 3);
  const out = new Float32Array(n);
  const out2 = new Float32Array(7);
  rec.read(t1, out);
  rec.read({ buffer: t2.buffer, offset: 10 }, out2);
  await rec.submit();
  const xh = await read(gpu, x);
  const yh = await read(gpu, y);
  for (let i = 0; i < n; i++) {
    const s = Math.fround(xh[i]! + yh[i]!);
    const h = Math.fround(0.5 * s);
    assert.is(out[i], Math.fround(h + xh[i]!));
    if (i >= 10 && i < 17) assert.is(out2[i - 10], h);
  }
  assert.is(rec.pool.stats().inUseBytes, 0, 'temps go back at submit');
});

test('re-recording the same step reuses uniforms and buffers, and gives the same bits', async () => {
  const gpu = await getGpu();
  const rec = new Recorder(gpu);
  const n = 777;
  const x = upload(gpu, randn(n, 3), [n]);
  const outs = [new Float32Array(n), new Float32Array(n)];
  for (const out of outs) {
    const t = tempTensor(rec, [n]);
    scale(rec, x, 1.7, t);
    add(rec, t, x, t === x ? x : tempTensor(rec, [n]));
    rec.read(t, out);
    await rec.submit();
  }
  assert.ok(bitsEqual(outs[0]!, outs[1]!));
  assert.is(rec.pool.stats().created, 2);
});

test('a shader that does not compile is a ShaderCompileError from submit, and nothing is submitted', async () => {
  const gpu = await getGpu();
  const rec = new Recorder(gpu);
  const U = uniformLayout('BadU', { n: 'u32' });
  const out = zeros(gpu, [4]);
  rec.dispatch({
    program: { key: 'test/bad-shader', code: `${U.wgsl}\n@group(0) @binding(0) var<uniform> u: BadU;\n@compute @workgroup_size(1) fn main() { let q: f32 = not_defined; }` },
    uniform: { layout: U, values: { n: 1 } },
    bindings: [],
    workgroups: [1],
  });
  try {
    await rec.submit();
    assert.unreachable('expected a compile error');
  } catch (err) {
    assert.instance(err, ShaderCompileError);
    assert.match((err as Error).message, /not_defined/);
  }
  // The recorder is usable again.
  scale(rec, out, 2, tempTensor(rec, [4]));
  await rec.submit({ wait: true });
});

test('binding windows: a tensor split over many small windows gives the same bits', async () => {
  const gpu = await getGpu();
  const n = 50_001;
  const a = upload(gpu, randn(n, 4), [n], { offset: 3 });
  const b = upload(gpu, randn(n, 5), [n], { offset: 1 });
  const rec = new Recorder(gpu);
  const whole = new Float32Array(n);
  const split = new Float32Array(n);
  const o1 = zeros(gpu, [n], 2);
  add(rec, a, b, o1);
  rec.read(o1, whole);
  await rec.submit();
  setMaxBindingBytesForTests(4096);
  try {
    const o2 = zeros(gpu, [n], 7);
    add(rec, a, b, o2);
    assert.ok(rec.dispatchCount > 40, `split into ${rec.dispatchCount} dispatches`);
    rec.read(o2, split);
    await rec.submit();
  } finally {
    setMaxBindingBytesForTests(undefined);
  }
  assert.ok(bitsEqual(whole, split));
  const ah = await read(gpu, a);
  const bh = await read(gpu, b);
  for (let i = 0; i < n; i += 997) assert.is(whole[i], Math.fround(ah[i]! + bh[i]!));
});

test('overlapping arguments in one buffer are refused with the op and argument named', async () => {
  const gpu = await getGpu();
  const rec = new Recorder(gpu);
  const x = upload(gpu, randn(64, 6), [64]);
  add(rec, x, x, zeros(gpu, [64])); // overlapping inputs are fine: both are bound read-only
  assert.throws(() => addInto(rec, x, x), /addInto: input 0: overlaps input 1/);
  assert.throws(() => add(rec, x, zeros(gpu, [63]), zeros(gpu, [64])), /add: input 1: expected 64 elements/);
  rec.abandon();
});

test('profiling: timestamp queries give a per-op table', async () => {
  const gpu = await getGpu();
  if (!gpu.hasTimestamps) return;
  resetProfile();
  const rec = new Recorder(gpu, { profile: true });
  const n = 4096;
  const x = upload(gpu, randn(n, 7), [n]);
  const t = tempTensor(rec, [n]);
  for (let i = 0; i < 3; i++) add(rec, x, x === t ? x : upload(gpu, randn(n, 8 + i), [n]), t);
  scale(rec, t, 2, tempTensor(rec, [n]));
  await rec.submit();
  const e = profileEntries();
  const addRow = e.find((r) => r.label === 'add');
  assert.ok(addRow && addRow.count === 3 && addRow.totalMs >= 0, JSON.stringify(e));
  assert.ok(e.some((r) => r.label === 'scale'));
  const total = e.reduce((s, r) => s + r.share, 0);
  assert.ok(Math.abs(total - 1) < 1e-9 || total === 0);
  resetProfile();
});

test.run();
