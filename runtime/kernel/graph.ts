// Sparse graphs on the host (float64) and on the device (CSR of A, CSR of A^T, per-row alias
// tables for the forward walk). Same shape as the reference's SparseGraph (kernel-contract.md).
import type { Gpu } from '../gpu/index.ts';
import { tableBuffer } from './encoder.ts';
import { KernelRuntimeError } from './errors.ts';

import type { SparseGraph } from './tables/graph.ts';

/** The host graph type is the one the tables and the reference use. */
export type CsrGraph = SparseGraph;

export function checkGraph(g: CsrGraph, V: number, name: string): void {
  const where = `graph '${name}'`;
  if (g.V !== V) throw new KernelRuntimeError(`${where} has ${g.V} rows but the vocabulary has ${V} tokens`);
  if (g.rowPtr.length !== V + 1 || g.rowPtr[0] !== 0) throw new KernelRuntimeError(`${where}: rowPtr must have V + 1 entries starting at 0`);
  const nnz = g.rowPtr[V]!;
  if (g.col.length !== nnz || g.w.length !== nnz) throw new KernelRuntimeError(`${where}: col and w must have rowPtr[V] = ${nnz} entries`);
  for (let v = 0; v < V; v++) {
    const a = g.rowPtr[v]!;
    const b = g.rowPtr[v + 1]!;
    if (b < a) throw new KernelRuntimeError(`${where}: rowPtr decreases at row ${v}`);
    let s = 0;
    for (let j = a; j < b; j++) {
      const c = g.col[j]!;
      if (!(c >= 0 && c < V)) throw new KernelRuntimeError(`${where}: row ${v} has column ${c} outside 0..${V - 1}`);
      if (!(g.w[j]! >= 0)) throw new KernelRuntimeError(`${where}: row ${v} has a negative or NaN weight`);
      s += g.w[j]!;
    }
    if (b > a && Math.abs(s - 1) > 1e-9) throw new KernelRuntimeError(`${where}: row ${v} sums to ${s}, not 1 (graphs are row-stochastic)`);
  }
}

/** sum_g weight_g A_g as one CSR (columns sorted; the effective jump operator of proportional channels). */
export function combineGraphs(parts: Array<{ g: CsrGraph; weight: number }>): CsrGraph {
  if (parts.length === 1 && parts[0]!.weight === 1) return parts[0]!.g;
  const V = parts[0]!.g.V;
  const rowPtr = new Int32Array(V + 1);
  const cols: number[] = [];
  const ws: number[] = [];
  for (let v = 0; v < V; v++) {
    const acc = new Map<number, number>();
    for (const { g, weight } of parts) {
      for (let j = g.rowPtr[v]!; j < g.rowPtr[v + 1]!; j++) acc.set(g.col[j]!, (acc.get(g.col[j]!) ?? 0) + weight * g.w[j]!);
    }
    for (const c of [...acc.keys()].sort((a, b) => a - b)) {
      cols.push(c);
      ws.push(acc.get(c)!);
    }
    rowPtr[v + 1] = cols.length;
  }
  return { V, rowPtr, col: Int32Array.from(cols), w: Float64Array.from(ws) };
}

export function transposeCsr(g: CsrGraph): CsrGraph {
  const { V } = g;
  const nnz = g.rowPtr[V]!;
  const rowPtr = new Int32Array(V + 1);
  for (let j = 0; j < nnz; j++) rowPtr[g.col[j]! + 1]!++;
  for (let v = 0; v < V; v++) rowPtr[v + 1]! += rowPtr[v]!;
  const fill = rowPtr.slice(0, V);
  const col = new Int32Array(nnz);
  const w = new Float64Array(nnz);
  for (let v = 0; v < V; v++) {
    for (let j = g.rowPtr[v]!; j < g.rowPtr[v + 1]!; j++) {
      const at = fill[g.col[j]!]!++;
      col[at] = v;
      w[at] = g.w[j]!;
    }
  }
  return { V, rowPtr, col, w };
}

/**
 * Vose alias tables, built in float64: for a draw from a distribution of n entries pick bucket
 * i uniformly, keep i with probability prob[i], else take alias[i]. Small entries keep their
 * full relative precision (prob is a ratio compared with a 48-bit uniform).
 */
export function aliasTable(p: ArrayLike<number>, lo = 0, hi = p.length): { prob: Float64Array; alias: Int32Array } {
  const n = hi - lo;
  const prob = new Float64Array(n);
  const alias = new Int32Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) total += p[lo + i]!;
  const scaled = new Float64Array(n);
  for (let i = 0; i < n; i++) scaled[i] = total > 0 ? (p[lo + i]! * n) / total : 1;
  const small: number[] = [];
  const large: number[] = [];
  for (let i = n - 1; i >= 0; i--) (scaled[i]! < 1 ? small : large).push(i);
  while (small.length && large.length) {
    const s = small.pop()!;
    const l = large.pop()!;
    prob[s] = scaled[s]!;
    alias[s] = l;
    scaled[l] = scaled[l]! + scaled[s]! - 1;
    (scaled[l]! < 1 ? small : large).push(l);
  }
  for (const i of [...small, ...large]) {
    prob[i] = 1;
    alias[i] = i;
  }
  return { prob, alias };
}

/** A graph on the device: CSR of A and of A^T, and per-row alias tables (alias = position within the row). */
export interface DeviceGraph {
  readonly host: CsrGraph;
  readonly transpose: CsrGraph;
  readonly rowPtr: GPUBuffer;
  readonly col: GPUBuffer;
  readonly w: GPUBuffer;
  readonly tRowPtr: GPUBuffer;
  readonly tCol: GPUBuffer;
  readonly tW: GPUBuffer;
  readonly aliasProb: GPUBuffer;
  readonly aliasIdx: GPUBuffer;
}

export function uploadGraph(gpu: Gpu, g: CsrGraph, label: string): DeviceGraph {
  const t = transposeCsr(g);
  const nnz = g.rowPtr[g.V]!;
  const aProb = new Float32Array(nnz);
  const aIdx = new Uint32Array(nnz);
  for (let v = 0; v < g.V; v++) {
    const a = g.rowPtr[v]!;
    const b = g.rowPtr[v + 1]!;
    if (b === a) continue;
    const { prob, alias } = aliasTable(g.w, a, b);
    for (let i = 0; i < b - a; i++) {
      aProb[a + i] = prob[i]!;
      aIdx[a + i] = alias[i]!;
    }
  }
  return {
    host: g,
    transpose: t,
    rowPtr: tableBuffer(gpu, Uint32Array.from(g.rowPtr), `${label} rowPtr`),
    col: tableBuffer(gpu, Uint32Array.from(g.col), `${label} col`),
    w: tableBuffer(gpu, Float32Array.from(g.w), `${label} w`),
    tRowPtr: tableBuffer(gpu, Uint32Array.from(t.rowPtr), `${label} tRowPtr`),
    tCol: tableBuffer(gpu, Uint32Array.from(t.col), `${label} tCol`),
    tW: tableBuffer(gpu, Float32Array.from(t.w), `${label} tW`),
    aliasProb: tableBuffer(gpu, aProb, `${label} aliasProb`),
    aliasIdx: tableBuffer(gpu, aIdx, `${label} aliasIdx`),
  };
}
