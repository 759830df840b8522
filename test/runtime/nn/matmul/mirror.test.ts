// Weight mirrors: packed once, re-packed only after invalidate(), in both layouts a weight is read in.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { getGpu, readF32, storageBuffer, type Gpu } from '../../../../runtime/gpu/index.ts';
import { createWeightMirror, encodeMatmul, type WeightMirror } from '../../../../runtime/nn/matmul/index.ts';
import { matmulRef } from '../../../../reference/nn/matmul.ts';
import { randoms } from './harness.ts';

async function product(gpu: Gpu, x: GPUBuffer, w: WeightMirror, M: number, N: number, K: number, transB: boolean): Promise<Float32Array> {
  const c = storageBuffer(gpu, M * N * 4);
  const enc = gpu.device.createCommandEncoder();
  encodeMatmul({ gpu, encoder: enc }, { M, N, K, transB, a: { buffer: x }, b: w, c: { buffer: c }, variant: 'subgroup' });
  gpu.device.queue.submit([enc.finish()]);
  const out = await readF32(gpu, c, M * N);
  c.destroy();
  return out;
}

function close(got: Float32Array, want: Float64Array): number {
  let e = 0;
  for (let i = 0; i < got.length; i++) e = Math.max(e, Math.abs(got[i]! - want[i]!) / (1 + Math.abs(want[i]!)));
  return e;
}

test('a mirrored weight is packed once per layout and again only after invalidate()', async () => {
  const gpu = await getGpu();
  const [M, N, K] = [12, 40, 36]; // W is N x K (a Linear weight [out, in])
  const x = randoms(M * K, 7);
  const xt = randoms(M * N, 8);
  let wData = randoms(N * K, 9);
  const bx = storageBuffer(gpu, x);
  const bxt = storageBuffer(gpu, xt);
  const bw = storageBuffer(gpu, wData);
  const mirror = createWeightMirror(gpu, { buffer: bw });
  const fwd = () => product(gpu, bx, mirror, M, N, K, true); // x @ W^T
  const bwd = () => product(gpu, bxt, mirror, M, K, N, false); // dY @ W
  const refF = () => matmulRef({ M, N, K, transB: true }, x, wData, new Float64Array(M * N));
  const refB = () => matmulRef({ M, N: K, K: N }, xt, wData, new Float64Array(M * K));

  assert.ok(close(await fwd(), refF()) < 1e-5, 'forward');
  assert.is(mirror.refreshes, 1);
  assert.ok(close(await bwd(), refB()) < 1e-5, 'backward');
  assert.is(mirror.refreshes, 2, 'the second layout is a second texture');
  await fwd();
  await bwd();
  assert.is(mirror.refreshes, 2, 'no repack while fresh');

  const old = wData;
  wData = randoms(N * K, 10);
  gpu.device.queue.writeBuffer(bw, 0, wData);
  // Without invalidate() the mirror still holds the old weight: that is the contract.
  assert.ok(close(await fwd(), matmulRef({ M, N, K, transB: true }, x, old, new Float64Array(M * N))) < 1e-5, 'stale until invalidated');
  mirror.invalidate();
  assert.ok(close(await fwd(), refF()) < 1e-5, 'forward after invalidate');
  assert.ok(close(await bwd(), refB()) < 1e-5, 'backward after invalidate');
  assert.is(mirror.refreshes, 4);
  mirror.destroy();
  for (const b of [bx, bxt, bw]) b.destroy();
});

test.run();
