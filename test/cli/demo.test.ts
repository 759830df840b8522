import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, copyFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dlmk = (args: string[]) => spawnSync(process.execPath, ['cli/dlmk.mjs', ...args], { encoding: 'utf8' });

test('dlmk demo --check-only compiles and summarises every shipped kernel', () => {
  const r = dlmk(['demo', '--check-only']);
  assert.is(r.status, 0, r.stderr);
  for (const name of ['masking', 'uniform', 'semdlm', 'semdlm_plus', 'hybrid']) assert.match(r.stdout, new RegExp(`✓ ${name} `));
  assert.match(r.stdout, /5 of 5 kernels checked, compiled and validated\./);
  assert.match(r.stdout, /reset\(unigram\)\s+share global/);
});

test('dlmk demo reports a broken kernel with its location and exits 1', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dlmk-demo-'));
  copyFileSync('kernels/masking.kernel', join(dir, 'masking.kernel'));
  writeFileSync(join(dir, 'broken.kernel'), 'kernel broken "x"\nschedule loglinear(eps = 1e-3)\nchannel jump(nowhere)\nloss elbo\nsampler ancestral(steps = 8) { denoise argmax }\n');
  const r = dlmk(['demo', '--kernels', dir]);
  assert.is(r.status, 1);
  assert.match(r.stdout, /broken\.kernel:3:\d+: error: .*nowhere/);
  assert.match(r.stdout, /1 of 2 kernels checked/);
  assert.not.match(r.stdout + r.stderr, /\n\s+at /); // no stack trace
});

test('the main job end to end at a tiny size: every kernel, the curves, the table, where the report is', () => {
  const out = mkdtempSync(join(tmpdir(), 'dlmk-demo-runs-'));
  const small = [
    'base.budget.steps=4', 'base.validation.every=2', 'base.validation.rows=4', 'base.checkpoint.every=2', 'sampling.steps=[4]', 'sampling.samples=4',
    'evaluation={"likelihood":{"rows":4,"nodes":2,"strata":2},"variance":{"batches":2,"which":"last"},"posterior":{"rows":2,"times":[0.5]},"repair":{"rows":2,"steps":2,"times":[0.5]}}',
    'synthetic={"enabled":true,"budget":{"steps":4},"samples":8,"steps":2,"documents":{"train":64,"validation":16,"test":16}}',
  ];
  const r = dlmk(['demo', '--out', out, ...small.flatMap((s) => ['--set', s])]);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /Validation NELBO \(nats\/token, lower is better\) against training steps:/);
  assert.match(r.stdout, /● masking\s+▲ uniform\s+■ semdlm\s+◆ semdlm_plus/);
  for (const k of ['masking', 'uniform', 'semdlm', 'semdlm_plus', 'held-out data', 'AR reference']) assert.match(r.stdout, new RegExp(`\\| ${k} `));
  assert.match(r.stdout, /report: .*report\.html/);
  assert.ok(existsSync(join(out, 'report.html')));
});

test.run();
