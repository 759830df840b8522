// The k-nearest-neighbour graph of a `graph g = knn(...)` declaration (kernel-contract.md, "knn graph
// definition"; docs/math.md §1.2), in float64 with exact tie-breaking. O(V^2 d): for tests and tiny
// vocabularies.
import type { SparseGraph } from '../../runtime/kernel/tables/graph.ts';
import type { KnnOptions } from '../kernel/types.ts';

export function buildKnnGraph(emb: Float64Array, V: number, d: number, opts: KnnOptions): SparseGraph {
  if (emb.length !== V * d) throw new RangeError(`buildKnnGraph: embeddings have ${emb.length} values, expected V*d = ${V * d}`);
  if (!(opts.k >= 1) || !Number.isInteger(opts.k)) throw new RangeError(`buildKnnGraph: k must be a positive integer, got ${opts.k}`);
  if (!(opts.bandwidth > 0)) throw new RangeError(`buildKnnGraph: bandwidth must be > 0, got ${opts.bandwidth}`);
  const classes = opts.classes ?? null;
  if (classes && classes.length !== V) throw new RangeError(`buildKnnGraph: classes has ${classes.length} entries, expected ${V}`);
  // Unit rows; a zero row stays zero, so its cosine with everything is 0.
  const unit = new Float64Array(V * d);
  for (let v = 0; v < V; v++) {
    let n2 = 0;
    for (let j = 0; j < d; j++) n2 += emb[v * d + j]! ** 2;
    const inv = n2 > 0 ? 1 / Math.sqrt(n2) : 0;
    for (let j = 0; j < d; j++) unit[v * d + j] = emb[v * d + j]! * inv;
  }
  // Directed edges v -> u with unnormalised weight exp((cos - 1) / bandwidth).
  const nbr: Array<Map<number, number>> = [];
  const cosRow = new Float64Array(V);
  for (let v = 0; v < V; v++) {
    const cand: number[] = [];
    for (let u = 0; u < V; u++) {
      if (u === v || (classes && classes[u] !== classes[v])) continue;
      let c = 0;
      for (let j = 0; j < d; j++) c += unit[v * d + j]! * unit[u * d + j]!;
      cosRow[u] = c;
      cand.push(u);
    }
    // Largest cosine first; ties: smaller index first.
    cand.sort((a, b) => cosRow[b]! - cosRow[a]! || a - b);
    const m = new Map<number, number>();
    for (const u of cand.slice(0, opts.k)) m.set(u, Math.exp((cosRow[u]! - 1) / opts.bandwidth));
    nbr.push(m);
  }
  let edges = nbr;
  if (opts.symmetric) {
    // Union of the edge sets, weight (w_uv + w_vu) / 2, an absent edge counting 0.
    edges = nbr.map(() => new Map<number, number>());
    for (let v = 0; v < V; v++) {
      for (const [u, w] of nbr[v]!) {
        edges[v]!.set(u, (edges[v]!.get(u) ?? 0) + w / 2);
        edges[u]!.set(v, (edges[u]!.get(v) ?? 0) + w / 2);
      }
    }
  }
  const rowPtr = new Int32Array(V + 1);
  for (let v = 0; v < V; v++) rowPtr[v + 1] = rowPtr[v]! + Math.max(1, edges[v]!.size);
  const col = new Int32Array(rowPtr[V]!);
  const w = new Float64Array(rowPtr[V]!);
  for (let v = 0; v < V; v++) {
    const e = [...edges[v]!.entries()].sort((a, b) => a[0] - b[0]);
    let p = rowPtr[v]!;
    if (e.length === 0) {
      // No neighbour (a class of one): a self-loop, the only diagonal entry a graph may have.
      col[p] = v;
      w[p] = 1;
      continue;
    }
    let z = 0;
    for (const [, x] of e) z += x;
    for (const [u, x] of e) {
      col[p] = u;
      w[p++] = x / z;
    }
  }
  return { V, rowPtr, col, w };
}
