// The words tokenizer: the word rule, the vocabulary from the train split (frequency, then
// code-unit order), the cache keyed by the corpus fingerprint, decoding with punctuation.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TextCorpus, TEXT_OPTIONS } from '../../../runtime/data/corpus/index.ts';
import { resolveOptions } from '../../../runtime/data/schema.ts';
import { buildWordVocabulary, joinWords, splitWords, wordsTokenizerFor, MASK_MARKER } from '../../../runtime/data/tokenizers/index.ts';
import { createTokenizer } from '../../../runtime/data/plugins.ts';
import { ctxFor, failsWith, tempDir, writeTree } from './helpers.ts';

function corpus(files: Record<string, string>) {
  const dir = tempDir();
  writeTree(dir, files);
  const c = new TextCorpus(resolveOptions(TEXT_OPTIONS, { path: { train: 'train.txt', validation: 'val.txt' } }, 'text'), dir);
  return { dir, c };
}

test('the word rule: words, clitics, numbers, punctuation one by one, lower case by default', () => {
  assert.equal(splitWords("Fellow-Citizens: we don't, it's $1,000.50 (10%)...", true), ['fellow', '-', 'citizens', ':', 'we', 'don', "'t", ',', 'it', "'s", '$', '1,000.50', '(', '10', '%', ')', '.', '.', '.']);
  assert.equal(splitWords('The Nation’s café', false), ['The', 'Nation', '’s', 'café']);
});

test('joinWords re-attaches punctuation and quotes', () => {
  assert.is(joinWords(['fellow', '-', 'citizens', ':', 'we', 'don', "'t", ',', 'it', "'s", '$', '10', '(', 'now', ')', '.']), "fellow-citizens: we don't, it's $10 (now).");
  assert.is(joinWords(['he', 'said', '"', 'yes', '"', 'and', 'left', '.']), 'he said "yes" and left.');
});

test('vocabulary: specials first, then by count, ties in code-unit order; from the train split only', async () => {
  const { c } = corpus({ 'train.txt': 'b a c a b d\n\nB e', 'val.txt': 'zebra zebra zebra zebra' });
  const v = await buildWordVocabulary(c, { size: 6, lowercase: true });
  // Counts: b 3, a 2, then c, d, e once each: c and d fit.
  assert.equal(v.tokens, ['<unk>', '<eos>', '<pad>', 'b', 'a', 'c']);
  assert.equal(v.counts, [0, 0, 0, 3, 2, 1]);
  assert.equal([v.total, v.unknown], [8, 2]);
  const big = await buildWordVocabulary(c, { size: 100, lowercase: false });
  assert.equal(big.tokens.slice(3), ['a', 'b', 'B', 'c', 'd', 'e']);
});

test('a bounded counting table: the rarest tokens are dropped when it overflows, frequent ones counted exactly', async () => {
  // Each document: 'the of and' and two words seen nowhere else (letters only: 'qa', 'qb', ... 'zn').
  const rare = (i: number) => String.fromCharCode(97 + (i % 26)) + String.fromCharCode(97 + Math.floor(i / 26));
  const docs = Array.from({ length: 40 }, (_, i) => `the of and q${rare(i)} z${rare(i)}`).join('\n\n');
  const { c } = corpus({ 'train.txt': docs, 'val.txt': 'zebra' });
  const exact = await buildWordVocabulary(c, { size: 6, lowercase: true });
  const pruned = await buildWordVocabulary(c, { size: 6, lowercase: true }, { maxDistinct: 12 });
  assert.equal(exact.tokens, ['<unk>', '<eos>', '<pad>', 'and', 'of', 'the']);
  assert.equal(pruned.tokens, exact.tokens);
  assert.equal(pruned.counts, [0, 0, 0, 40, 40, 40]);
  assert.equal([pruned.total, pruned.unknown], [200, 80]);
  assert.is(exact.pruneFloor, undefined);
  assert.is(pruned.pruneFloor, 1, 'the words seen once were dropped while counting');
});

test('the tokenizer: ids, <unk>, id with the hash, round trip, the mask marker, lookup', async () => {
  const { dir, c } = corpus({ 'train.txt': 'The people, the union; the people. We, the people, said "no" and don\'t (ever) stop!', 'val.txt': 'x' });
  const t = await wordsTokenizerFor(c, { size: 4096, lowercase: true }, ctxFor(dir));
  assert.equal([t.name, t.eos, t.pad, t.maskSlot.appended], ['words', 1, 2, true]);
  assert.is(t.vocabSize, 3 + 18);
  assert.match(t.id, new RegExp(`^words:${t.vocabSize}:[0-9a-f]{8}$`));
  assert.is(t.id.slice(-8), t.sha256.slice(0, 8));
  assert.equal([t.tokenString(0), t.tokenString(1), t.tokenString(2), t.tokenString(3)], ['<unk>', '<eos>', '<pad>', 'the']);
  assert.equal([...t.encode('The Martians')], [3, 0]);
  const s = 'we, the people, said "no" and don\'t (ever) stop!';
  assert.is(t.decode(t.encode(s)), s);
  assert.is(t.decode([3, t.vocabSize, 3]), `the ${MASK_MARKER} the`);
  assert.equal([t.lookup('people'), t.lookup('People'), t.lookup('martians')], [t.encode('people')[0], t.encode('people')[0], undefined]);
  await failsWith(() => t.decode([t.vocabSize + 1]), `words: id ${t.vocabSize + 1} is neither a token`);
});

test('the vocabulary file: written once, reused, rebuilt when broken; keyed by corpus content and options', async () => {
  const { dir, c } = corpus({ 'train.txt': 'one two two three three three', 'val.txt': 'x' });
  const lines: string[] = [];
  const ctx = ctxFor(dir, join(dir, 'cache'), (l) => lines.push(l));
  const t1 = await wordsTokenizerFor(c, { size: 5, lowercase: true }, ctx);
  assert.is(lines.length, 1);
  assert.match(lines[0]!, /^words vocabulary: 5 tokens from text\/train \(6 tokens, 83\.3% covered\)/);
  const files = readdirSync(join(dir, 'cache', 'vocab'));
  assert.is(files.length, 1);
  const t2 = await wordsTokenizerFor(c, { size: 5, lowercase: true }, ctx);
  assert.is(lines.length, 1, 'the second build reads the file');
  assert.equal([t2.id, t2.sha256], [t1.id, t1.sha256]);
  writeFileSync(join(dir, 'cache', 'vocab', files[0]!), '{"format": "dlmk.words/1", "tokens": [');
  const t3 = await wordsTokenizerFor(c, { size: 5, lowercase: true }, ctx);
  assert.match(lines[1]!, /^words vocabulary: ignoring .*words-text-[0-9a-f]{16}\.json \(not valid JSON\); rebuilding it$/);
  assert.is(t3.id, t1.id);
  // Other options, other content: other files and other ids.
  const t4 = await wordsTokenizerFor(c, { size: 4, lowercase: true }, ctx);
  assert.is.not(t4.id, t1.id);
  writeTree(dir, { 'train.txt': 'one two two three three three four' });
  const c2 = new TextCorpus(resolveOptions(TEXT_OPTIONS, { path: { train: 'train.txt', validation: 'val.txt' } }, 'text'), dir);
  await wordsTokenizerFor(c2, { size: 5, lowercase: true }, ctx);
  assert.is(readdirSync(join(dir, 'cache', 'vocab')).length, 3);
});

test('through the plugin: the corpus is required; an empty train split is an error', async () => {
  const { dir, c } = corpus({ 'train.txt': 'a b', 'val.txt': 'x' });
  const t = await createTokenizer({ name: 'words', size: 8 }, ctxFor(dir), c);
  assert.is(t.vocabSize, 5);
  const { registry } = await import('../../../runtime/plugins/registry.ts');
  const builder = (await registry.get('tokenizer', 'words').create({}, ctxFor(dir))) as { needsCorpus: boolean; build(c?: unknown): Promise<unknown> };
  assert.is(builder.needsCorpus, true);
  await failsWith(() => builder.build(), "tokenizer 'words' builds its vocabulary from the corpus's train split: pass the corpus to build(corpus)");
  const e = corpus({ 'train.txt': '   \n\n ', 'val.txt': 'x' });
  await failsWith(() => createTokenizer({ name: 'words' }, ctxFor(e.dir), e.c), "words tokenizer: the text corpus's train split has no words to build a vocabulary from");
  await failsWith(() => createTokenizer({ name: 'words', size: 2 }, ctxFor(e.dir), e.c), "tokenizer 'words' options are not valid: $.size must be >= 4");
});

test.run();
