import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, mkdtempSync, existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Every `npx dlmk ...` line of the README's "Command line" block runs and exits 0. Files it would
// write go to a temporary folder instead (out/ -> tmp, --write dropped, > FILE discarded).
test("the README's command-line examples run", () => {
  const readme = readFileSync('README.md', 'utf8');
  const block = /## Command line\n\n```sh\n([\s\S]*?)```/.exec(readme);
  assert.ok(block, 'README has a Command line block');
  const out = mkdtempSync(join(tmpdir(), 'dlmk-readme-'));
  const lines = block[1]!.split('\n').map((l) => l.replace(/\s+#.*$/, '').trim()).filter((l) => l.startsWith('npx dlmk '));
  assert.ok(lines.length >= 6);
  for (const line of lines) {
    const cmd = line
      .replace(/^npx dlmk /, `"${process.execPath}" cli/dlmk.mjs `)
      .replace(/\s*>\s*\S+$/, ' > /dev/null')
      .replace(/ --write\b/, '')
      .replaceAll('out/', out + '/');
    const r = spawnSync('bash', ['-c', cmd], { encoding: 'utf8' }); // the shell expands kernels/*.kernel
    assert.is(r.status, 0, `${line}\n${r.stdout}\n${r.stderr}`);
  }
  assert.ok(existsSync(join(out, 'semdlm_plus.spec.json')));
});

test.run();
