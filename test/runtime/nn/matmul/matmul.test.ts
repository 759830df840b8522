import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { getGpu } from '../../../../runtime/gpu/index.ts';
import { MatmulError, encodeMatmul } from '../../../../runtime/nn/matmul/index.ts';
import { runCase, type Case } from './harness.ts';
import { candidates, candidateName } from '../../../../runtime/nn/matmul/autotune.ts';
import { normalise } from '../../../../runtime/nn/matmul/problem.ts';
import { F16_VARIANTS } from '../../../../runtime/nn/matmul/index.ts';

const CASES: [string, Case][] = [
  ['square, aligned', { M: 64, N: 64, K: 64 }],
  ['odd sizes', { M: 37, N: 53, K: 29 }],
  ['one row, one column', { M: 1, N: 1, K: 7 }],
  ['transA', { M: 33, N: 40, K: 19, transA: true }],
  ['transB', { M: 21, N: 35, K: 66, transB: true }],
  ['both transposed', { M: 17, N: 70, K: 41, transA: true, transB: true }],
  ['batch with broadcast B, bias, alpha', { M: 19, N: 45, K: 23, batch: 3, strideB: 0, bias: true, alpha: 0.5 }],
  ['accumulate, offsets', { M: 30, N: 9, K: 50, accumulate: true, offA: 5, offB: 3, offC: 11, alpha: -2 }],
  ['batch with broadcast A (transposed)', { M: 11, N: 19, K: 33, batch: 3, strideA: 0, transA: true }],
  ['aligned batch, contiguous items, bias', { M: 16, N: 64, K: 64, batch: 3, bias: true }],
  ['aligned, strided batch items', { M: 8, N: 64, K: 64, batch: [2, 2], strideA: [1088, 544], strideB: [0, 4160], accumulate: true }],
  ['transB, aligned rows', { M: 20, N: 40, K: 64, transB: true, alpha: 2 }],
  ['two batch dims, row strides', { M: 9, N: 12, K: 8, batch: [2, 3], lda: 20, ldb: 15, ldc: 13, transB: true, strideA: [200, 50], strideB: [0, 100], strideC: [400, 130] }],
];

for (const variant of ['blocked', 'subgroup', 'subgroup-f16', 'tiled', 'tiled-f16'] as const) {
  const f16 = variant.endsWith('f16');
  for (const [name, c] of CASES) {
    test(`${variant}: ${name}`, async () => {
      const gpu = await getGpu();
      const r = await runCase(gpu, { ...c, allowF16: f16 }, variant);
      assert.ok(r.maxErr <= (f16 ? 2e-3 : 1e-4), `relative error ${r.maxErr} at ${r.where}: ${r.got} vs ${r.want}`);
    });
  }
}

// Every tunable configuration of every variant, in both op(B) layouts, odd sizes, a batch.
for (const transB of [false, true]) {
  const c: Case = { M: 70, N: 45, K: 83, transB, batch: 2, strideB: 0, bias: true, allowF16: true };
  test(`every candidate configuration, transB ${transB}`, async () => {
    const gpu = await getGpu();
    const list = candidates(gpu, normalise({ ...c, hasBias: true }));
    assert.ok(list.length >= 4, `candidates: ${list.map(candidateName)}`);
    for (const cand of list) {
      const r = await runCase(gpu, c, cand);
      const tol = F16_VARIANTS.includes(cand.impl.name) ? 2e-3 : 1e-4;
      assert.ok(r.maxErr <= tol, `${candidateName(cand)}: relative error ${r.maxErr} at ${r.where}: ${r.got} vs ${r.want}`);
    }
  });
}

test('a C that overlaps an input in the same buffer is a MatmulError naming c', async () => {
  const gpu = await getGpu();
  const buf = gpu.device.createBuffer({ size: 4096, usage: 0x80 });
  try {
    encodeMatmul({ gpu, encoder: gpu.device.createCommandEncoder() }, { M: 4, N: 4, K: 4, a: { buffer: buf }, b: { buffer: buf, offset: 16 }, c: { buffer: buf, offset: 20 } });
    assert.unreachable();
  } catch (err) {
    assert.instance(err, MatmulError);
    assert.is((err as MatmulError).field, 'c');
  }
});

test.run();
