// A^T in CSR: the in-neighbours of each token, for columns q_t(x_t | .) and the ELBO's graph term.
import type { SparseGraph } from '../../runtime/kernel/tables/graph.ts';

export function transposeGraph(g: SparseGraph): SparseGraph {
  const { V, rowPtr, col, w } = g;
  const tPtr = new Int32Array(V + 1);
  for (let j = 0; j < col.length; j++) tPtr[col[j]! + 1]!++;
  for (let v = 0; v < V; v++) tPtr[v + 1]! += tPtr[v]!;
  const next = tPtr.slice(0, V);
  const tCol = new Int32Array(col.length);
  const tW = new Float64Array(col.length);
  // Rows in increasing order, so each transposed row's columns come out sorted.
  for (let i = 0; i < V; i++) {
    for (let j = rowPtr[i]!; j < rowPtr[i + 1]!; j++) {
      const p = next[col[j]!]!++;
      tCol[p] = i;
      tW[p] = w[j]!;
    }
  }
  return { V, rowPtr: tPtr, col: tCol, w: tW };
}
