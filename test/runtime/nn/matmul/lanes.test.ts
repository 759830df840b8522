// The lanes the subgroup kernels are generated for (kernelLanes): the adapter's fixed subgroup
// size, at most 8 on software adapters. lavapipe at LP_NATIVE_VECTOR_WIDTH=512 reports 16 lanes
// but fetches texels 8 lanes wide, and a kernel generated for 16 lanes is wrong there
// (docs/perf.md). Run this file with and without LP_NATIVE_VECTOR_WIDTH=512.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { getGpu, type Gpu } from '../../../../runtime/gpu/index.ts';
import { kernelLanes } from '../../../../runtime/nn/matmul/variants/subgroup.ts';
import { VARIANTS } from '../../../../runtime/nn/matmul/variants/index.ts';
import { normalise } from '../../../../runtime/nn/matmul/problem.ts';
import { runCase, type Case } from './harness.ts';

function fake(isSoftware: boolean, min: number, max = min, hasSubgroups = true): Gpu {
  return { isSoftware, subgroupMinSize: min, subgroupMaxSize: max, hasSubgroups } as unknown as Gpu;
}

test('kernel lanes: the fixed subgroup size, capped at 8 on software adapters', () => {
  assert.is(kernelLanes(fake(true, 16)), 8); // lavapipe at 512 bits
  assert.is(kernelLanes(fake(true, 8)), 8); // lavapipe at 256 bits
  assert.is(kernelLanes(fake(true, 4)), 4); // 128 bits
  assert.is(kernelLanes(fake(false, 32)), 32); // a GPU
  assert.is(kernelLanes(fake(false, 16, 64)), 0); // not fixed: no subgroup kernel
  assert.is(kernelLanes(fake(true, 16, 16, false)), 0);
});

test("this adapter's subgroup kernel uses kernelLanes() invocations per workgroup", async () => {
  const gpu = await getGpu();
  const p = normalise({ M: 8, N: 8, K: 8 });
  if (VARIANTS.subgroup.unsupported(gpu, p)) return; // no fixed-size subgroups here
  const k = VARIANTS.subgroup.kernel(gpu, p, VARIANTS.subgroup.configs(gpu, p)[0]!);
  assert.is(k.workgroupSize, kernelLanes(gpu));
  assert.ok(k.workgroupSize <= gpu.subgroupMinSize);
});

// A workgroup with fewer invocations than the adapter's subgroup is one subgroup: what the
// 8-lane kernel relies on at 16 reported lanes. Checked here with kernels for 4 and 8 lanes
// (where the adapter's subgroups hold at least that many), odd sizes, every transpose, f32 and
// f16 operands, against the float64 reference.
const CASES: Case[] = [
  { M: 37, N: 53, K: 29 },
  { M: 21, N: 35, K: 66, transB: true },
  { M: 33, N: 40, K: 19, transA: true },
  { M: 17, N: 70, K: 41, transA: true, transB: true, bias: true, alpha: 0.5 },
];
for (const lanes of [4, 8]) {
  test(`subgroup kernels generated for ${lanes} lanes match float64`, async () => {
    const real = await getGpu();
    const p = normalise({ M: 8, N: 8, K: 8 });
    if (VARIANTS.subgroup.unsupported(real, p) || real.subgroupMinSize < lanes) return;
    const gpu: Gpu = { ...real, isSoftware: true, subgroupMinSize: lanes, subgroupMaxSize: lanes };
    for (const name of ['subgroup', 'subgroup-f16'] as const) {
      // A fresh implementation object: generated kernels are memoised per device and implementation.
      const impl = { ...VARIANTS[name] };
      for (const c of CASES) {
        const cfgs = impl.configs(gpu, normalise({ ...c, allowF16: true }));
        for (const config of cfgs) {
          const r = await runCase(gpu, { ...c, allowF16: true }, { impl, config });
          const tol = name === 'subgroup' ? 1e-4 : 2e-3;
          assert.ok(r.maxErr <= tol, `${name} ${JSON.stringify(config)} ${JSON.stringify(c)}: relative error ${r.maxErr} at ${r.where}: ${r.got} vs ${r.want}`);
        }
      }
    }
  });
}

test.run();
