// PPMI of windowed co-occurrence (runtime/data/embed/ppmi.ts, docs/embeddings.md) on a corpus
// small enough to count by hand; the window stops at document ends, a token twice within the
// window counts from both ends, rare tokens drop out; every corpus error names the entry.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkCorpus, distanceWeights, ppmiMatrix, type PpmiMatrix, type PpmiOptions } from '../../../../runtime/data/embed/ppmi.ts';
import { throwsWith } from './errors.ts';


function corpus(docs: number[][]): { tokens: Uint32Array; docOffsets: Uint32Array } {
  const tokens = Uint32Array.from(docs.flat());
  const docOffsets = new Uint32Array(docs.length + 1);
  docs.forEach((d, i) => (docOffsets[i + 1] = docOffsets[i]! + d.length));
  return { tokens, docOffsets };
}

/** Row -> (column token id -> value), by token ids. */
function entries(m: PpmiMatrix): Map<number, Map<number, number>> {
  const out = new Map<number, Map<number, number>>();
  for (let r = 0; r < m.n; r++) {
    const row = new Map<number, number>();
    for (let k = m.rowPtr[r]!; k < m.rowPtr[r + 1]!; k++) row.set(m.ids[m.col[k]!]!, m.val[k]!);
    out.set(m.ids[r]!, row);
  }
  return out;
}

// Documents [0 1 2 0], [1 2], [0 0]; V = 4 (token 3 never occurs); window 2, harmonic weights 1/d.
// Pairs within a document at distance <= 2, weight 1/d:
//   doc 1: (0,1) 1, (0,2) 1/2, (1,2) 1, (1,0) 1/2, (2,0) 1;  doc 2: (1,2) 1;  doc 3: (0,0) 1.
// Counted from both ends (X symmetric; the pair (0,0) adds 2 to X_00):
//   X = [[2, 1.5, 1.5], [1.5, 0, 2], [1.5, 2, 0]];  X_0 = 5, X_1 = X_2 = 3.5;  T = 12.
const HAND = corpus([[0, 1, 2, 0], [1, 2], [0, 0]]);
const X = [[2, 1.5, 1.5], [1.5, 0, 2], [1.5, 2, 0]];
const ROW = [5, 3.5, 3.5];
const T = 12;
const BASE: PpmiOptions = { window: 2, weighting: 'harmonic', minCount: 1, cds: 1 };

test('plain PPMI (cds 1) of the hand-counted corpus: log(X_ab T / (X_a X_b)), the negative X_00 entry dropped', () => {
  const m = ppmiMatrix(HAND.tokens, HAND.docOffsets, 4, BASE);
  assert.is(m.n, 3);
  assert.equal(Array.from(m.ids), [0, 1, 2]);
  assert.equal(Array.from(m.index), [0, 1, 2, -1]);
  assert.equal(Array.from(m.counts), [4, 2, 2, 0]);
  assert.is(m.mass, T);
  const e = entries(m);
  // PMI_00 = log(2 * 12 / 25) < 0: not stored. The zero counts X_11, X_22 are not stored either.
  const want = new Map([
    [0, new Map([[1, Math.log(18 / 17.5)], [2, Math.log(18 / 17.5)]])],
    [1, new Map([[0, Math.log(18 / 17.5)], [2, Math.log(24 / 12.25)]])],
    [2, new Map([[0, Math.log(18 / 17.5)], [1, Math.log(24 / 12.25)]])],
  ]);
  for (const [a, row] of want) {
    assert.equal([...e.get(a)!.keys()], [...row.keys()], `row ${a} columns`);
    for (const [b, v] of row) assert.ok(Math.abs(e.get(a)!.get(b)! - v) < 1e-15, `PPMI(${a}, ${b}) = ${e.get(a)!.get(b)}, expected ${v}`);
  }
  // Columns ascend within each row.
  for (let r = 0; r < m.n; r++) for (let k = m.rowPtr[r]! + 1; k < m.rowPtr[r + 1]!; k++) assert.ok(m.col[k]! > m.col[k - 1]!);
});

test('context distribution smoothing: log X_ab - log X_a - cds log X_b + log sum_c X_c^cds', () => {
  const cds = 0.75;
  const m = ppmiMatrix(HAND.tokens, HAND.docOffsets, 4, { ...BASE, cds });
  const e = entries(m);
  const Z = ROW.reduce((s, x) => s + x ** cds, 0);
  let stored = 0;
  for (let a = 0; a < 3; a++) {
    for (let b = 0; b < 3; b++) {
      const x = X[a]![b]!;
      const pmi = x > 0 ? Math.log(x) - Math.log(ROW[a]!) - cds * Math.log(ROW[b]!) + Math.log(Z) : -Infinity;
      const got = e.get(a)!.get(b);
      if (pmi > 0) {
        stored++;
        assert.ok(got !== undefined && Math.abs(got - pmi) < 1e-14, `PPMI(${a}, ${b}) = ${got}, expected ${pmi}`);
      } else assert.is(got, undefined, `PPMI(${a}, ${b}) should not be stored (PMI ${pmi})`);
    }
  }
  assert.is(stored, m.rowPtr[m.n]);
  // With cds < 1 the matrix is not symmetric: rare contexts are damped less than rare rows.
  assert.is.not(e.get(0)!.get(1), e.get(1)!.get(0));
});

test('weightings: harmonic 1/d, linear (window + 1 - d) / window, uniform 1', () => {
  assert.equal(Array.from(distanceWeights(4, 'harmonic')), [0, 1, 1 / 2, 1 / 3, 1 / 4]);
  assert.equal(Array.from(distanceWeights(4, 'linear')), [0, 1, 3 / 4, 2 / 4, 1 / 4]);
  assert.equal(Array.from(distanceWeights(4, 'uniform')), [0, 1, 1, 1, 1]);
  // Uniform weights, window 1: doc 1 gives (0,1), (1,2), (2,0); doc 2 (1,2); doc 3 (0,0).
  const m = ppmiMatrix(HAND.tokens, HAND.docOffsets, 4, { ...BASE, window: 1, weighting: 'uniform' });
  // X = [[2, 1, 1], [1, 0, 2], [1, 2, 0]], row sums 4, 3, 3, T = 10.
  assert.is(m.mass, 10);
  const e = entries(m);
  assert.ok(Math.abs(e.get(1)!.get(2)! - Math.log((2 * 10) / 9)) < 1e-15);
  assert.not.ok(e.get(0)!.has(1), 'PMI(0, 1) = log(10 / 12) < 0 is dropped');
});

test('minCount: rare tokens are neither rows nor contexts, and the window does not close up over them', () => {
  // Token 0 occurs 4 times, 1 and 2 twice: with minCount 3 only token 0 is kept. Its only
  // co-occurrence with itself is doc 3's (0,0) (doc 1's two 0s are 3 apart).
  const m = ppmiMatrix(HAND.tokens, HAND.docOffsets, 4, { ...BASE, minCount: 3, window: 2 });
  assert.is(m.n, 1);
  assert.equal(Array.from(m.index), [0, -1, -1, -1]);
  assert.is(m.mass, 2);
  // PMI_00 = log(2 * 2 / (2 * 2)) = 0: not positive, not stored.
  assert.is(m.rowPtr[1], 0);
  // Window 3 reaches across doc 1: X_00 = 2 (doc 3) + 2/3 (doc 1, distance 3).
  const m3 = ppmiMatrix(HAND.tokens, HAND.docOffsets, 4, { ...BASE, minCount: 3, window: 3 });
  assert.ok(Math.abs(m3.mass - (2 + 2 / 3)) < 1e-15);
});

test('documents of length 0 and 1 and an empty corpus', () => {
  const c = corpus([[], [0], [1, 0], []]);
  const m = ppmiMatrix(c.tokens, c.docOffsets, 2, BASE);
  assert.is(m.mass, 2);
  const empty = corpus([]);
  const z = ppmiMatrix(empty.tokens, empty.docOffsets, 3, BASE);
  assert.is(z.n, 0);
  assert.is(z.rowPtr[0], 0);
});

test('corpus errors name the entry and what to do', () => {
  const ok = corpus([[0, 1], [2]]);
  throwsWith(() => checkCorpus(ok.tokens, ok.docOffsets, 2), 'corpus: tokens[2] = 2 is not below V = 2');
  throwsWith(() => checkCorpus(ok.tokens, ok.docOffsets, 0), 'V = 0: the vocabulary size must be an integer in 1 .. 16777216');
  throwsWith(() => checkCorpus(ok.tokens, Uint32Array.of(1, 3), 3), 'docOffsets[0] is 1, it must be 0');
  throwsWith(() => checkCorpus(ok.tokens, Uint32Array.of(0, 2, 1, 3), 3), 'docOffsets[2] = 1 is below docOffsets[1] = 2 (offsets must not decrease)');
  throwsWith(() => checkCorpus(ok.tokens, Uint32Array.of(0, 2), 3), 'the last docOffsets entry is 2, but there are 3 tokens (it must equal the token count)');
  throwsWith(() => checkCorpus(ok.tokens, new Uint32Array(0), 3), 'docOffsets is empty; it needs docs + 1 entries, starting at 0');
  throwsWith(() => checkCorpus(Array.from(ok.tokens) as unknown as Uint32Array, ok.docOffsets, 3), 'tokens must be a Uint32Array');
  throwsWith(() => checkCorpus(ok.tokens, Array.from(ok.docOffsets) as unknown as Uint32Array, 3), 'docOffsets must be a Uint32Array');
  throwsWith(() => ppmiMatrix(ok.tokens, ok.docOffsets, 3, { ...BASE, window: 0 }), "embeddings 'corpus': option 'window' must be an integer >= 1 and <= 100, got 0");
  throwsWith(() => ppmiMatrix(ok.tokens, ok.docOffsets, 3, { ...BASE, weighting: 'cubic' as 'uniform' }), `option 'weighting' must be one of harmonic, linear, uniform, got "cubic"`);
  throwsWith(() => ppmiMatrix(ok.tokens, ok.docOffsets, 3, { ...BASE, minCount: 0 }), "option 'minCount' must be an integer >= 1, got 0");
  throwsWith(() => ppmiMatrix(ok.tokens, ok.docOffsets, 3, { ...BASE, cds: 0 }), "option 'cds' must be a number > 0 and <= 1, got 0");
});

test.run();
