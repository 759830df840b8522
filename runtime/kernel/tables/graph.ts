// The sparse graph operator A of a `jump(g)` channel (docs/math.md §1), in CSR, and the two float64
// products every kernel quantity is built from: v^T A (propagate a row) and A c (propagate a column).
// Host-side; the GPU path may import it.
import { createHash } from 'node:crypto';
import { MAX_GRAPH_NNZ, MAX_VOCAB } from '../../../compiler/limits.ts';
import { KernelRuntimeError } from '../errors.ts';

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

/**
 * Checks a graph before anything loops over it or allocates for it: V within the vocabulary
 * limit, rowPtr of V + 1 non-decreasing entries from 0, at most MAX_GRAPH_NNZ entries, columns
 * in 0..V-1, weights finite and >= 0, rows summing to 1. `where` names it in the message
 * (e.g. "graph 'near'" or a file); throws KernelRuntimeError naming the row and entry.
 */
export function checkGraphShape(g: SparseGraph, V: number, where: string): void {
  if (!g || typeof g !== 'object') throw new KernelRuntimeError(`${where} is not a graph {V, rowPtr, col, w}`);
  if (g.V !== V) throw new KernelRuntimeError(`${where} has ${g.V} rows but the vocabulary has ${V} tokens`);
  if (!(Number.isInteger(V) && V >= 1 && V <= MAX_VOCAB)) throw new KernelRuntimeError(`${where}: V = ${V} is not a vocabulary size in [1, ${MAX_VOCAB}] (docs/limits.md)`);
  const { rowPtr, col, w } = g;
  if (!rowPtr || !col || !w || typeof rowPtr.length !== 'number' || typeof col.length !== 'number' || typeof w.length !== 'number') {
    throw new KernelRuntimeError(`${where}: rowPtr, col and w must be arrays`);
  }
  if (rowPtr.length !== V + 1 || rowPtr[0] !== 0) throw new KernelRuntimeError(`${where}: rowPtr must have V + 1 = ${V + 1} entries starting at 0 (it has ${rowPtr.length}${rowPtr.length ? `, starting at ${rowPtr[0]}` : ''})`);
  for (let v = 0; v < V; v++) {
    if (!(rowPtr[v + 1]! >= rowPtr[v]!)) throw new KernelRuntimeError(`${where}: rowPtr decreases (or is not a number) at row ${v}: rowPtr[${v + 1}] = ${rowPtr[v + 1]} < rowPtr[${v}] = ${rowPtr[v]}`);
  }
  const nnz = rowPtr[V]!;
  if (nnz > MAX_GRAPH_NNZ) throw new KernelRuntimeError(`${where}: rowPtr[V] = ${nnz} entries, more than the limit ${MAX_GRAPH_NNZ} for one graph (docs/limits.md)`);
  if (col.length !== nnz || w.length !== nnz) throw new KernelRuntimeError(`${where}: col and w must have rowPtr[V] = ${nnz} entries (they have ${col.length} and ${w.length})`);
  for (let v = 0; v < V; v++) {
    const a = rowPtr[v]!;
    const b = rowPtr[v + 1]!;
    let s = 0;
    for (let j = a; j < b; j++) {
      const c = col[j]!;
      if (!(Number.isInteger(c) && c >= 0 && c < V)) throw new KernelRuntimeError(`${where}: row ${v} (entry ${j}) has column ${c} outside 0..${V - 1}`);
      const x = w[j]!;
      if (!(x >= 0 && x < Infinity)) throw new KernelRuntimeError(`${where}: row ${v} (entry ${j}) has weight ${x}; weights must be finite and >= 0`);
      s += x;
    }
    if (b > a && Math.abs(s - 1) > 1e-9) throw new KernelRuntimeError(`${where}: row ${v} sums to ${s}, not 1 (graphs are row-stochastic)`);
  }
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
