// Sparse graphs on the host (float64) and on the device (CSR of A, CSR of A^T, per-row alias
// tables for the forward walk). Same shape as the reference's SparseGraph (kernel-contract.md).
import type { Gpu } from '../gpu/index.ts';
import { tableBuffer } from './encoder.ts';
import { KernelRuntimeError } from './errors.ts';

import { checkGraphShape, type SparseGraph } from './tables/graph.ts';
import { readJsonFile } from '../../specs/kernel-check.ts';
import { SpecValidationError } from '../../specs/validate.ts';

/** The host graph type is the one the tables and the reference use. */
export type CsrGraph = SparseGraph;

export function checkGraph(g: CsrGraph, V: number, name: string): void {
  checkGraphShape(g, V, `graph '${name}'`);
}

/**
 * A graph from a JSON file {V, rowPtr, col, w} (CSR, row-stochastic) for a vocabulary of V tokens:
 * size and nesting bounded, parsed, every field checked (checkGraphShape) before it is used.
 * Throws KernelRuntimeError naming the file and the field, row or entry at fault.
 */
export function loadGraphFile(file: string, V: number): CsrGraph {
  let doc: unknown;
  try {
    doc = readJsonFile(file);
  } catch (err) {
    if (err instanceof SpecValidationError) throw new KernelRuntimeError(err.issues.map((i) => i.message).join('; '));
    throw err;
  }
  return graphFromJson(doc, file, V);
}

/** A parsed JSON graph document from `file` (for messages), checked as loadGraphFile checks it. */
export function graphFromJson(doc: unknown, file: string, V: number): CsrGraph {
  const o = doc as Record<string, unknown> | null;
  const shape = `'${file}' must be a JSON graph {V: ${V}, rowPtr, col, w} (CSR, row-stochastic)`;
  if (!o || typeof o !== 'object' || Array.isArray(o)) throw new KernelRuntimeError(`${shape}; it is ${Array.isArray(o) ? 'an array' : JSON.stringify(o)}`);
  if (o['V'] !== V) throw new KernelRuntimeError(`${shape}; its V is ${JSON.stringify(o['V'])}`);
  const arr = (key: string): number[] => {
    const x = o[key];
    if (!Array.isArray(x)) throw new KernelRuntimeError(`${shape}; its ${key} is not an array`);
    const bad = x.findIndex((y) => typeof y !== 'number');
    if (bad >= 0) throw new KernelRuntimeError(`'${file}': ${key}[${bad}] is ${JSON.stringify(x[bad])}, not a number`);
    return x as number[];
  };
  const rowPtr = arr('rowPtr');
  const col = arr('col');
  const w = arr('w');
  // Check the raw numbers (no int32 wrap-around) before converting them.
  const g = { V, rowPtr, col, w } as unknown as CsrGraph;
  checkGraphShape(g, V, `'${file}'`);
  return { V, rowPtr: Int32Array.from(rowPtr), col: Int32Array.from(col), w: Float64Array.from(w) };
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
