import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

// Runs the ```ts examples of docs/api.md as written, importing 'dlmk' by its package name.
test('docs/api.md examples run as written', () => {
  const doc = readFileSync('docs/api.md', 'utf8');
  const blocks = [...doc.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
  assert.ok(blocks.length >= 1);
  // Inside the package folder so that 'dlmk' resolves to this package (self-reference), to its
  // sources: the 'dlmk-source' export condition (the installed package's dist/ build is
  // test/cli/package.test.ts's).
  const dir = mkdtempSync(join(process.cwd(), '.api-example-'));
  try {
    blocks.forEach((code, i) => {
      const file = join(dir, `example${i}.ts`);
      writeFileSync(file, code);
      const r = spawnSync(process.execPath, ['--conditions=dlmk-source', '--import', 'tsx', file], { encoding: 'utf8' });
      assert.is(r.status, 0, `example ${i} failed:\n${r.stderr}`);
      const lines = r.stdout.trim().split('\n');
      if (code.includes('await train(')) {
        // Training on registered documents: 30 steps, a finite loss, a bound below log V, the last checkpoint.
        assert.is(lines[lines.length - 1], '30 true true true');
        return;
      }
      assert.is(lines[0], '5 9', 'the unknown operator is reported at line 5, column 9');
      const [n, states, pMask] = lines[1]!.split(' ').map(Number);
      assert.is(n, 128);
      assert.is(states, 51);
      // mask share 0.5 of Lambda(0.5) = -log(1 - 0.999 * 0.5): P(masked) = 1 - exp(-0.5 Lambda)
      const want = 1 - Math.exp(0.5 * Math.log(1 - 0.999 * 0.5));
      assert.ok(Math.abs(pMask! - want) < 1e-12, `${pMask} vs ${want}`);
      // ELBO of 128 positions over V = 50 (loss, gradient, parts), equal to the reference at position 0; 128 reverse draws.
      assert.is(lines[2], '128 6400 384 true 128');
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
