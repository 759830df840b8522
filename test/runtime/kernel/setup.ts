// Shared set-up of the kernel back-end tests: a seeded random vocabulary (embeddings, knn graph
// built by the reference, unigram law) and, for a spec, the float64 reference kernel next to the
// GPU runtime over the same inputs.
import type { KernelSpec } from '../../../specs/types/kernel.ts';
import { buildKnnGraph, makeReferenceKernel, type ReferenceKernel, type SparseGraph } from '../../../reference/kernel/index.ts';
import { createKernelRuntime, type KernelRuntime } from '../../../runtime/kernel/index.ts';
import { buildRateTables } from '../../../runtime/kernel/tables/index.ts';
import { getGpu, type Gpu } from '../../../runtime/gpu/index.ts';
import * as IR from '../../helpers/ir.ts';
import { mulberry32 } from '../../../runtime/data/random.ts';

/** Deterministic uniforms in (0, 1) (mulberry32). */
export const rng = (seed: number) => mulberry32(seed, { open: true });

export function gaussian(r: () => number): number {
  return Math.sqrt(-2 * Math.log(r())) * Math.cos(2 * Math.PI * r());
}

export interface Vocab {
  V: number;
  d: number;
  emb: Float64Array;
  graph: SparseGraph;
  unigram: Float64Array;
}

export function vocab(V: number, seed = 1, d = 8, k = 4): Vocab {
  const r = rng(seed);
  const emb = Float64Array.from({ length: V * d }, () => gaussian(r));
  const graph = buildKnnGraph(emb, V, d, { k, bandwidth: 0.3, symmetric: false });
  const unigram = Float64Array.from({ length: V }, () => 0.2 + r());
  const s = unigram.reduce((a, b) => a + b, 0);
  unigram.forEach((x, i) => (unigram[i] = x / s));
  return { V, d, emb, graph, unigram };
}

/** The shipped kernels as the tests use them (test/helpers/ir.ts). */
export const SHIPPED: Record<string, () => KernelSpec> = {
  masking: () => IR.masking(),
  uniform: () => IR.uniform(),
  semdlm: () => IR.semdlm(),
  semdlm_plus: () => IR.semdlmPlus(),
  hybrid: () => IR.hybrid(),
  everything: () => IR.everything(),
};

export interface Pair {
  gpu: Gpu;
  ref: ReferenceKernel;
  rt: KernelRuntime;
  spec: KernelSpec;
  vocab: Vocab;
}

/** The reference and the runtime of `spec` over `v`; `tables`: the reference reads the rate tables the runtime builds (channels without closed forms). */
export async function pair(spec: KernelSpec, v: Vocab, tables = false): Promise<Pair> {
  const gpu = await getGpu();
  const inputs = { V: v.V, graphs: { near: v.graph }, unigram: v.unigram };
  const ref = makeReferenceKernel(spec, tables ? { ...inputs, tables: buildRateTables(spec, inputs) } : inputs);
  const rt = await createKernelRuntime(gpu, spec, inputs);
  return { gpu, ref, rt, spec, vocab: v };
}

/** Largest |got - want| / (|want| + floor) over the entries. */
/** The index that a uniform u picks from the law p by inversion (the last one if rounding runs past the end). */
export function drawFrom(p: ArrayLike<number>, u: number): number {
  let k = 0;
  while (k < p.length - 1 && u > p[k]!) {
    u -= p[k]!;
    k++;
  }
  return k;
}

export function maxRelErr(got: ArrayLike<number>, want: ArrayLike<number>, floor = 0): number {
  let m = 0;
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    const g = got[i]!;
    const e = Math.abs(g - w) / (Math.abs(w) + floor);
    if (!(e <= m)) m = Number.isNaN(e) ? Infinity : e;
  }
  return m;
}
