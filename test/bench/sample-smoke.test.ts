// bench/sample.ts runs end to end at a tiny size (masking with and without the cache, semdlm_plus)
// and prints its table and the cached/uncached ratios (no timing is asserted: figures belong to the
// bench, docs/sampling.md).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';

test('bench/sample.ts runs at V = 64, L = 8, B = 2', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'bench/sample.ts', '--V', '64', '--L', '8', '--B', '2', '--k', '4', '--steps', '4,8', '--graph-steps', '8'], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /kernel\s+steps\s+cache\s+seconds\s+seq\/s\s+NFE\s+evals\/seq\s+x peer\s+peer/);
  assert.match(r.stdout, /masking\s+8\s+on\s+[\d.]+\s+[\d.]+\s+\d+\s+[\d.]+\s+[\d.]+\s+masking 8 steps, cache off/);
  assert.match(r.stdout, /semdlm_plus\s+8\s+off\s+[\d.]+\s+[\d.]+\s+8\s+8\.0\s+[\d.]+\s+masking 8 steps, cache off/);
  assert.match(r.stdout, /masking, 8 steps: cached \/ uncached sequences\/s = [\d.]+ \(model evaluations per sequence [\d.]+ vs 8\.0/);
  assert.not.match(r.stdout, /NaN/);
});

test.run();
