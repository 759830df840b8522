// lavapipe's vector width (LP_NATIVE_VECTOR_WIDTH, read when the driver loads): Mesa 25.0.7's
// shader cache is shared between widths, and texel-fetch code cached at 256 bits made every
// subgroup kernel wrong at 512 bits (relative error ~0.6). runtime/gpu gives each width a cache
// of its own. Run this file with and without LP_NATIVE_VECTOR_WIDTH=512.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { homedir } from 'node:os';
import { getGpu } from '../../../../runtime/gpu/index.ts';
import { shaderCacheDirFor } from '../../../../runtime/gpu/device.ts';
import { VARIANTS } from '../../../../runtime/nn/matmul/variants/index.ts';
import { fixedSubgroupSize } from '../../../../runtime/nn/matmul/variants/subgroup.ts';
import { normalise } from '../../../../runtime/nn/matmul/problem.ts';
import { runCase, type Case } from './harness.ts';

test('a set vector width gets a Mesa shader cache of its own, unless the user placed the cache', () => {
  assert.is(shaderCacheDirFor({}), undefined);
  assert.is(shaderCacheDirFor({ LP_NATIVE_VECTOR_WIDTH: '512', XDG_CACHE_HOME: '/c' }), join('/c', 'dlmk', 'mesa-lp512'));
  assert.is(shaderCacheDirFor({ LP_NATIVE_VECTOR_WIDTH: '256' }), join(homedir(), '.cache', 'dlmk', 'mesa-lp256'));
  assert.is(shaderCacheDirFor({ LP_NATIVE_VECTOR_WIDTH: '512', MESA_SHADER_CACHE_DIR: '/mine' }), undefined);
  assert.is(shaderCacheDirFor({ LP_NATIVE_VECTOR_WIDTH: 'wide' }), undefined);
});

test('this process opened its device with the per-width cache', async () => {
  const gpu = await getGpu();
  const width = process.env['LP_NATIVE_VECTOR_WIDTH'];
  if (!width || !gpu.isSoftware) return;
  assert.ok(process.env['MESA_SHADER_CACHE_DIR']?.endsWith(`mesa-lp${width}`) || process.env['MESA_SHADER_CACHE_DISABLE'] === 'true', `MESA_SHADER_CACHE_DIR=${process.env['MESA_SHADER_CACHE_DIR']}`);
});

// The subgroup kernels at this adapter's subgroup size (16 at 512 bits), every transpose, odd
// sizes, against float64: the check that failed at 512 bits with the shared cache.
const CASES: Case[] = [
  { M: 37, N: 53, K: 29 },
  { M: 21, N: 35, K: 66, transB: true },
  { M: 33, N: 40, K: 19, transA: true },
  { M: 17, N: 70, K: 41, transA: true, transB: true, bias: true, alpha: 0.5 },
];
test('subgroup kernels at the adapter subgroup size match float64', async () => {
  const gpu = await getGpu();
  if (!fixedSubgroupSize(gpu)) return;
  for (const name of ['subgroup', 'subgroup-f16'] as const) {
    const impl = VARIANTS[name];
    for (const c of CASES) {
      const p = normalise({ ...c, allowF16: true, hasBias: !!c.bias });
      if (impl.unsupported(gpu, p)) continue;
      const config = impl.configs(gpu, p)[0]!;
      const r = await runCase(gpu, { ...c, allowF16: true }, { impl, config });
      const tol = name === 'subgroup' ? 1e-4 : 2e-3;
      assert.ok(r.maxErr <= tol, `${name} S${fixedSubgroupSize(gpu)} ${JSON.stringify(config)} ${JSON.stringify(c)}: relative error ${r.maxErr} at ${r.where}: ${r.got} vs ${r.want}`);
    }
  }
});

test.run();
