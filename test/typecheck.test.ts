import { test } from 'uvu';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';

test('the whole project type-checks under strict TypeScript', () => {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  try {
    execFileSync(process.execPath, [tsc, '--noEmit', '-p', '.'], { stdio: 'pipe' });
  } catch (err) {
    const e = err as { stdout?: Buffer };
    throw new Error('tsc reported errors:\n' + (e.stdout?.toString() ?? String(err)));
  }
});

test.run();
