// The graph the graph-aware metrics read: a CSR kNN graph over the vocabulary, the shape of
// runtime/kernel's CsrGraph (reference/graph builds it) but accepting unsigned index arrays too.
import { MetricError } from './errors.ts';

export interface MetricGraph {
  /** Number of tokens; rowPtr.length - 1 when absent. */
  readonly V?: number;
  /** Row v's neighbours are col[rowPtr[v] .. rowPtr[v + 1]). */
  readonly rowPtr: Int32Array | Uint32Array;
  readonly col: Int32Array | Uint32Array;
  /** Edge weights (non-negative); the community detection uses them, the basin score does not. */
  readonly w: Float64Array | Float32Array;
}

/** V of a graph after checking its shape (row pointers, column range, weights). */
export function checkMetricGraph(metric: string, g: MetricGraph | undefined): number {
  if (!g) throw new MetricError(metric, 'needs a graph (context.graph: a CSR kNN graph over the vocabulary)');
  const V = g.rowPtr.length - 1;
  if (V < 0 || (g.V !== undefined && g.V !== V)) throw new MetricError(metric, `graph has rowPtr of length ${g.rowPtr.length} but V = ${g.V}`);
  if (g.rowPtr[0] !== 0) throw new MetricError(metric, 'graph rowPtr must start at 0');
  const nnz = g.rowPtr[V]!;
  if (g.col.length !== nnz || g.w.length !== nnz) throw new MetricError(metric, `graph col and w must have rowPtr[V] = ${nnz} entries`);
  for (let v = 0; v < V; v++) if (g.rowPtr[v + 1]! < g.rowPtr[v]!) throw new MetricError(metric, `graph rowPtr decreases at row ${v}`);
  for (let j = 0; j < nnz; j++) {
    const c = g.col[j]!;
    if (!(c >= 0 && c < V)) throw new MetricError(metric, `graph has column ${c} outside 0..${V - 1}`);
    if (!(g.w[j]! >= 0)) throw new MetricError(metric, `graph has a negative or NaN weight at entry ${j}`);
  }
  return V;
}
