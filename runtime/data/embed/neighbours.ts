// A token's neighbours in the knn graph a kernel would build from these vectors: the row of
// `graph g = knn(embeddings, k, bandwidth)` for one token (docs/math.md §1.2, the same arithmetic
// as reference/graph/knn.ts, so the cosines and weights agree bit for bit with buildKnnGraph's
// row): float64 cosines of the rows (a zero row has cosine 0 with everything), the k other tokens
// of largest cosine (ties: the smaller id), weights exp((cos - 1) / bandwidth) normalised to sum 1.
// Without `symmetric` (a symmetric graph adds the edges u -> v of every u that has v among its own k,
// which needs every row's top k). O(V d) per call.
import { EmbeddingsError } from '../embeddings.ts';

export interface EmbeddingRows {
  readonly data: ArrayLike<number>;
  readonly d: number;
  readonly V: number;
}

export interface Neighbour {
  readonly id: number;
  readonly cosine: number;
  /** The edge weight in the graph row (the row sums to 1). */
  readonly weight: number;
}

export function nearestTokens(emb: EmbeddingRows, id: number, opts: { k: number; bandwidth: number }): Neighbour[] {
  const { data, d, V } = emb;
  const where = 'nearestTokens';
  if (!Number.isInteger(V) || !Number.isInteger(d) || V < 1 || d < 1 || data.length !== V * d) {
    throw new EmbeddingsError(where, `the matrix has ${data.length} values, not V x d = ${V} x ${d}`);
  }
  if (!Number.isInteger(id) || id < 0 || id >= V) throw new EmbeddingsError(where, `token ${id} is not in 0 .. ${V - 1}`);
  if (!Number.isInteger(opts.k) || opts.k < 1) throw new EmbeddingsError(where, `k must be a positive integer, got ${opts.k}`);
  if (!(opts.bandwidth > 0) || !Number.isFinite(opts.bandwidth)) throw new EmbeddingsError(where, `bandwidth must be a number > 0, got ${opts.bandwidth}`);
  const unitRow = (v: number, out: Float64Array) => {
    let n2 = 0;
    for (let j = 0; j < d; j++) n2 += data[v * d + j]! ** 2;
    const inv = n2 > 0 ? 1 / Math.sqrt(n2) : 0;
    for (let j = 0; j < d; j++) out[j] = data[v * d + j]! * inv;
  };
  const mine = new Float64Array(d);
  const other = new Float64Array(d);
  unitRow(id, mine);
  const cos = new Float64Array(V);
  const cand: number[] = [];
  for (let u = 0; u < V; u++) {
    if (u === id) continue;
    unitRow(u, other);
    let c = 0;
    for (let j = 0; j < d; j++) c += mine[j]! * other[j]!;
    cos[u] = c;
    cand.push(u);
  }
  cand.sort((a, b) => cos[b]! - cos[a]! || a - b);
  const top = cand.slice(0, opts.k);
  if (top.length === 0) {
    // No other token: the graph's self-loop.
    let c = 0;
    for (let j = 0; j < d; j++) c += mine[j]! * mine[j]!;
    return [{ id, cosine: c, weight: 1 }];
  }
  const w = new Map<number, number>();
  for (const u of top) w.set(u, Math.exp((cos[u]! - 1) / opts.bandwidth));
  // The normaliser summed in column order, as the graph builders do.
  let z = 0;
  for (const u of [...top].sort((a, b) => a - b)) z += w.get(u)!;
  return top.map((u) => ({ id: u, cosine: cos[u]!, weight: w.get(u)! / z }));
}
