// `dlmk sample` and sample() on a tiny model trained here on the toy corpus: a prefix is continued
// with decodable text and never changes, clamped positions hold, the same seed gives the same text,
// JSONL and trace outputs; every bad input is one clear paragraph with a non-zero exit code.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { train } from '../../runtime/train/index.ts';
import { sample } from '../../runtime/sample/generate.ts';
import { toySpec, writeToyCorpus } from '../runtime/train/toy-corpus.ts';

const root = mkdtempSync(join(tmpdir(), 'dlmk-sample-cli-'));
const corpus = writeToyCorpus(join(root, 'corpus'), 120, 24);
const run = join(root, 'run');
const dlmk = (args: string[]) => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], { encoding: 'utf8' });
  assert.not.match(r.stderr, /\n\s+at .*\(/, 'no stack trace');
  return r;
};

test('train a tiny masking model (the fixture)', async () => {
  const spec = toySpec(corpus, 'masking', { model: { arch: 'dit', size: 'tiny', hidden: 64, heads: 2, dropout: 0 }, budget: { steps: 150 }, validation: { every: 0, rows: 8, grid: 4 } });
  (spec['data'] as Record<string, unknown>)['cacheDir'] = join(root, 'cache');
  const r = await train(spec, { out: run });
  assert.is(r.step, 150);
});

test('a prefix is continued with decodable text; the prefix never changes; same seed, same text', async () => {
  const a = await sample(run, { n: 4, steps: 32, seed: 5, prefix: 'the big cat' });
  const b = await sample(run, { n: 4, steps: 32, seed: 5, prefix: 'the big cat' });
  assert.equal(a.samples.map((s) => s.ids), b.samples.map((s) => s.ids));
  for (const s of a.samples) {
    assert.ok(s.text.startsWith('the big cat'), s.text);
    assert.is(s.ids.length, 32);
    assert.not.match(s.text, /\[MASK\]/); // denoise argmax fills every position
    const words = s.text.split(/\s+/);
    assert.ok(words.length >= 16, s.text);
  }
  const c = await sample(run, { n: 4, steps: 32, seed: 6, prefix: 'the big cat' });
  assert.not.equal(c.samples.map((s) => s.ids), a.samples.map((s) => s.ids));
  // Infilling: positions 3 and 7 hold their words.
  const d = await sample(run, { n: 3, steps: 32, seed: 1, clamp: { 3: 'dog', 7: 'barn' } });
  for (const s of d.samples) {
    assert.is(s.text.split(/\s+/)[3], 'dog');
  }
  // Another length than the training length.
  const e = await sample(run, { n: 2, steps: 16, length: 48 });
  assert.is(e.samples[0]!.ids.length, 48);
});

test('dlmk sample prints the samples and writes JSONL and a trace', () => {
  const out = join(root, 'samples.jsonl');
  const tr = join(root, 'trace.jsonl');
  const r = dlmk(['sample', run, '--n', '2', '--steps', '16', '--prefix', 'a red', '--out', out, '--trace', tr, '--quiet']);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /2 samples of 32 tokens from .*step-00000150 \(ema weights\): ancestral, 16 steps, NFE \d+/);
  assert.match(r.stdout, /\[0\] a red /);
  const lines = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { ids: number[]; text: string; steps: number; settings: { predictor: string } });
  assert.is(lines.length, 2);
  assert.is(lines[0]!.ids.length, 32);
  assert.is(lines[0]!.settings.predictor, 'ancestral');
  const states = readFileSync(tr, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { step: number; ids: number[][] });
  assert.ok(states.length >= 17, String(states.length));
  assert.is(states[0]!.ids.length, 2);
});

test('bad input: one clear paragraph, non-zero exit', () => {
  const cases: [string[], RegExp][] = [
    [['sample', join(root, 'nowhere')], /no such folder/],
    [['sample', run, '--steps', '0'], /--steps must be >= 1/],
    [['sample', run, '--predictor', 'self_correct'], /self_correct/],
    [['sample', run, '--prefix', 'the zebra'], /'zebra' is not in the vocabulary/],
    [['sample', run, '--prefix', 'the cat '.repeat(20), '--length', '8'], /the prefix is \d+ tokens, longer than the length 8/],
    [['sample', run, '--option', 'eta=0.1'], /ancestral has no option 'eta'/],
  ];
  for (const [args, want] of cases) {
    const r = dlmk([...args, '--quiet']);
    assert.ok(r.status !== 0, args.join(' '));
    assert.match(r.stderr, want, `${args.join(' ')}: ${r.stderr}`);
  }
  // A checkpoint copied out of its run folder is refused: it needs the run's data and kernel.
  const lone = join(root, 'lone');
  mkdirSync(lone);
  cpSync(join(run, 'checkpoints', 'step-00000150'), join(lone, 'ck'), { recursive: true });
  const r = dlmk(['sample', join(lone, 'ck')]);
  assert.is(r.status, 1);
  assert.match(r.stderr, /is a checkpoint outside a dlmk run folder/);
  // A foreign checkpoint: a run folder whose kernel.spec.json is not the one the model was trained with.
  const foreign = join(root, 'foreign');
  cpSync(run, foreign, { recursive: true });
  const spec = JSON.parse(readFileSync(join(foreign, 'kernel.spec.json'), 'utf8')) as { doc: string };
  spec.doc = 'edited';
  writeFileSync(join(foreign, 'kernel.spec.json'), JSON.stringify(spec));
  const f = dlmk(['sample', foreign]);
  assert.is(f.status, 1);
  assert.match(f.stderr, /was trained with another kernel spec/);
});

test.run();
