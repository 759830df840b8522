// A run killed at any moment continues exactly: `dlmk train` is killed with SIGKILL between two
// checkpoints (and, in a second run, stopped with SIGTERM, which writes a checkpoint first), resumed
// with --resume, and its final weights, AdamW moments and EMA are compared bit for bit with an
// uninterrupted run of the same spec; so are the metrics (loss, lr, gradient norm, validation).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toySpec, writeToyCorpus } from './toy-corpus.ts';

const root = mkdtempSync(join(tmpdir(), 'dlmk-resume-'));
const corpus = writeToyCorpus(join(root, 'corpus'), 80, 24);
const specFile = join(root, 'run.json');
writeFileSync(
  specFile,
  JSON.stringify(
    toySpec(corpus, 'masking', {
      model: { arch: 'dit', size: 'tiny', dropout: 0.1 },
      budget: { steps: 60 },
      validation: { every: 30, rows: 8, grid: 4 },
      checkpoint: { every: 20, keep: 3 },
      log: { every: 5 },
      data: { ...(toySpec(corpus, null).data as object), cacheDir: join(root, 'cache') },
    }),
  ),
);
const CLI = ['--import', 'tsx', 'cli/main.ts'];

function dlmk(args: string[]) {
  return spawnSync(process.execPath, [...CLI, ...args], { encoding: 'utf8' });
}

/** Starts a run and sends `signal` once metrics.jsonl has a line with step >= `atStep`; resolves with the exit code. */
function interrupted(out: string, atStep: number, signal: NodeJS.Signals): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...CLI, 'train', specFile, '--out', out, '--quiet'], { stdio: 'ignore' });
    const timer = setInterval(() => {
      const f = join(out, 'metrics.jsonl');
      if (!existsSync(f)) return;
      const steps = readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { step: number }).step);
      if (steps.some((s) => s >= atStep)) {
        clearInterval(timer);
        child.kill(signal);
      }
    }, 20);
    child.on('exit', (code, sig) => {
      clearInterval(timer);
      resolve(code ?? (sig === 'SIGKILL' ? 137 : null));
    });
  });
}

const finalManifest = (out: string) => JSON.parse(readFileSync(join(out, 'checkpoints', 'step-00000060', 'manifest.json'), 'utf8')) as { files: Record<string, { sha256: string }> };
const metricLines = (out: string) =>
  readFileSync(join(out, 'metrics.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => {
    const { tokensPerSec: _a, seconds: _b, ...rest } = JSON.parse(l) as Record<string, unknown>;
    return rest;
  });

test('an uninterrupted run, for reference', () => {
  const r = dlmk(['train', specFile, '--out', join(root, 'a'), '--quiet']);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /trained 60\/60 steps/);
});

test('SIGKILL between checkpoints, then --resume: the same bits as the uninterrupted run', async () => {
  const out = join(root, 'b');
  const code = await interrupted(out, 25, 'SIGKILL');
  assert.is(code, 137);
  assert.ok(!existsSync(join(out, 'checkpoints', 'step-00000060')), 'the run was killed before its end');
  const r = dlmk(['train', '--resume', out, '--quiet']);
  assert.is(r.status, 0, r.stderr);
  const a = finalManifest(join(root, 'a'));
  const b = finalManifest(out);
  for (const role of ['weights', 'optimizer', 'ema']) assert.is(b.files[role]!.sha256, a.files[role]!.sha256, role);
  assert.equal(metricLines(out), metricLines(join(root, 'a')));
});

test('SIGTERM writes a checkpoint and exits 130; --resume finishes with the same bits', async () => {
  const out = join(root, 'c');
  const code = await interrupted(out, 7, 'SIGTERM');
  assert.is(code, 130);
  const r = dlmk(['train', '--resume', out, '--quiet']);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stderr + r.stdout, /trained 60\/60/);
  assert.is(finalManifest(out).files['weights']!.sha256, finalManifest(join(root, 'a')).files['weights']!.sha256);
  assert.equal(metricLines(out), metricLines(join(root, 'a')));
});

test('a resume may extend the budget, and refuses other settings', () => {
  const out = join(root, 'a');
  const r = dlmk(['train', '--resume', out, '--set', 'optimizer.lr=0.1', '--quiet']);
  assert.is(r.status, 1);
  assert.match(r.stderr, /belongs to a run with other settings/);
  assert.not.match(r.stderr, /\n\s+at /);
  const r2 = dlmk(['train', '--resume', out, '--set', 'budget.steps=65', '--quiet']);
  assert.is(r2.status, 0, r2.stderr);
  assert.match(r2.stdout, /trained 65\/65 steps/);
});

test.run();
