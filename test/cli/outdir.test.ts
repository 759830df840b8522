// Output folders that cannot exist fail at once with their name (fs.mkdirSync's `recursive`
// never returns under /proc): dlmk compile --out/--wgsl (test/cli/wgsl.test.ts), train, compare.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from '../../cli/command.ts';
import { UsageError } from '../../cli/command.ts';
import train from '../../cli/commands/train.ts';
import compare from '../../cli/commands/compare.ts';
import { makeDir } from '../../cli/io.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

async function usage(cmd: Command, ...argv: string[]): Promise<UsageError> {
  try {
    await cmd.run({ argv, debug: false, stdout: () => {}, stderr: () => {} });
  } catch (err) {
    assert.instance(err, UsageError);
    return err as UsageError;
  }
  throw new Error(`dlmk ${cmd.name} ${argv.join(' ')} did not fail`);
}

test('train and compare refuse an output folder under /proc before any work', async () => {
  const t0 = Date.now();
  const a = await usage(train, `${root}specs/examples/tiny.json`, '--out', '/proc/dlmk-x');
  assert.match(a.message, /^cannot create the run folder '\/proc\/dlmk-x': the system does not allow a folder there$/);
  const b = await usage(compare, `${root}specs/examples/paper.json`, '--out', '/proc/dlmk-x/y');
  assert.match(b.message, /^cannot create the experiment folder '\/proc\/dlmk-x\/y'/);
  assert.ok(Date.now() - t0 < 5000, 'at once');
  // The check leaves nothing behind when the command then fails for another reason.
  const tmp = mkdtempSync(join(tmpdir(), 'dlmk-outdir-'));
  const c = await usage(train, join(tmp, 'absent.json'), '--out', join(tmp, 'run/a'));
  assert.match(c.message, /absent\.json/);
  assert.not.ok(existsSync(join(tmp, 'run')), 'no folder created by the check');
  rmSync(tmp, { recursive: true, force: true });
});

test('makeDir: creates missing parents, accepts an existing folder, names a file in the way', () => {
  const base = mkdtempSync(join(tmpdir(), 'dlmk-outdir-'));
  makeDir(join(base, 'a/b'));
  assert.ok(existsSync(join(base, 'a/b')));
  makeDir(join(base, 'a/b'));
  assert.throws(() => makeDir(`${root}package.json/x`), /'.*package\.json' is not a folder/);
  rmSync(base, { recursive: true, force: true });
});

test.run();
