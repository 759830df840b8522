// Variant choice: DLMK_MATMUL, the per-call variant, the measured autotune and its disk cache.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getGpu } from '../../../../runtime/gpu/index.ts';
import { MatmulError, prepareMatmul, autotuneCachePath } from '../../../../runtime/nn/matmul/index.ts';
import { adapterKey, resetTunedMemory } from '../../../../runtime/nn/matmul/cache.ts';
import { verifyCandidate, verifyTolerance } from '../../../../runtime/nn/matmul/autotune.ts';
import { normalise } from '../../../../runtime/nn/matmul/problem.ts';
import { VARIANTS } from '../../../../runtime/nn/matmul/variants/index.ts';
import { runCase } from './harness.ts';

const dir = mkdtempSync(join(tmpdir(), 'dlmk-tune-'));
process.env['DLMK_CACHE_DIR'] = dir;
resetTunedMemory();

test.after(() => rmSync(dir, { recursive: true, force: true }));

test('the first prepare of a shape class measures the variants and caches the winner per adapter', async () => {
  const gpu = await getGpu();
  const shape = { M: 24, N: 40, K: 16, transB: true };
  const r = await prepareMatmul(gpu, shape);
  assert.is(r.source, 'tuned');
  const doc = JSON.parse(readFileSync(autotuneCachePath(), 'utf8')) as { adapters: Record<string, Record<string, { variant: string; tried: Record<string, number> }>> };
  const section = doc.adapters[adapterKey(gpu)];
  assert.ok(section, 'a section for this adapter');
  const entry = section['NT M32 N32 K16 B1'];
  assert.ok(entry, `an entry for the key, have ${Object.keys(section)}`);
  assert.is(entry.variant, r.variant);
  assert.ok(Object.keys(entry.tried).length >= 2, 'more than one candidate measured');
  // A second prepare in a fresh process state reads the file instead of measuring.
  resetTunedMemory();
  const again = await prepareMatmul(gpu, { ...shape, M: 30 });
  assert.is(again.source, 'tuned');
  assert.is(again.variant, r.variant);
  // And the tuned choice computes correctly.
  const out = await runCase(gpu, shape);
  assert.ok(out.maxErr <= 1e-4, `relative error ${out.maxErr}`);
});

test('DLMK_MATMUL forces a variant, falls back to the nearest that can run the call, and rejects unknown names', async () => {
  const gpu = await getGpu();
  try {
    process.env['DLMK_MATMUL'] = 'blocked';
    assert.equal((await prepareMatmul(gpu, { M: 8, N: 8, K: 8 })).variant, 'blocked');
    process.env['DLMK_MATMUL'] = 'tiled-f16'; // the call did not allow f16: plain tiling runs
    const r = await prepareMatmul(gpu, { M: 8, N: 8, K: 8 });
    assert.is(r.variant, 'tiled');
    assert.is(r.source, 'env');
    process.env['DLMK_MATMUL'] = 'fast';
    try {
      await prepareMatmul(gpu, { M: 8, N: 8, K: 8 });
      assert.unreachable();
    } catch (err) {
      assert.instance(err, MatmulError);
      assert.is((err as MatmulError).field, 'DLMK_MATMUL');
    }
  } finally {
    delete process.env['DLMK_MATMUL'];
  }
});

test('a per-call variant that cannot run the call is a MatmulError saying why', async () => {
  const gpu = await getGpu();
  try {
    await prepareMatmul(gpu, { M: 8, N: 8, K: 8, variant: 'subgroup-f16' });
    assert.unreachable();
  } catch (err) {
    assert.instance(err, MatmulError);
    assert.match((err as Error).message, /allowF16/);
  }
});

test('bad sizes and strides are MatmulErrors naming the argument', async () => {
  const gpu = await getGpu();
  const cases: [Record<string, unknown>, string][] = [
    [{ M: 0, N: 4, K: 4 }, 'M'],
    [{ M: 4, N: 4.5, K: 4 }, 'N'],
    [{ M: 4, N: 4, K: 4, lda: 3 }, 'lda'],
    [{ M: 4, N: 4, K: 4, batch: 2, strideC: 0 }, 'strideC'],
    [{ M: 4, N: 4, K: 4, alpha: Number.NaN }, 'alpha'],
  ];
  for (const [shape, field] of cases) {
    try {
      await prepareMatmul(gpu, { variant: 'blocked', ...(shape as { M: number; N: number; K: number }) });
      assert.unreachable(field);
    } catch (err) {
      assert.instance(err, MatmulError);
      assert.is((err as MatmulError).field, field);
    }
  }
});

test('the tuner self-check passes the real kernels and catches a wrong one', async () => {
  const gpu = await getGpu();
  const p = normalise({ M: 8, N: 8, K: 8, transB: true });
  const ok = { impl: VARIANTS.blocked, config: {} };
  assert.ok((await verifyCandidate(gpu, ok, p)) <= verifyTolerance(ok));
  const wrongImpl = {
    ...VARIANTS.blocked,
    kernel: (g: typeof gpu, q: typeof p, c: Record<string, number>) => {
      const k = VARIANTS.blocked.kernel(g, q, c);
      return { ...k, key: `${k.key}/wrong`, code: k.code.replace('var v = P.alpha * acc;', 'var v = 1.001 * P.alpha * acc;') };
    },
  };
  const err = await verifyCandidate(gpu, { impl: wrongImpl, config: {} }, p);
  assert.ok(err > verifyTolerance(ok) && err < 0.01, `error ${err}`);
});

test.run();
