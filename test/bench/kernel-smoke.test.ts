// bench/kernel.ts runs end to end at a tiny size for every shipped kernel kind and prints its table,
// the overhead lines and, for graph kernels, the floor (no timing is asserted: figures belong to the
// bench, docs/kernel-perf.md).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

for (const kernel of ['masking', 'semdlm_plus', 'everything']) {
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

test.run();
