// Positive pointwise mutual information of token co-occurrence (docs/embeddings.md, "Method"):
//
//   X_ab  = sum over ordered pairs (centre a at p, context b at q), 0 < |q - p| <= window, p and q
//           in the same document, of w(|q - p|); each pair counts from both ends, so X is symmetric
//           (a token twice within the window adds 2 w to X_aa);
//   X_a   = sum_b X_ab;     Z = sum_c X_c^cds;
//   PPMI  = max(0, log X_ab - log X_a - cds log X_b + log Z)   (cds = 1: log(X_ab T / (X_a X_b)))
//
// with the context distribution smoothed by cds (Levy, Goldberg & Dagan 2015: 0.75 removes PMI's
// bias towards rare contexts). Only tokens seen at least minCount times are rows or contexts;
// positions keep their distances (a rare token is skipped, the window does not close up).
// Built row by row from an inverted index with a dense float64 accumulator, so the memory is the
// corpus, the index and the CSR result.
import { EmbeddingsError } from '../embeddings.ts';

export const WEIGHTINGS = ['harmonic', 'linear', 'uniform'] as const;
export type Weighting = (typeof WEIGHTINGS)[number];

export interface PpmiOptions {
  /** Context positions on each side. */
  window: number;
  /** w(d): harmonic 1/d (GloVe), linear (window + 1 - d) / window (word2vec's dynamic window), uniform 1. */
  weighting: Weighting;
  /** Tokens seen fewer times are neither rows nor contexts. */
  minCount: number;
  /** Context distribution smoothing exponent. */
  cds: number;
}

/** The largest window (edge distances are kept in bytes). */
export const MAX_WINDOW = 100;
/** The largest vocabulary the corpus source accepts. */
export const MAX_VOCAB = 1 << 24;
/** The most stored PPMI entries (12 bytes each: 3 GiB). */
export const MAX_NNZ = 1 << 28;

export interface PpmiMatrix {
  readonly V: number;
  /** Occurrences of each token id. */
  readonly counts: Uint32Array;
  /** Token id -> row, or -1 for a token below minCount. */
  readonly index: Int32Array;
  /** Row -> token id (the frequent tokens in id order). */
  readonly ids: Uint32Array;
  /** Rows (= columns): the frequent tokens. */
  readonly n: number;
  readonly rowPtr: Uint32Array;
  /** Column (a row index, not a token id) of each entry; ascending within a row. */
  readonly col: Uint32Array;
  readonly val: Float64Array;
  /** T = sum_a X_a, the total co-occurrence weight between frequent tokens. */
  readonly mass: number;
}

/** Checks the corpus arrays (bounds, offsets, ids < V) and names the first bad entry. */
export function checkCorpus(tokens: Uint32Array, docOffsets: Uint32Array, V: number, where = 'corpus'): void {
  if (!(tokens instanceof Uint32Array)) throw new EmbeddingsError(where, 'tokens must be a Uint32Array');
  if (!(docOffsets instanceof Uint32Array)) throw new EmbeddingsError(where, 'docOffsets must be a Uint32Array');
  if (!Number.isInteger(V) || V < 1 || V > MAX_VOCAB) throw new EmbeddingsError(where, `V = ${V}: the vocabulary size must be an integer in 1 .. ${MAX_VOCAB}`);
  if (docOffsets.length < 1) throw new EmbeddingsError(where, 'docOffsets is empty; it needs docs + 1 entries, starting at 0');
  if (docOffsets[0] !== 0) throw new EmbeddingsError(where, `docOffsets[0] is ${docOffsets[0]}, it must be 0`);
  for (let i = 1; i < docOffsets.length; i++) {
    if (docOffsets[i]! < docOffsets[i - 1]!) throw new EmbeddingsError(where, `docOffsets[${i}] = ${docOffsets[i]} is below docOffsets[${i - 1}] = ${docOffsets[i - 1]} (offsets must not decrease)`);
  }
  const last = docOffsets[docOffsets.length - 1]!;
  if (last !== tokens.length) throw new EmbeddingsError(where, `the last docOffsets entry is ${last}, but there are ${tokens.length} tokens (it must equal the token count)`);
  for (let i = 0; i < tokens.length; i++) {
    if (tokens[i]! >= V) throw new EmbeddingsError(where, `tokens[${i}] = ${tokens[i]} is not below V = ${V}`);
  }
}

export function checkPpmiOptions(o: PpmiOptions, where = "embeddings 'corpus'"): void {
  if (!Number.isInteger(o.window) || o.window < 1 || o.window > MAX_WINDOW) throw new EmbeddingsError(where, `option 'window' must be an integer >= 1 and <= ${MAX_WINDOW}, got ${o.window}`);
  if (!WEIGHTINGS.includes(o.weighting)) throw new EmbeddingsError(where, `option 'weighting' must be one of ${WEIGHTINGS.join(', ')}, got ${JSON.stringify(o.weighting)}`);
  if (!Number.isInteger(o.minCount) || o.minCount < 1) throw new EmbeddingsError(where, `option 'minCount' must be an integer >= 1, got ${o.minCount}`);
  if (!(o.cds > 0 && o.cds <= 1)) throw new EmbeddingsError(where, `option 'cds' must be a number > 0 and <= 1, got ${o.cds}`);
}

/** w(1..window) of the weighting (index 0 unused). */
export function distanceWeights(window: number, weighting: Weighting): Float64Array {
  const w = new Float64Array(window + 1);
  for (let d = 1; d <= window; d++) w[d] = weighting === 'harmonic' ? 1 / d : weighting === 'linear' ? (window + 1 - d) / window : 1;
  return w;
}

/** The PPMI matrix of the frequent tokens (corpus already checked by checkCorpus). */
export function ppmiMatrix(tokens: Uint32Array, docOffsets: Uint32Array, V: number, o: PpmiOptions): PpmiMatrix {
  checkPpmiOptions(o);
  const N = tokens.length;
  const W = o.window;
  const wt = distanceWeights(W, o.weighting);

  const counts = new Uint32Array(V);
  for (let p = 0; p < N; p++) counts[tokens[p]!]!++;
  const index = new Int32Array(V).fill(-1);
  let n = 0;
  for (let v = 0; v < V; v++) if (counts[v]! >= o.minCount) index[v] = n++;
  const ids = new Uint32Array(n);
  for (let v = 0; v < V; v++) if (index[v]! >= 0) ids[index[v]!] = v;

  // Distances to the document's ends, clipped at the window: the window of p is [p - left, p + right].
  const left = new Uint8Array(N);
  const right = new Uint8Array(N);
  for (let d = 0; d + 1 < docOffsets.length; d++) {
    const a = docOffsets[d]!;
    const b = docOffsets[d + 1]!;
    for (let p = a; p < b; p++) {
      left[p] = Math.min(W, p - a);
      right[p] = Math.min(W, b - 1 - p);
    }
  }

  // Marginals X_a over frequent pairs (one pass, each unordered pair added to both ends).
  const rowSum = new Float64Array(n);
  for (let p = 0; p < N; p++) {
    const a = index[tokens[p]!]!;
    if (a < 0) continue;
    const r = right[p]!;
    for (let d = 1; d <= r; d++) {
      const b = index[tokens[p + d]!]!;
      if (b < 0) continue;
      rowSum[a]! += wt[d]!;
      rowSum[b]! += wt[d]!;
    }
  }
  let mass = 0;
  let Z = 0;
  const ctxLog = new Float64Array(n);
  for (let c = 0; c < n; c++) {
    const x = rowSum[c]!;
    mass += x;
    if (x > 0) {
      Z += Math.pow(x, o.cds);
      ctxLog[c] = o.cds * Math.log(x);
    }
  }
  const logZ = Z > 0 ? Math.log(Z) : 0;

  // Inverted index: the positions of each frequent token, by row.
  const start = new Uint32Array(n + 1);
  for (let v = 0; v < V; v++) if (index[v]! >= 0) start[index[v]! + 1] = counts[v]!;
  for (let r = 0; r < n; r++) start[r + 1]! += start[r]!;
  const pos = new Uint32Array(start[n]!);
  const fill = start.slice(0, n);
  for (let p = 0; p < N; p++) {
    const r = index[tokens[p]!]!;
    if (r >= 0) pos[fill[r]!++] = p;
  }

  // Rows one at a time: accumulate X_a. into a dense vector, keep the positive PMI entries.
  const acc = new Float64Array(n);
  const touched = new Uint32Array(n);
  const rowPtr = new Uint32Array(n + 1);
  // Start near the usual size (about two entries per token) and grow by half; nnz <= min(n^2, 2 window N).
  let cap = Math.max(1, Math.min(MAX_NNZ, n * n, 2 * W * N, Math.max(1 << 16, 2 * N)));
  let col = new Uint32Array(cap);
  let val = new Float64Array(cap);
  let nnz = 0;
  for (let a = 0; a < n; a++) {
    let t = 0;
    for (let o2 = start[a]!; o2 < start[a + 1]!; o2++) {
      const p = pos[o2]!;
      const lo = p - left[p]!;
      const hi = p + right[p]!;
      for (let q = lo; q <= hi; q++) {
        if (q === p) continue;
        const b = index[tokens[q]!]!;
        if (b < 0) continue;
        if (acc[b] === 0) touched[t++] = b;
        acc[b]! += wt[q > p ? q - p : p - q]!;
      }
    }
    if (t > 0) {
      const row = touched.subarray(0, t);
      row.sort();
      if (nnz + t > cap) {
        if (nnz + t > MAX_NNZ) {
          throw new EmbeddingsError("embeddings 'corpus'", `the PPMI matrix would hold more than ${MAX_NNZ} entries (row ${a} of ${n}); use a smaller window or a larger minCount`);
        }
        cap = Math.min(MAX_NNZ, Math.max(nnz + t, Math.ceil(cap * 1.5)));
        const c2 = new Uint32Array(cap);
        c2.set(col.subarray(0, nnz));
        col = c2;
        const v2 = new Float64Array(cap);
        v2.set(val.subarray(0, nnz));
        val = v2;
      }
      const base = Math.log(rowSum[a]!) - logZ;
      for (let i = 0; i < t; i++) {
        const b = row[i]!;
        const pmi = Math.log(acc[b]!) - base - ctxLog[b]!;
        acc[b] = 0;
        if (pmi > 0) {
          col[nnz] = b;
          val[nnz++] = pmi;
        }
      }
    }
    rowPtr[a + 1] = nnz;
  }
  return { V, counts, index, ids, n, rowPtr, col: col.slice(0, nnz), val: val.slice(0, nnz), mass };
}
