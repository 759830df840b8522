// `dlmk train` as a user runs it, on bad input: each error is one paragraph that names what is
// wrong and where, exit code 1 (2 for usage), no stack trace, and nothing overwritten.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toySpec, writeToyCorpus } from '../runtime/train/toy-corpus.ts';

const root = mkdtempSync(join(tmpdir(), 'dlmk-train-cli-'));
const corpus = writeToyCorpus(join(root, 'corpus'), 60, 20);
const cache = join(root, 'cache');

function spec(over: Record<string, unknown> = {}, kernel: string | null = 'masking'): Record<string, unknown> {
  const base = toySpec(corpus, kernel, { budget: { steps: 6 }, validation: { every: 0, rows: 4, grid: 2 }, checkpoint: { every: 2, keep: 5 }, optimizer: { warmupSteps: 1 }, ...over });
  (base['data'] as Record<string, unknown>)['cacheDir'] = cache;
  return base;
}

function write(name: string, doc: unknown): string {
  const f = join(root, name);
  writeFileSync(f, typeof doc === 'string' ? doc : JSON.stringify(doc, null, 2));
  return f;
}

function dlmk(args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], { encoding: 'utf8' });
  assert.not.match(r.stderr, /\n\s+at .*\(/, 'no stack trace');
  return r;
}

test('a run spec that is not JSON: the file, line and column', () => {
  const f = write('broken.json', '{\n  "format": "dlmk.run/1",\n  "data": {,\n}');
  const r = dlmk(['train', f]);
  assert.is(r.status, 1);
  assert.match(r.stderr, /broken\.json is not valid:\n\s+\$: not JSON at line 3, column \d+/);
});

test('a wrong field: the same JSON-path message from train and validate', () => {
  const f = write('bad-batch.json', spec({ batchSize: 0, optimizer: { lr: -1 } }));
  const t = dlmk(['train', f]);
  const v = dlmk(['validate', f]);
  assert.is(t.status, 1);
  assert.is(v.status, 1);
  for (const r of [t, v]) {
    assert.match(r.stderr, /\$\.batchSize: must be >= 1/);
    assert.match(r.stderr, /\$\.optimizer\.lr: must be > 0/);
  }
});

test('--set: bad syntax, a bad value, and an unknown option', () => {
  const f = write('ok.json', spec());
  const a = dlmk(['train', f, '--set', 'optimizer.lr']);
  assert.is(a.status, 1);
  assert.match(a.stderr, /--set takes PATH=VALUE with a dotted path, as in --set optimizer.lr=1e-4; got 'optimizer.lr'/);
  const b = dlmk(['train', f, '--set', 'data.mode=shuffled']);
  assert.match(b.stderr, /\$\.data\.mode: must be one of "packed", "sentence"/);
  const c = dlmk(['train', f, '--sett', 'x=1']);
  assert.is(c.status, 2);
  assert.match(c.stderr, /unknown option '--sett'/);
});

test('a missing corpus names its path', () => {
  const s = spec();
  (s['data'] as Record<string, unknown>)['corpus'] = { name: 'text', path: join(root, 'no-such-folder') };
  const r = dlmk(['train', write('nocorpus.json', s), '--out', join(root, 'out-nocorpus')]);
  assert.is(r.status, 1);
  assert.match(r.stderr, /no-such-folder/);
  assert.match(r.stderr, /does not exist|no such|not found/i);
});

test('a kernel that does not compile: file:line:col', () => {
  const k = write('broken.kernel', 'kernel broken\nschedule loglinear(eps = 1e-3)\nchannel jump(nowhere)\nloss elbo\nsampler ancestral(steps = 8)\n');
  const r = dlmk(['train', write('badkernel.json', spec({ kernel: { path: k } })), '--out', join(root, 'out-badkernel')]);
  assert.is(r.status, 1);
  assert.match(r.stderr, /broken\.kernel:3:14: error: the graph 'nowhere' is used but never declared/);
});

test("a kernel input whose size is not the tokenizer's vocabulary", () => {
  const dist = write('dist.json', JSON.stringify([0.5, 0.5]));
  const k = write('file-reset.kernel', `kernel file_reset\nschedule loglinear(eps = 1e-3)\nchannel mask weight 0.5\nchannel reset("${dist}") weight 0.5\nloss elbo\nsampler ancestral(steps = 8)\n`);
  const r = dlmk(['train', write('distsize.json', spec({ kernel: { path: k } })), '--out', join(root, 'out-dist')]);
  assert.is(r.status, 1);
  assert.match(r.stderr, /dist\.json: 2 values, but the vocabulary has \d+ tokens/);
  const emb = write('emb.json', JSON.stringify([[1, 0], [0, 1], [1, 1]]));
  const r2 = dlmk(['train', write('embsize.json', spec({ kernel: { path: 'semdlm_plus' }, embeddings: { name: 'file', path: emb } })), '--out', join(root, 'out-emb')]);
  assert.is(r2.status, 1);
  assert.match(r2.stderr, /emb\.json|3 token vectors|3 rows/);
  assert.match(r2.stderr, /vocabulary|tokenizer/);
});

test('a batch that cannot fit says which size to lower', () => {
  const s = spec({ batchSize: 65536, model: { arch: 'dit', size: 'small' } });
  (s['data'] as Record<string, unknown>)['length'] = 256;
  const r = dlmk(['train', write('huge.json', s), '--out', join(root, 'out-huge')]);
  assert.is(r.status, 1);
  assert.match(r.stderr, /one step at batchSize 65536 and length 256 needs about [\d.]+ GiB/);
  assert.match(r.stderr, /lower batchSize/);
});

test("a batch whose logits exceed the adapter's storage binding: the batchSize and accumulate that fit", async () => {
  const { getGpu } = await import('../../runtime/gpu/index.ts');
  const limit = (await getGpu()).limits.maxStorageBufferBindingSize;
  const L = 32;
  // The toy corpus has a few dozen word types (at least 40 ids with <unk> and the separator).
  const B = Math.ceil((limit + 1) / (4 * L * 40));
  const s = spec({ batchSize: B });
  const r = dlmk(['train', write('wide.json', s), '--out', join(root, 'out-wide')]);
  assert.is(r.status, 1, r.stderr);
  const w = new RegExp(`batchSize ${B} at length ${L} makes \\[${B * L}, (\\d+)\\] logits per micro-batch`).exec(r.stderr);
  assert.ok(w, r.stderr);
  const V = Number(w![1]);
  assert.ok(V >= 40 && 4 * B * L * V > limit);
  const m = /batchSize (\d+) with optimizer\.accumulate (\d+) keeps about (\d+) sequences/.exec(r.stderr);
  assert.ok(m, r.stderr);
  assert.ok(4 * Number(m![1]) * L * V <= limit, 'the suggested batch fits');
  assert.ok(Number(m![1]) * Number(m![2]) >= B, 'and keeps the batch');
  assert.not.ok(existsSync(join(root, 'out-wide', 'checkpoints')), 'nothing written');
});

test('an occupied output folder is refused, nothing overwritten', () => {
  const out = join(root, 'occupied');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'notes.txt'), 'mine');
  const r = dlmk(['train', write('occ.json', spec()), '--out', out]);
  assert.is(r.status, 1);
  assert.match(r.stderr, /already holds files; resume that run with --resume/);
  assert.is(readFileSync(join(out, 'notes.txt'), 'utf8'), 'mine');
});

test('a loss that overflows stops at its step and keeps the last good checkpoint', () => {
  // weighted_ce's weight jumps to 1e38 for t > 0.97: the first batch with such a time overflows f32.
  const k = write('overflow.kernel', 'kernel overflow\nschedule loglinear(eps = 1e-3)\nchannel mask\nloss weighted_ce(if(t > 0.97, 1e38, 1))\nsampler ancestral(steps = 8)\n');
  const out = join(root, 'out-nan');
  const r = dlmk(['train', write('nan.json', spec({ kernel: { path: k }, budget: { steps: 40 }, checkpoint: { every: 1, keep: 50 } })), '--out', out, '--quiet']);
  assert.is(r.status, 1);
  const m = /training stopped at step (\d+): the (loss|gradient) is not finite \(NaN or Inf\)\. The last good checkpoint, (\S+), is intact/.exec(r.stderr);
  assert.ok(m, r.stderr);
  const step = Number(m![1]);
  assert.ok(step > 1, `stopped at ${step}`);
  assert.match(m![3]!, new RegExp(`step-${String(step - 1).padStart(8, '0')},?$`));
  assert.ok(!existsSync(join(out, 'checkpoints', `step-${String(step).padStart(8, '0')}`)));
  assert.ok(existsSync(join(out, 'checkpoints', `step-${String(step - 1).padStart(8, '0')}`, 'manifest.json')));
});

test('resume: a truncated newest checkpoint is passed over; when none loads, a clear error', () => {
  const out = join(root, 'out-trunc');
  const f = write('trunc.json', spec());
  assert.is(dlmk(['train', f, '--out', out, '--quiet']).status, 0);
  const ck = join(out, 'checkpoints');
  const dirs = readdirSync(ck).sort();
  truncateSync(join(ck, dirs[dirs.length - 1]!, 'model.safetensors'), 100);
  const r = dlmk(['train', '--resume', out, '--set', 'budget.steps=8']);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stderr, /passing over .*step-00000006: .*model\.safetensors: size mismatch: 100 bytes/);
  assert.match(r.stderr, /resumed from .*step-00000004 at step 4/);
  for (const d of readdirSync(ck)) truncateSync(join(ck, d, 'model.safetensors'), 64);
  const r2 = dlmk(['train', '--resume', out, '--set', 'budget.steps=10']);
  assert.is(r2.status, 1);
  assert.match(r2.stderr, /no checkpoint of .* loads, so the run cannot resume/);
});

test('resume with changed embeddings: the graph hash differs, refused', () => {
  const emb = join(root, 'emb20.json');
  const rows = (shift: number) => Array.from({ length: 20 }, (_, i) => [Math.cos(i + shift), Math.sin(i * 1.3), Math.cos(i * 0.7 + shift), 1]);
  writeFileSync(emb, JSON.stringify(rows(0)));
  const s = spec({ kernel: { path: 'semdlm_plus' }, embeddings: { name: 'file', path: emb }, budget: { steps: 2 }, checkpoint: { every: 1, keep: 2 } });
  (s['data'] as Record<string, unknown>)['tokenizer'] = { name: 'words', size: 20 };
  const out = join(root, 'out-graph');
  const r = dlmk(['train', write('graph.json', s), '--out', out, '--quiet']);
  assert.is(r.status, 0, r.stderr);
  writeFileSync(emb, JSON.stringify(rows(1.5)));
  const r2 = dlmk(['train', '--resume', out, '--set', 'budget.steps=3']);
  assert.is(r2.status, 1);
  assert.match(r2.stderr, /the kernel's graph 'near' changed since .* was written \(hash [0-9a-f]+, now [0-9a-f]+\)/);
});

test('--resume of a folder without a run', () => {
  const r = dlmk(['train', '--resume', join(root, 'nothing-here')]);
  assert.is(r.status, 1);
  assert.match(r.stderr, /there is no run there \(no run\.json\)/);
});

test.run();
