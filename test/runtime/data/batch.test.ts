// The batcher: packed rows are slices of the EOS-joined stream, every row once per epoch in a
// (seed, epoch) permutation; sentence rows with EOS, padding and validity; resume exactly after
// restore (across an epoch boundary); unshuffled evaluation rows; the bounds.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Batcher, type TokenFile, type TokenManifest } from '../../../runtime/data/tokens/index.ts';
import { failsWith } from './helpers.ts';

const V = 100;
const EOS = 99;
const PAD = 98;

function tokenFile(docs: number[][], split: 'train' | 'validation' = 'train'): TokenFile {
  const tokens = Uint32Array.from(docs.flat());
  const docOffsets = new Uint32Array(docs.length + 1);
  docs.forEach((d, i) => (docOffsets[i + 1] = docOffsets[i]! + d.length));
  const manifest = {
    format: 'dlmk.tokens/1',
    tokenizer: { id: 'test', sha256: '0', vocabSize: V },
    corpus: { name: 'toy', fingerprint: '0' },
    split,
    counts: { documents: docs.length, tokens: tokens.length },
  } as TokenManifest;
  return { tokens, docOffsets, manifest, file: '', fingerprint: '', unigram: () => new Float64Array(V) };
}

// 10 documents of 1..10 tokens: ids 1..55, T = 55 + 10 = 65 stream ids.
const DOCS = Array.from({ length: 10 }, (_, d) => Array.from({ length: d + 1 }, (_, k) => (d * (d + 1)) / 2 + k + 1));
const STREAM = DOCS.flatMap((d) => [...d, EOS]);
const rows = (x: Uint32Array, L: number) => Array.from({ length: x.length / L }, (_, r) => [...x.subarray(r * L, (r + 1) * L)]);

test('packed: each epoch is every row once, slices of the EOS-joined stream from an offset in [0, T mod L]', () => {
  const L = 6;
  const b = new Batcher(tokenFile(DOCS), { B: 5, L, mode: 'packed', seed: 7, eos: EOS, pad: PAD });
  assert.is(b.rowsPerEpoch, 10);
  const starts = new Set<number>();
  const orders: string[] = [];
  for (let e = 0; e < 4; e++) {
    const got = [...rows(b.next().x0, L), ...rows(b.next().x0, L)];
    const have = got.map((r) => JSON.stringify(r)).sort();
    const slices = (o: number) => Array.from({ length: 10 }, (_, r) => JSON.stringify(STREAM.slice(o + r * L, o + (r + 1) * L))).sort();
    const o = [0, 1, 2, 3, 4, 5].find((k) => JSON.stringify(slices(k)) === JSON.stringify(have));
    assert.ok(o !== undefined, `epoch ${e}: the rows are not the stream's slices from one offset in [0, 5]`);
    starts.add(o!);
    orders.push(got.map((r) => r[0]).join(','));
  }
  assert.ok(new Set(orders).size > 1, 'the order changes between epochs');
  assert.ok(starts.size > 1, 'the offset changes between epochs');
});

test('packed: batches carry epoch and position and run across epochs; the same seed gives the same batches', () => {
  const a = new Batcher(tokenFile(DOCS), { B: 4, L: 6, mode: 'packed', seed: 1, eos: EOS, pad: PAD });
  const b = new Batcher(tokenFile(DOCS), { B: 4, L: 6, mode: 'packed', seed: 1, eos: EOS, pad: PAD });
  const c = new Batcher(tokenFile(DOCS), { B: 4, L: 6, mode: 'packed', seed: 2, eos: EOS, pad: PAD });
  const seen: [number, number][] = [];
  let differs = false;
  for (let i = 0; i < 6; i++) {
    const x = a.next();
    assert.equal(b.next(), x);
    if (JSON.stringify(c.next().x0) !== JSON.stringify(x.x0)) differs = true;
    assert.is(x.valid, null);
    assert.is(x.x0.length, 24);
    seen.push([x.epoch, x.position]);
  }
  assert.equal(seen, [[0, 0], [0, 4], [0, 8], [1, 2], [1, 6], [2, 0]]);
  assert.ok(differs, 'another seed, other batches');
});

test('restore resumes mid-epoch exactly (the batches after restore equal the uninterrupted ones)', () => {
  for (const mode of ['packed', 'sentence'] as const) {
    const o = { B: 3, L: 5, mode, seed: 42, eos: EOS, pad: PAD };
    const ref = new Batcher(tokenFile(DOCS), o);
    const all = Array.from({ length: 15 }, () => ref.next());
    const first = new Batcher(tokenFile(DOCS), o);
    for (let i = 0; i < 5; i++) first.next();
    const saved = JSON.parse(JSON.stringify(first.state()));
    assert.equal(saved, { format: 'dlmk.batcher/1', mode, L: 5, seed: 42, rows: mode === 'packed' ? 13 : 10, tokens: 55, epoch: 1, position: mode === 'packed' ? 2 : 5 });
    const resumed = new Batcher(tokenFile(DOCS), o);
    resumed.restore(saved);
    for (let i = 5; i < 15; i++) assert.equal(resumed.next(), all[i], `${mode} batch ${i}`);
  }
});

test('sentence: one document per row, EOS when it fits, truncated without EOS, padded, valid marks the real positions', () => {
  const b = new Batcher(tokenFile([[1, 2], [3, 4, 5, 6, 7, 8], [9, 10, 11, 12]]), { B: 3, L: 4, mode: 'sentence', seed: 3, eos: EOS, pad: PAD });
  const x = b.next();
  const got = rows(x.x0, 4);
  const valid = rows(x.valid as unknown as Uint32Array, 4);
  const byFirst = new Map(got.map((r, i) => [r[0], { r, v: valid[i] }]));
  assert.equal(byFirst.get(1), { r: [1, 2, EOS, PAD], v: [1, 1, 1, 0] });
  assert.equal(byFirst.get(3), { r: [3, 4, 5, 6], v: [1, 1, 1, 1] });
  assert.equal(byFirst.get(9), { r: [9, 10, 11, 12], v: [1, 1, 1, 1] });
  assert.instance(x.valid, Float32Array);
  const y = b.next();
  assert.equal([y.epoch, y.position], [1, 0]);
});

test('evalRows: the first rows in order, unshuffled (packed from offset 0; sentence by document)', () => {
  const p = new Batcher(tokenFile(DOCS), { B: 2, L: 6, mode: 'packed', seed: 9, eos: EOS, pad: PAD });
  const e = p.evalRows(3);
  assert.equal([e.rows, e.valid], [3, null]);
  assert.equal(rows(e.x0, 6), [STREAM.slice(0, 6), STREAM.slice(6, 12), STREAM.slice(12, 18)]);
  assert.is(p.evalRows(1000).rows, 10);
  assert.equal(p.evalRows(3), e);
  const s = new Batcher(tokenFile(DOCS), { B: 2, L: 3, mode: 'sentence', seed: 9, eos: EOS, pad: PAD });
  const r = s.evalRows(3);
  assert.equal(rows(r.x0, 3), [[1, EOS, PAD], [2, 3, EOS], [4, 5, 6]]);
  assert.equal([...r.valid!], [1, 1, 0, 1, 1, 1, 1, 1, 1]);
});

test('bounds: B and L positive integers, a split smaller than one row, ids, restore on other data', async () => {
  const f = tokenFile([[1, 2, 3], [4, 5]]);
  const o = { B: 2, L: 4, mode: 'packed' as const, seed: 0, eos: EOS, pad: PAD };
  await failsWith(() => new Batcher(f, { ...o, B: 0 }), 'batcher: B (rows per batch) must be a positive integer, got 0');
  await failsWith(() => new Batcher(f, { ...o, L: 1.5 }), 'batcher: L (tokens per row) must be a positive integer, got 1.5');
  await failsWith(() => new Batcher(f, { ...o, L: '8' as unknown as number }), 'batcher: L (tokens per row) must be a positive integer, got "8"');
  await failsWith(() => new Batcher(f, { ...o, L: 2 ** 21 }), 'batcher: L (tokens per row) = 2097152 is more than the 1048576 allowed');
  await failsWith(() => new Batcher(f, { ...o, L: 8 }), 'the toy train split has 5 tokens in 2 documents (7 with separators), fewer than one row of L = 8; use a smaller L or more data');
  await failsWith(() => new Batcher(tokenFile([], 'validation'), { ...o, mode: 'sentence' }), 'the toy validation split has no documents, so no row of L = 4 can be made');
  await failsWith(() => new Batcher(f, { ...o, eos: V }), 'batcher: eos = 100 is not a token of test (0..99)');
  await failsWith(() => new Batcher(f, { ...o, mode: 'rows' as 'packed' }), `batcher: mode must be 'packed' or 'sentence', got "rows"`);
  await failsWith(() => new Batcher(f, o).evalRows(0), 'batcher: maxRows must be a positive integer, got 0');
  const b = new Batcher(f, o);
  const s = b.state();
  await failsWith(() => new Batcher(f, { ...o, seed: 1 }).restore(s), 'batcher: cannot resume: the state is for seed 0, this batcher has seed 1');
  await failsWith(() => new Batcher(f, { ...o, L: 3 }).restore(s), 'batcher: cannot resume: the state is for L = 4, this batcher has L = 3');
  await failsWith(() => new Batcher(tokenFile([[1, 2, 3], [4, 5, 6]]), o).restore(s), 'batcher: cannot resume: the state is for 1 rows of 5 tokens, the train split now gives 2 rows of 6 tokens (the data changed)');
  await failsWith(() => b.restore({ ...s, position: 5 }), 'batcher: cannot resume: epoch 0, position 5 is not a place in this data');
  // B may change on resume.
  new Batcher(f, { ...o, B: 3 }).restore(s);
});

test.run();
