// The fixed tokenizers (gpt2, bert-base-uncased, bytes): known ids, the mask slot, separators,
// round trips, token strings, lookups and the errors for ids that are not tokens.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BytesTokenizer, bertTokenizer, gpt2Tokenizer, MASK_MARKER } from '../../../runtime/data/tokenizers/index.ts';
import { failsWith } from './helpers.ts';

const ids = (a: Uint32Array) => [...a];

test('gpt2: known ids, V 50257, EOS 50256, mask appended at 50257', async () => {
  const t = await gpt2Tokenizer();
  assert.equal([t.name, t.id, t.vocabSize, t.eos, t.pad], ['gpt2', 'gpt2', 50257, 50256, 50256]);
  assert.equal(t.maskSlot, { appended: true });
  assert.equal(ids(t.encode('Hello world')), [15496, 995]);
  assert.equal(ids(t.encode(' the')), [262]);
  assert.match(t.sha256, /^[0-9a-f]{64}$/);
  // Special-token text in a document is text, never the separator.
  const e = t.encode('a<|endoftext|>b');
  assert.ok(!ids(e).includes(50256));
  assert.is(t.decode(e), 'a<|endoftext|>b');
  assert.is(t.decode([15496, 50257, 995, 50256]), 'Hello[MASK] world<|endoftext|>');
});

test('gpt2: round trips, token strings and lookups', async () => {
  const t = await gpt2Tokenizer();
  for (const s of ['The State of the Union is strong.', 'naïve café — 東京 🚀\n\n  spaces', '']) assert.is(t.decode(t.encode(s)), s);
  assert.is(t.tokenString(15496), 'Hello');
  assert.is(t.tokenString(995), ' world');
  assert.is(t.tokenString(50256), '<|endoftext|>');
  assert.is(t.tokenString(50257), MASK_MARKER);
  assert.match(t.tokenString(447), /^\\x[0-9a-f]{2}/);
  assert.is(t.lookup('Hello'), 15496);
  assert.is(t.lookup(' world'), 995);
  assert.is(t.lookup('<|endoftext|>'), 50256);
  assert.is(t.lookup('Hello world'), undefined);
  await failsWith(() => t.decode([1, 50258]), 'gpt2: id 50258 is neither a token (0..50256) nor the mask (50257)');
  await failsWith(() => t.tokenString(-1), 'gpt2: id -1 is neither a token');
});

test('bert-base-uncased: BERT ids, [MASK] 103 moved to V = 30521, the others shifted down above it', async () => {
  const t = await bertTokenizer();
  const b = t as typeof t & { toOriginal(id: number): number; toDlmk(id: number): number };
  assert.equal([t.name, t.id, t.vocabSize], ['bert-base-uncased', 'bert-base-uncased', 30521]);
  assert.equal(t.maskSlot, { appended: false, original: 103 });
  // 'hello world' is [7592, 2088] in BERT; above the mask, so dlmk's ids are one less.
  assert.equal(ids(t.encode('Hello world')).map((i) => b.toOriginal(i)), [7592, 2088]);
  assert.equal(ids(t.encode('Hello world')), [7591, 2087]);
  // 'i like strawberries' is [1045, 2066, 13137, 20968] in BERT.
  assert.equal(ids(t.encode('I like strawberries')), [1044, 2065, 13136, 20967]);
  // Below the mask nothing moves: [PAD] 0, [UNK] 100, [CLS] 101, [SEP] 102.
  assert.equal([t.pad, t.eos, t.lookup('[UNK]'), t.lookup('[CLS]')], [0, 102, 100, 101]);
  assert.equal([b.toDlmk(103), b.toDlmk(104), b.toOriginal(30521), b.toOriginal(30520)], [30521, 103, 103, 30521]);
  assert.is(t.lookup('[MASK]'), undefined);
  // '[MASK]' in a document is text: '[', 'mask', ']'.
  assert.equal(ids(t.encode('[MASK]')).map((i) => t.tokenString(i)), ['[', 'mask', ']']);
});

test('bert-base-uncased: decoding, the mask marker, WordPiece strings, round trip of normalised text', async () => {
  const t = await bertTokenizer();
  assert.is(t.decode([7591, 30521, 2087]), 'hello [MASK] world');
  assert.equal(ids(t.encode('strawberries')).map((i) => t.tokenString(i)), ['straw', '##berries']);
  assert.is(t.lookup('##berries'), 20967);
  assert.is(t.tokenString(30521), MASK_MARKER);
  for (const s of ['the state of the union is strong.', 'we hold these truths, said he, to be self - evident']) assert.is(t.decode(t.encode(s)), s);
  assert.is(t.decode(t.encode('Naïve CAFÉ')), 'naive cafe');
  await failsWith(() => t.decode([30522]), 'bert-base-uncased: id 30522 is neither a token (0..30520) nor the mask (30521)');
});

test('bytes: UTF-8 bytes, EOS 256, mask 257, replacement characters for broken sequences', () => {
  const t = new BytesTokenizer();
  assert.equal([t.vocabSize, t.eos, t.pad, t.maskSlot.appended], [257, 256, 256, true]);
  assert.equal(ids(t.encode('aé')), [97, 0xc3, 0xa9]);
  for (const s of ['plain', 'naïve 東京 🚀', '']) assert.is(t.decode(t.encode(s)), s);
  assert.is(t.decode([0xc3]), '\uFFFD');
  assert.is(t.decode([104, 105, 256, 0xe6, 0x9d, 257, 33]), 'hi<eos>\uFFFD[MASK]!');
  assert.equal([t.tokenString(65), t.tokenString(10), t.tokenString(256), t.tokenString(257)], ['A', '<0x0A>', '<eos>', '[MASK]']);
  assert.equal([t.lookup('A'), t.lookup('<0x0a>'), t.lookup('<eos>'), t.lookup('é'), t.lookup('[MASK]')], [65, 10, 256, undefined, undefined]);
  assert.throws(() => t.decode([258]), /bytes: id 258 is neither a token \(0\.\.256\) nor the mask \(257\)/);
});

test.run();
