import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { getGpu, storageBuffer, readF32, runDispatches, grid, ShaderCompileError } from '../../../runtime/gpu/index.ts';

test('a WGSL shader computes a*x + y*y as the CPU does', async () => {
  const gpu = await getGpu();
  const n = 10_007; // not a multiple of the workgroup size
  const x = new Float32Array(n);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    x[i] = Math.sin(i) * 3;
    y[i] = Math.cos(i * 0.5);
  }
  const bx = storageBuffer(gpu, x);
  const by = storageBuffer(gpu, y);
  const bo = storageBuffer(gpu, n * 4);
  const code = /* wgsl */ `
    @group(0) @binding(0) var<storage, read> x: array<f32>;
    @group(0) @binding(1) var<storage, read> y: array<f32>;
    @group(0) @binding(2) var<storage, read_write> o: array<f32>;
    @compute @workgroup_size(64)
    fn main(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) nw: vec3u) {
      let i = id.x + id.y * nw.x * 64u;
      if (i >= arrayLength(&o)) { return; }
      o[i] = 2.5 * x[i] + y[i] * y[i];
    }`;
  await runDispatches(gpu, [{ key: 'test/axpy', code, bindings: [bx, by, bo], workgroups: grid(n, 64) }]);
  const out = await readF32(gpu, bo, n);
  for (let i = 0; i < n; i++) {
    const want = Math.fround(Math.fround(2.5 * x[i]!) + Math.fround(y[i]! * y[i]!));
    assert.ok(Math.abs(out[i]! - want) <= 1e-6 * Math.max(1, Math.abs(want)), `element ${i}: ${out[i]} vs ${want}`);
  }
});

test('the device has the adapter limits and reports its features', async () => {
  const gpu = await getGpu();
  assert.ok(gpu.limits.maxStorageBufferBindingSize >= 128 * 1024 * 1024 || !gpu.isSoftware);
  assert.type(gpu.hasSubgroups, 'boolean');
  assert.ok(gpu.description.length > 0);
});

test('a broken shader is a ShaderCompileError with the line', async () => {
  const gpu = await getGpu();
  try {
    await runDispatches(gpu, [
      { key: 'test/broken', code: '@compute @workgroup_size(1) fn main() { let a: f32 = undefined_thing; }', bindings: [], workgroups: [1] },
    ]);
    assert.unreachable('should have thrown');
  } catch (err) {
    assert.instance(err, ShaderCompileError);
    assert.match((err as Error).message, /undefined_thing/);
  }
});

test.run();
