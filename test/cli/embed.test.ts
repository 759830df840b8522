// `dlmk embed` and `dlmk neighbours` as a user runs them: vectors from a corpus, written and read
// back; a word's graph neighbours are words of its class; bad input gets one clear line.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLASSES, writeToyCorpus } from '../runtime/train/toy-corpus.ts';

const root = mkdtempSync(join(tmpdir(), 'dlmk-embed-cli-'));
const corpus = writeToyCorpus(join(root, 'corpus'), 120, 24);
const cache = join(root, 'cache');
const corpusArg = JSON.stringify({ name: 'text', path: corpus });
const dlmk = (args: string[]) => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], { encoding: 'utf8' });
  assert.not.match(r.stderr, /\n\s+at .*\(/, 'no stack trace');
  return r;
};

test('embed writes vectors that neighbours reads back; a word\'s neighbours share its class', () => {
  const out = join(root, 'toy.safetensors');
  const r = dlmk(['embed', '--corpus', corpusArg, '--tokenizer', 'words', '--source', '{"name":"corpus","dim":16,"minCount":2}', '--out', out, '--cache-dir', cache]);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /wrote .*toy\.safetensors: \d+ tokens x 17 dimensions/);
  assert.ok(existsSync(out));
  const n = dlmk(['neighbours', out, '--token', 'cat', '--token', 'red', '--k', '4']);
  assert.is(n.status, 0, n.stderr);
  const blocks = n.stdout.split(/\n(?=")/);
  for (const [word, cls] of [['cat', CLASSES.animal], ['red', CLASSES.colour]] as const) {
    const b = blocks.find((x) => x.startsWith(`"${word}"`))!;
    const names = [...b.matchAll(/^\s+"([^"]+)"/gm)].map((m) => m[1]!);
    assert.is(names.length, 4);
    const inClass = names.filter((x) => (cls as readonly string[]).includes(x)).length;
    assert.ok(inClass >= 3, `${word}: ${names.join(', ')}`);
  }
});

test('bad input: the out file type, an unknown word, a .npy without a tokenizer', () => {
  const a = dlmk(['embed', '--corpus', corpusArg, '--out', join(root, 'x.txt')]);
  assert.is(a.status, 2);
  assert.match(a.stderr, /must end in \.npy or \.safetensors/);
  const b = dlmk(['neighbours', join(root, 'toy.safetensors'), '--token', 'zebra']);
  assert.is(b.status, 1);
  assert.match(b.stderr, /'zebra' is not a token of the vocabulary/);
  const npy = join(root, 'toy.npy');
  assert.is(dlmk(['embed', '--corpus', corpusArg, '--source', '{"name":"corpus","dim":8,"minCount":2}', '--out', npy, '--cache-dir', cache]).status, 0);
  const c = dlmk(['neighbours', npy, '--token', 'cat']);
  assert.is(c.status, 1);
  assert.match(c.stderr, /--token needs the tokenizer/);
  const d = dlmk(['neighbours', npy, '--id', '5', '--k', '3']);
  assert.is(d.status, 0, d.stderr);
  assert.match(d.stdout, /"#5" \(id 5\): 3 neighbours/);
  const e = dlmk(['embed', '--corpus', '{"name":"text"}', '--out', join(root, 'y.npy')]);
  assert.is(e.status, 1);
  assert.match(e.stderr, /--corpus is not valid:\n\s+\$: is missing the property 'path'/);
});

test.run();
