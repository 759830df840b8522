// The WGSL math helpers the kernel back end relies on for precision (compiler/wgsl/math.ts), on the
// GPU against float64: phi(d) = d - log(1 + d) (the summand of every ELBO term, D(u || v) =
// u phi(v/u - 1)) keeps its relative precision from d = -0.999 through d ~ 1e-7 to d = 1e6, where
// the naive difference loses every digit near 0; log1p and expm1 near 0 likewise.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mathModule } from '../../../compiler/wgsl/math.ts';
import { program, wgslModule } from '../../../compiler/wgsl/module.ts';
import { dimsModule } from '../../../compiler/wgsl/dims.ts';
import { getGpu, readF32 } from '../../../runtime/gpu/index.ts';
import { KernelPipelines, KernelRecording, emptyBuffer, tableBuffer } from '../../../runtime/kernel/encoder.ts';

// float64 phi with full relative precision: a series near 0, the direct difference elsewhere.
function phi64(d: number): number {
  if (Math.abs(d) < 0.1) {
    let s = 0;
    let p = d * d;
    for (let k = 2; k < 40; k++) {
      s += ((k % 2 === 0 ? 1 : -1) * p) / k;
      p *= d;
    }
    return s;
  }
  return d - Math.log1p(d);
}

const D: number[] = [];
for (const m of [1e-7, 3e-6, 1e-4, 0.003, 0.05, 0.0625, 0.07, 0.2, 0.45, 0.49, 0.5, 0.51, 0.9, 0.99, 1, 1.01, 2, 10, 1e3, 1e6]) {
  D.push(Math.fround(m));
  if (m < 1) D.push(Math.fround(-m));
}
D.push(Math.fround(-0.999), Math.fround(-0.9999));

async function run(fn: string, xs: number[]): Promise<Float32Array> {
  const gpu = await getGpu();
  const code = `
@group(0) @binding(1) var<storage, read> xs: array<f32>;
@group(0) @binding(2) var<storage, read_write> outv: array<f32>;
@compute @workgroup_size(1) fn main(@builtin(global_invocation_id) g: vec3<u32>) { outv[g.x] = ${fn}(xs[g.x]); }`;
  const prog = program(`math_test_${fn}`, [1], dimsModule, mathModule, wgslModule(`math_test_${fn}_main`, code));
  const pipes = new KernelPipelines(gpu);
  await pipes.prepare(prog);
  const out = emptyBuffer(gpu, xs.length * 4);
  const rec = new KernelRecording(gpu, pipes);
  rec.dispatch(prog, {}, [tableBuffer(gpu, Float32Array.from(xs)), out], [xs.length]);
  const enc = gpu.device.createCommandEncoder();
  rec.encode(enc);
  gpu.device.queue.submit([enc.finish()]);
  return readF32(gpu, out, xs.length);
}

test('phi(d) = d - log(1 + d) to relative 2e-6 over (-1, 1e6)', async () => {
  const got = await run('dlmk_phi', D);
  D.forEach((d, i) => {
    const want = phi64(d);
    assert.ok(Math.abs(got[i]! - want) <= 2e-6 * want, `phi(${d}) = ${got[i]} vs ${want} (relative ${Math.abs(got[i]! - want) / want})`);
  });
});

test('log1p and expm1 near 0 to relative 2e-6', async () => {
  const xs = D.filter((d) => Math.abs(d) < 1);
  const l = await run('dlmk_log1p', xs);
  const e = await run('dlmk_expm1', xs);
  xs.forEach((x, i) => {
    assert.ok(Math.abs(l[i]! - Math.log1p(x)) <= 2e-6 * Math.abs(Math.log1p(x)), `log1p(${x}) = ${l[i]}`);
    assert.ok(Math.abs(e[i]! - Math.expm1(x)) <= 2e-6 * Math.abs(Math.expm1(x)), `expm1(${x}) = ${e[i]}`);
  });
});

test.run();
