// The language commands. Most cases call each command in this process with a captured context
// (start-up of a fresh process dominates otherwise); two cases run `node cli/dlmk.mjs` for real
// to check exit codes and that no stack trace is printed without --debug.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from '../../cli/command.ts';
import { UsageError } from '../../cli/command.ts';
import check from '../../cli/commands/check.ts';
import compile from '../../cli/commands/compile.ts';
import validate from '../../cli/commands/validate.ts';
import fmt from '../../cli/commands/fmt.ts';
import diagrams from '../../cli/commands/diagrams.ts';
import { checkAgainst } from '../../specs/validate.ts';
import { diagramsHtml } from '../../grammar/index.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'dlmk-cli-'));
const STACK = /^\s+at .+:\d+:\d+\)?$/m;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command as cli/main.ts would: a UsageError prints one line and sets its exit code. */
async function run(cmd: Command, ...argv: string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const ctx = {
    argv,
    debug: false,
    stdout: (s: string) => void (stdout += s.endsWith('\n') ? s : s + '\n'),
    stderr: (s: string) => void (stderr += s.endsWith('\n') ? s : s + '\n'),
  };
  const cwd = process.cwd();
  process.chdir(root);
  try {
    return { code: await cmd.run(ctx), stdout, stderr };
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    return { code: err.code, stdout, stderr: stderr + `dlmk ${cmd.name}: ${err.message}\n` };
  } finally {
    process.chdir(cwd);
  }
}

function spawnDlmk(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(root, 'cli/dlmk.mjs'), ...args], { cwd: root }, (err, stdout, stderr) => {
      const code = err ? (err as { code?: unknown }).code : 0;
      resolve({ code: typeof code === 'number' ? code : -1, stdout, stderr });
    });
  });
}

// Started now, awaited by the last test: they run while the in-process cases do.
const spawned = Promise.all([
  spawnDlmk('check', 'kernels/masking.kernel'),
  spawnDlmk('check', 'test/fixtures/invalid/unknown-schedule.kernel', 'no/such.kernel'),
  spawnDlmk('compile', 'kernels/masking.kernel'),
]);

test('check: exit 0 and one line per valid file', async () => {
  const r = await run(check, 'kernels/masking.kernel', 'kernels/semdlm_plus.kernel');
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /^kernels\/masking\.kernel: ok \(kernel masking: mask, schedule loglinear, loss elbo, sampler ancestral\)$/m);
  assert.match(r.stdout, /^kernels\/semdlm_plus\.kernel: ok \(kernel semdlm_plus: jump\(near\) \+ reset\(unigram\)/m);
  assert.is(r.stderr, '');
});

test('check: exit 1 with every diagnostic, the missing path named, the valid file still checked', async () => {
  const r = await run(check, 'test/fixtures/invalid/syntax-and-semantic.kernel', 'no/such.kernel', 'kernels/uniform.kernel');
  assert.is(r.code, 1);
  assert.match(r.stderr, /test\/fixtures\/invalid\/syntax-and-semantic\.kernel:8:12: error: a param needs ':'/);
  assert.match(r.stderr, /syntax-and-semantic\.kernel:10:10: error: unknown schedule 'loglinaer'/);
  assert.match(r.stderr, /\n {2}10 \| schedule loglinaer\(eps = 1e-3\)\n {5}\| {10}\^{9}\n/);
  assert.match(r.stderr, /syntax-and-semantic\.kernel: 3 errors/);
  assert.match(r.stderr, /cannot read 'no\/such\.kernel': no such file/);
  assert.match(r.stdout, /kernels\/uniform\.kernel: ok/);
  const usage = await run(check);
  assert.is(usage.code, 2);
  assert.match(usage.stderr, /name at least one \.kernel file/);
  const badSet = await run(check, 'kernels/masking.kernel', '--set', 'gamma');
  assert.is(badSet.code, 2);
  assert.match(badSet.stderr, /--set takes name=value, as in --set gamma=0\.8; got 'gamma'/);
});

test('compile: writes OUT/NAME.spec.json, valid against the schema, with the overrides in force', async () => {
  const out = join(tmp, 'out');
  const r = await run(compile, 'kernels/semdlm_plus.kernel', '--out', out, '--set', 'gamma=0.8', '--set', 'k=16');
  assert.is(r.code, 0, r.stderr);
  const path = join(out, 'semdlm_plus.spec.json');
  assert.match(r.stdout, /wrote .*semdlm_plus\.spec\.json/);
  const spec = JSON.parse(readFileSync(path, 'utf8')) as { graphs: Array<{ k: number }>; params: Array<{ name: string; value: unknown }> };
  assert.equal(checkAgainst('kernel', spec), []);
  assert.is(spec.graphs[0]!.k, 16);
  assert.is(spec.params.find((p) => p.name === 'gamma')!.value, 0.8);
  const v = await run(validate, path);
  assert.is(v.code, 0, v.stderr);
  assert.match(v.stdout, /valid kernel spec \(dlmk\.kernel\/1\)/);
});

test('compile: an override out of range fails with its location and writes nothing; a missing --out is a usage error', async () => {
  const r = await run(compile, 'kernels/semdlm_plus.kernel', '--out', join(tmp, 'out2'), '--set', 'k=300');
  assert.is(r.code, 1);
  assert.match(r.stderr, /semdlm_plus\.kernel:5:7: error: --set k=300: 300 is outside the range \[1, 256\] of 'k'/);
  assert.match(r.stderr, /nothing written/);
  const usage = await run(compile, 'kernels/masking.kernel');
  assert.is(usage.code, 2);
  assert.match(usage.stderr, /^dlmk compile: say where the spec goes with --out DIR/);
  const unknown = await run(compile, 'kernels/masking.kernel', '--outt', 'x');
  assert.is(unknown.code, 2);
  assert.match(unknown.stderr, /unknown option '--outt'; this command takes --out, --embeddings, --tensor, --classes, --set/);
});

test('validate: JSON paths for a broken spec, a clear error for an unknown format or non-JSON', async () => {
  const out = join(tmp, 'v');
  await run(compile, 'kernels/semdlm_plus.kernel', '--out', out);
  const spec = JSON.parse(readFileSync(join(out, 'semdlm_plus.spec.json'), 'utf8')) as Record<string, unknown>;
  (spec['channels'] as Array<Record<string, unknown>>)[0]!['operator'] = { op: 'teleport' };
  delete spec['hops'];
  const bad = join(tmp, 'bad.spec.json');
  writeFileSync(bad, JSON.stringify(spec));
  writeFileSync(join(tmp, 'other.json'), JSON.stringify({ format: 'dlmk.recipe/9' }));
  writeFileSync(join(tmp, 'noformat.json'), JSON.stringify({ name: 'x' }));
  writeFileSync(join(tmp, 'broken.json'), '{\n  "format": "dlmk.kernel/1",\n  oops\n}');
  const r = await run(validate, bad);
  assert.is(r.code, 1);
  assert.match(r.stderr, /not a valid kernel spec \(dlmk\.kernel\/1\)/);
  assert.match(r.stderr, /\$\.channels\[0\]\.operator/);
  assert.match(r.stderr, /\$: is missing the property 'hops'/);
  const other = await run(validate, join(tmp, 'other.json'));
  assert.is(other.code, 1);
  assert.match(other.stderr, /unknown format "dlmk\.recipe\/9"; dlmk validates .*'dlmk\.kernel\/1'/);
  const noformat = await run(validate, join(tmp, 'noformat.json'));
  assert.match(noformat.stderr, /has no "format" field/);
  const broken = await run(validate, join(tmp, 'broken.json'));
  assert.is(broken.code, 1);
  assert.match(broken.stderr, /broken\.json: not JSON at line 3, column 3/);
  const missing = await run(validate, join(tmp, 'absent.json'));
  assert.is(missing.code, 1);
  assert.match(missing.stderr, /cannot read '.*absent\.json': no such file/);
});

test('fmt: prints the canonical form; --check lists unformatted files; --write fixes them', async () => {
  const messy = join(tmp, 'messy.kernel');
  writeFileSync(messy, 'kernel messy\nschedule   linear\nchannel mask ; loss elbo\nsampler ancestral(steps=4){denoise argmax}\n');
  const canonical = 'kernel messy\nschedule linear\nchannel mask\nloss elbo\nsampler ancestral(steps = 4) { denoise argmax }\n';
  const printed = await run(fmt, messy);
  assert.is(printed.code, 0, printed.stderr);
  assert.is(printed.stdout, canonical);
  const checked = await run(fmt, '--check', messy, 'kernels/hybrid.kernel');
  assert.is(checked.code, 1);
  assert.match(checked.stdout, /messy\.kernel: not formatted/);
  assert.not.match(checked.stdout, /hybrid/);
  const written = await run(fmt, '--write', messy);
  assert.is(written.code, 0, written.stderr);
  assert.is(readFileSync(messy, 'utf8'), canonical);
  assert.is((await run(fmt, '--check', messy)).code, 0);
  const broken = await run(fmt, 'test/fixtures/invalid/syntax-unclosed-block.kernel');
  assert.is(broken.code, 1);
  assert.match(broken.stderr, /the sampler's rules need a closing '}'/);
  assert.match(broken.stderr, /not formatted, because it does not parse/);
  assert.is((await run(fmt, messy, messy)).code, 2);
});

test('diagrams: the self-contained HTML page', async () => {
  const r = await run(diagrams);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, diagramsHtml());
});

test('as a process: exit codes, diagnostics on stderr, no stack trace without --debug', async () => {
  const [ok, bad, usage] = await spawned;
  assert.is(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /masking\.kernel: ok/);
  assert.is(bad.code, 1);
  assert.match(bad.stderr, /unknown-schedule\.kernel:\d+:10: error: unknown schedule 'loglinaer'/);
  assert.match(bad.stderr, /cannot read 'no\/such\.kernel': no such file/);
  assert.is(usage.code, 2);
  assert.match(usage.stderr, /^dlmk compile: say where the spec goes with --out DIR/);
  for (const r of [ok, bad, usage]) assert.not.match(r.stderr, STACK);
});

test.run();
