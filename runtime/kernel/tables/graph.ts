// The sparse graph operator A of a `jump(g)` channel (docs/math.md §1), in CSR, and the two float64
// products every kernel quantity is built from: v^T A (propagate a row) and A c (propagate a column).
// Host-side; the GPU path may import it.
import { createHash } from 'node:crypto';

/**
 * CSR sparse matrix over V tokens. For a kernel graph: row-stochastic (rows sum to 1), zero
 * diagonal except a row with no neighbour (a self-loop of weight 1, docs/math.md §1.2), columns
 * sorted within a row. The transpose of such a graph (transposeGraph) uses the same type.
 */
export interface SparseGraph {
  V: number;
  rowPtr: Int32Array;
  col: Int32Array;
  w: Float64Array;
}

/** out = v^T A (out may not alias v). */
export function vecMat(g: SparseGraph, v: ArrayLike<number>, out: Float64Array): Float64Array {
  out.fill(0, 0, g.V);
  const { rowPtr, col, w } = g;
  for (let i = 0; i < g.V; i++) {
    const x = v[i]!;
    if (x === 0) continue;
    for (let j = rowPtr[i]!; j < rowPtr[i + 1]!; j++) out[col[j]!]! += x * w[j]!;
  }
  return out;
}

/** out = A c (out may not alias c). */
export function matVec(g: SparseGraph, c: ArrayLike<number>, out: Float64Array): Float64Array {
  const { rowPtr, col, w } = g;
  for (let i = 0; i < g.V; i++) {
    let s = 0;
    for (let j = rowPtr[i]!; j < rowPtr[i + 1]!; j++) s += w[j]! * c[col[j]!]!;
    out[i] = s;
  }
  return out;
}

/**
 * Content hash of a built graph, recorded in compiled specs (kernel-contract.md): SHA-256 over V
 * (uint32), rowPtr (int32), col (int32) and w (float32), all little-endian, in that order; hex.
 */
export function graphHash(g: SparseGraph): string {
  const nnz = g.col.length;
  const buf = Buffer.alloc(4 + 4 * (g.V + 1) + 8 * nnz);
  let o = buf.writeUInt32LE(g.V, 0);
  for (let i = 0; i <= g.V; i++) o = buf.writeInt32LE(g.rowPtr[i]!, o);
  for (let j = 0; j < nnz; j++) o = buf.writeInt32LE(g.col[j]!, o);
  for (let j = 0; j < nnz; j++) o = buf.writeFloatLE(g.w[j]!, o);
  return createHash('sha256').update(buf).digest('hex');
}
