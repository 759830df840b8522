// The token cache: built once, reused, rebuilt (with the reason logged) when the manifest does not
// match the request or the binary is truncated or corrupted; u16 and u32 files; SOTU with GPT-2
// tokenised once and then loaded in well under a second.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SotuCorpus, TextCorpus, TEXT_OPTIONS } from '../../../runtime/data/corpus/index.ts';
import { resolveOptions } from '../../../runtime/data/schema.ts';
import { BytesTokenizer, gpt2Tokenizer, type Tokenizer } from '../../../runtime/data/tokenizers/index.ts';
import { tokenCachePaths, tokenizeCorpus } from '../../../runtime/data/tokens/index.ts';
import { failsWith, tempDir, writeTree } from './helpers.ts';

function setup(train = 'ab\n\nc\n\n\u00e9') {
  const dir = tempDir();
  writeTree(dir, { 'train.txt': train });
  const corpus = new TextCorpus(resolveOptions(TEXT_OPTIONS, { path: { train: 'train.txt' } }, 'text'), dir);
  const lines: string[] = [];
  return { dir, corpus, lines, opts: { cacheDir: join(dir, 'cache'), log: (l: string) => lines.push(l) } };
}

test('built once (tokens back to back, offsets, manifest), then read from the cache', async () => {
  const { corpus, lines, opts } = setup();
  const tok = new BytesTokenizer();
  const f = await tokenizeCorpus(corpus, tok, 'train', opts);
  assert.equal([...f.tokens], [97, 98, 99, 0xc3, 0xa9]);
  assert.equal([...f.docOffsets], [0, 2, 3, 5]);
  const m = f.manifest;
  assert.equal([m.format, m.split, m.dtype, m.counts], ['dlmk.tokens/1', 'train', 'uint16', { documents: 3, tokens: 5 }]);
  assert.equal(m.tokenizer, { id: 'bytes', sha256: tok.sha256, vocabSize: 257 });
  assert.equal(m.corpus, { name: 'text', fingerprint: await corpus.fingerprint() });
  const paths = tokenCachePaths(opts.cacheDir, 'text', 'bytes', 'train');
  assert.is(f.file, paths.bin);
  assert.is(readFileSync(paths.bin).byteLength, m.bytes);
  assert.equal(m.bytes, 12 + 16);
  assert.equal(JSON.parse(readFileSync(paths.manifest, 'utf8')), m);
  assert.match(lines[0]!, /^tokens: text\/train with bytes: 3 documents, 5 tokens in [\d.]+s -> /);
  const again = await tokenizeCorpus(corpus, tok, 'train', opts);
  assert.match(lines[1]!, /^tokens: text\/train with bytes: 3 documents, 5 tokens \(cached /);
  assert.equal([...again.tokens], [...f.tokens]);
  assert.equal([...again.docOffsets], [...f.docOffsets]);
  const u = again.unigram();
  assert.is(u.length, 257);
  assert.equal([u[97], u[0xc3], u[0], u[256]], [1, 1, 0, 0]);
  assert.is(u.reduce((a, b) => a + b, 0), 5);
});

test('a manifest that does not match is rebuilt, with the reason', async () => {
  const { dir, corpus, lines, opts } = setup();
  const tok = new BytesTokenizer();
  await tokenizeCorpus(corpus, tok, 'train', opts);
  // The corpus changed.
  writeTree(dir, { 'train.txt': 'xyz' });
  const changed = new TextCorpus(resolveOptions(TEXT_OPTIONS, { path: { train: 'train.txt' } }, 'text'), dir);
  const f = await tokenizeCorpus(changed, tok, 'train', opts);
  assert.equal([...f.tokens], [120, 121, 122]);
  assert.match(lines[1]!, /^tokens: the cache .*text\.bytes\.train\.json does not match \(the corpus changed \(fingerprint [0-9a-f]{12}, now [0-9a-f]{12}\)\); rebuilding$/);
  // The same id with another vocabulary.
  const other: Tokenizer = Object.assign(Object.create(tok) as Tokenizer, { sha256: 'f'.repeat(64) });
  await tokenizeCorpus(changed, other, 'train', opts);
  assert.match(lines[3]!, /does not match \(the tokenizer's vocabulary changed \(sha256 [0-9a-f]{12}, now ffffffffffff\)\); rebuilding$/);
  // A manifest of another format.
  const { manifest } = tokenCachePaths(opts.cacheDir, 'text', 'bytes', 'train');
  writeFileSync(manifest, JSON.stringify({ ...JSON.parse(readFileSync(manifest, 'utf8')), format: 'dlmk.tokens/0' }));
  await tokenizeCorpus(changed, other, 'train', opts);
  assert.match(lines[5]!, /does not match \(format "dlmk\.tokens\/0", expected 'dlmk\.tokens\/1'\); rebuilding$/);
  writeFileSync(manifest, '{ not json');
  await tokenizeCorpus(changed, other, 'train', opts);
  assert.match(lines[7]!, /\.json is not valid JSON; rebuilding$/);
  await tokenizeCorpus(changed, other, 'train', opts);
  assert.match(lines[9]!, /\(cached /);
});

test('a truncated or corrupted binary is detected and rebuilt with a warning', async () => {
  const { corpus, lines, opts } = setup();
  const tok = new BytesTokenizer();
  const f0 = await tokenizeCorpus(corpus, tok, 'train', opts);
  const { bin } = tokenCachePaths(opts.cacheDir, 'text', 'bytes', 'train');
  const bytes = readFileSync(bin);
  bytes[0] = bytes[0]! ^ 1;
  writeFileSync(bin, bytes);
  const f1 = await tokenizeCorpus(corpus, tok, 'train', opts);
  assert.match(lines[1]!, /^warning: tokens: .*text\.bytes\.train\.bin does not match its sha256 \(corrupted\); rebuilding$/);
  assert.equal([...f1.tokens], [...f0.tokens]);
  truncateSync(bin, 7);
  await tokenizeCorpus(corpus, tok, 'train', opts);
  assert.match(lines[3]!, /^warning: tokens: .*\.bin has 7 bytes, the manifest says 28 \(truncated or corrupted\); rebuilding$/);
  await tokenizeCorpus(corpus, tok, 'train', opts);
  assert.match(lines[5]!, /\(cached /);
});

test('u32 files when V > 65535; ids must be below V; empty documents are dropped', async () => {
  const { corpus, opts } = setup('a\n\n\u00a0\n\nb');
  const base = new BytesTokenizer();
  const wide: Tokenizer = Object.assign(Object.create(base) as Tokenizer, {
    id: 'wide',
    vocabSize: 70_000,
    encode: (s: string) => base.encode(s.trim()).map((x) => x + 65_536),
  });
  const f = await tokenizeCorpus(corpus, wide, 'train', opts);
  assert.is(f.manifest.dtype, 'uint32');
  assert.equal([...f.tokens], [65_536 + 97, 65_536 + 98]);
  assert.equal([...f.docOffsets], [0, 1, 2]);
  const again = await tokenizeCorpus(corpus, wide, 'train', opts);
  assert.equal([...again.tokens], [...f.tokens]);
  const bad: Tokenizer = Object.assign(Object.create(base) as Tokenizer, { id: 'bad', encode: () => Uint32Array.of(1, 257) });
  await failsWith(() => tokenizeCorpus(corpus, bad, 'train', opts), 'tokenizer bad produced id 257 (V = 257) in document 0 of text/train: a tokenizer must give ids below V');
});

test('SOTU with GPT-2: tokenised once, then loaded in well under a second', async () => {
  const cacheDir = tempDir('dlmk-sotu-');
  const lines: string[] = [];
  const gpt2 = await gpt2Tokenizer();
  const built = await tokenizeCorpus(new SotuCorpus(), gpt2, 'train', { cacheDir, log: (l) => lines.push(l) });
  assert.is(built.manifest.counts.documents, 209);
  assert.ok(built.manifest.counts.tokens > 1_500_000, `${built.manifest.counts.tokens} tokens`);
  assert.equal([...built.tokens.subarray(0, 4)], [...gpt2.encode('Fellow-Citizens').subarray(0, 4)]);
  const before = lines.length;
  const t0 = performance.now();
  const loaded = await tokenizeCorpus(new SotuCorpus(), gpt2, 'train', { cacheDir, log: (l) => lines.push(l) });
  const ms = performance.now() - t0;
  console.log(`  SOTU/train with gpt2: ${loaded.manifest.counts.tokens} tokens; ${lines[0]!.replace(/.* in /, 'built in ').replace(/ ->.*/, '')}, loaded in ${ms.toFixed(0)} ms`);
  // A slow build logs progress lines too: the load's line is the one after them.
  assert.is(lines.length, before + 1, lines.join('\n'));
  assert.match(lines[before]!, /\(cached /);
  assert.ok(ms < 1000, `loading took ${ms} ms`);
  assert.equal(loaded.tokens, built.tokens);
});

test.run();
