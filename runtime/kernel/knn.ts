// knn graphs built on the GPU (kernel-contract.md, "knn graph definition"; docs/math.md §1.2).
// The O(V^2 d) part - cosines and a top-(k + margin) candidate list per token - runs in WGSL
// (compiler/wgsl/knn.ts). The host then re-ranks each token's candidates by the float64 cosine,
// computed exactly as the reference does, and proves the result exact: every non-candidate's fp32
// cosine is at most the last candidate's, and fp32 is within `delta` of float64, so when the last
// candidate's fp32 cosine plus delta is below the k-th float64 cosine no other token can enter
// (or tie). Otherwise that row is scanned in float64 on the host. Weights, symmetrisation and
// normalisation follow in float64, so the graph (and its hash) equals buildKnnGraph's.
import { graphHash } from './tables/graph.ts';
import type { Gpu } from '../gpu/index.ts';
import { readBuffer } from '../gpu/index.ts';
import { knnProgram } from '../../compiler/wgsl/knn.ts';
import { KernelPipelines, KernelRecording, emptyBuffer, tableBuffer } from './encoder.ts';
import { KernelRuntimeError } from './errors.ts';
import type { CsrGraph } from './graph.ts';

export { graphHash };

export interface KnnOptions {
  k: number;
  bandwidth: number;
  symmetric: boolean;
  /** Lexical class per token: neighbours only within the class. */
  classes?: Int32Array | null;
}

export interface KnnReport {
  /** Rows whose candidate list could not prove the top k and were scanned in float64 on the host. */
  fallbacks: number;
  candidates: number;
  seconds: number;
  /** What was done with input that has no single reading: all-zero rows, k of at least V. */
  notes?: string[];
}

/** Unit rows in float64, the reference's way (a zero row stays zero). */
function unitRows(emb: ArrayLike<number>, V: number, d: number): Float64Array {
  const unit = new Float64Array(V * d);
  for (let v = 0; v < V; v++) {
    let n2 = 0;
    for (let j = 0; j < d; j++) n2 += emb[v * d + j]! ** 2;
    const inv = n2 > 0 ? 1 / Math.sqrt(n2) : 0;
    for (let j = 0; j < d; j++) unit[v * d + j] = emb[v * d + j]! * inv;
  }
  return unit;
}

function cosine(unit: Float64Array, d: number, v: number, u: number): number {
  let c = 0;
  for (let j = 0; j < d; j++) c += unit[v * d + j]! * unit[u * d + j]!;
  return c;
}

export async function buildKnnGraphGpu(gpu: Gpu, emb: Float32Array | Float64Array, V: number, d: number, opts: KnnOptions, margin = 8): Promise<{ graph: CsrGraph; hash: string; report: KnnReport }> {
  const t0 = performance.now();
  if (emb.length !== V * d) throw new KernelRuntimeError(`embeddings have ${emb.length} values, expected V * d = ${V * d}`);
  if (!(Number.isInteger(opts.k) && opts.k >= 1)) throw new KernelRuntimeError(`knn: k must be a positive integer, got ${opts.k}`);
  if (!(opts.bandwidth > 0)) throw new KernelRuntimeError(`knn: bandwidth must be > 0, got ${opts.bandwidth}`);
  const classes = opts.classes ?? null;
  if (classes && classes.length !== V) throw new KernelRuntimeError(`knn: classes has ${classes.length} entries, expected ${V}`);
  const unit = unitRows(emb, V, d);
  const notes: string[] = [];
  const zero: number[] = [];
  for (let v = 0; v < V; v++) {
    let any = false;
    for (let j = 0; j < d && !any; j++) any = unit[v * d + j] !== 0;
    if (!any) zero.push(v);
  }
  if (zero.length) {
    notes.push(`${zero.length} embedding row${zero.length === 1 ? ' is' : 's are'} all zeros (${zero.slice(0, 5).join(', ')}${zero.length > 5 ? ', ...' : ''}): a zero row has no direction, so its cosine with every token is taken as 0 and its neighbours are the k tokens of smallest index among equals`);
  }
  if (opts.k > V - 1) notes.push(`k = ${opts.k} is at least the vocabulary (${V} tokens): each token's neighbours are all ${V - 1} others`);
  const d4 = Math.ceil(d / 4);
  const unit32 = new Float32Array(V * d4 * 4);
  for (let v = 0; v < V; v++) for (let j = 0; j < d; j++) unit32[v * d4 * 4 + j] = unit[v * d + j]!;
  const K = Math.max(1, Math.min(V - 1, opts.k + margin));
  const prog = knnProgram(K, 64);
  const pipes = new KernelPipelines(gpu);
  await pipes.prepare(prog);
  const unitBuf = tableBuffer(gpu, unit32, 'knn unit rows');
  const clsBuf = tableBuffer(gpu, classes ? Int32Array.from(classes) : new Int32Array(V), 'knn classes');
  const idxBuf = emptyBuffer(gpu, V * K * 4, 'knn candidates');
  const cosBuf = emptyBuffer(gpu, V * K * 4, 'knn candidate cosines');
  // Rows in slices, so one dispatch never runs for minutes on a slow adapter.
  const slice = Math.max(64, Math.floor(1e10 / Math.max(1, V * d) / 64) * 64);
  for (let v0 = 0; v0 < V; v0 += slice) {
    const n = Math.min(slice, V - v0);
    const enc = gpu.device.createCommandEncoder();
    const rec = new KernelRecording(gpu, pipes);
    rec.dispatch(prog, { V, n: d4, R: K, C: v0 }, [unitBuf, clsBuf, { buffer: idxBuf, offset: v0 * K * 4, size: n * K * 4 }, { buffer: cosBuf, offset: v0 * K * 4, size: n * K * 4 }], [Math.ceil(n / 64)]);
    rec.encode(enc);
    gpu.device.queue.submit([enc.finish()]);
    await gpu.device.queue.onSubmittedWorkDone();
  }
  const cand = new Uint32Array(await readBuffer(gpu, idxBuf, V * K * 4));
  const candCos = new Float32Array(await readBuffer(gpu, cosBuf, V * K * 4));
  [unitBuf, clsBuf, idxBuf, cosBuf].forEach((b) => b.destroy());

  const delta = (d + 16) * 2 ** -24;
  let fallbacks = 0;
  const nbr: Array<Map<number, number>> = [];
  for (let v = 0; v < V; v++) {
    const list: number[] = [];
    for (let k = 0; k < K; k++) {
      const u = cand[v * K + k]!;
      if (u !== 0xffffffff) list.push(u);
    }
    const exact = new Map<number, number>();
    for (const u of list) exact.set(u, cosine(unit, d, v, u));
    let order = list.slice().sort((a, b) => exact.get(b)! - exact.get(a)! || a - b);
    const full = list.length === K;
    if (full && order.length >= opts.k) {
      const ck = exact.get(order[opts.k - 1]!)!;
      const last = candCos[v * K + K - 1]!;
      if (!(last + delta < ck)) {
        // Not provably complete: scan the row in float64.
        fallbacks++;
        const all: number[] = [];
        for (let u = 0; u < V; u++) {
          if (u === v || (classes && classes[u] !== classes[v])) continue;
          if (!exact.has(u)) exact.set(u, cosine(unit, d, v, u));
          all.push(u);
        }
        order = all.sort((a, b) => exact.get(b)! - exact.get(a)! || a - b);
      }
    }
    const m = new Map<number, number>();
    for (const u of order.slice(0, opts.k)) m.set(u, Math.exp((exact.get(u)! - 1) / opts.bandwidth));
    nbr.push(m);
  }
  const graph = finishKnn(nbr, V, opts.symmetric);
  return { graph, hash: graphHash(graph), report: { fallbacks, candidates: K, seconds: (performance.now() - t0) / 1000, notes } };
}

/** Symmetrisation ((w_uv + w_vu) / 2 over the union), row normalisation, self-loop for an empty row: as the reference. */
function finishKnn(nbr: Array<Map<number, number>>, V: number, symmetric: boolean): CsrGraph {
  let edges = nbr;
  if (symmetric) {
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
