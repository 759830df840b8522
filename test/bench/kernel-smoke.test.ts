// bench/kernel.ts runs end to end at a tiny size for every shipped kernel kind and prints its table,
// the overhead lines and, for graph kernels, the floor (no timing is asserted: figures belong to the
// bench, docs/kernel-perf.md).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

for (const kernel of ['masking', 'semdlm_plus', 'everything', 'kernels/semdlm_plus.kernel']) {
  test(`bench/kernel.ts --kernel ${kernel} runs at V = 64`, () => {
    const cache = mkdtempSync(join(tmpdir(), 'dlmk-bench-'));
    try {
      const r = spawnSync(process.execPath, ['--import', 'tsx', 'bench/kernel.ts', '--kernel', kernel, '--V', '64', '--k', '4', '--L', '8', '--B', '2', '--d', '16', '--reps', '1'], {
        encoding: 'utf8',
        env: { ...process.env, DLMK_CACHE_DIR: cache },
      });
      assert.is(r.status, 0, r.stderr);
      assert.match(r.stdout, /output-layer matmul \(peer\)/);
      assert.match(r.stdout, /ELBO integrand \+ gradient\s+[\d.]+\s+\d+\s+[\d.]+/);
      assert.match(r.stdout, /kernel overhead per training step \(corruption \+ ELBO with gradient\) \/ matmul: [\d.]+ \(target <= 0.2\)/);
      assert.not.match(r.stdout, /non-finite/);
      if (kernel === 'masking') assert.not.match(r.stdout, /Floor of an exact graph kernel/);
      else assert.match(r.stdout, /Floor of an exact graph kernel on this adapter/);
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  });
}

test('bench/kernel.ts --variance measures the sparse estimator at V = 64', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'bench/kernel.ts', '--variance', '--graph', 'random', '--V', '64', '--k', '4', '--positions', '12', '--reps', '3', '--M', '2,4'], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  for (const model of ['near the data', 'near-uniform']) assert.match(r.stdout, new RegExp(`${model}: \\d+ positions`));
  // One row per M: the variance ratios, work and ball figures are numbers.
  const rows = r.stdout.split('\n').filter((l) => /^[24]\s+[\d.]+\s+[\d.]+\s+\d+\s+\d+\s+\d+\s+\d+\s+[\d.]+\s+[\d.]+$/.test(l));
  assert.is(rows.length, 4, r.stdout);
});

test.run();
