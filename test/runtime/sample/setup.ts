// Shared set-up of the sampler tests: a small known data law (V = 5 tokens, L = 3), the shipped
// kernels compiled from kernels/*.kernel over it (graph kernels on a 5-token knn graph built from
// hand-made embeddings on a circle, k = 2; semdlm_plus's reset(unigram) on the data's unigram), the
// float64 reference, the GPU runtime and the exact oracle denoiser.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { KernelSpec } from '../../../specs/types/kernel.ts';
import { compileKernel } from '../../../compiler/index.ts';
import { getGpu, type Gpu } from '../../../runtime/gpu/index.ts';
import { createKernelRuntime, type KernelRuntime } from '../../../runtime/kernel/index.ts';
import { buildKnnGraph, makeReferenceKernel, type ReferenceKernel, type SparseGraph } from '../../../reference/kernel/index.ts';
import { buildRateTables } from '../../../runtime/kernel/tables/index.ts';
import { OracleDenoiser } from '../../../runtime/sample/index.ts';
import { seqIndex, type DataLaw } from '../../../reference/sample/index.ts';
import { chiSquare } from '../kernel/stats.ts';

export const V = 5;
export const L = 3;
export const KERNELS = ['masking', 'uniform', 'semdlm', 'semdlm_plus', 'hybrid'] as const;
export type KernelName = (typeof KERNELS)[number];

/**
 * Five likely sequences (0.9 of the mass, with shared prefixes so that positions are correlated)
 * over a floor of 0.1 spread on all 125 sequences: full support, so that every x_t the prior can
 * draw has a posterior.
 */
export function dataLaw(): DataLaw {
  const seqs: number[][] = [];
  const probs: number[] = [];
  for (let k = 0; k < V ** L; k++) {
    seqs.push([Math.floor(k / (V * V)), Math.floor(k / V) % V, k % V]);
    probs.push(0.1 / V ** L);
  }
  const main: Array<[number[], number]> = [
    [[0, 1, 2], 0.3],
    [[0, 1, 3], 0.15],
    [[4, 4, 0], 0.2],
    [[2, 3, 2], 0.1],
    [[1, 0, 4], 0.15],
  ];
  for (const [x, p] of main) probs[seqIndex(x, V)]! += p;
  return { V, L, seqs, probs };
}

/** Token i on the unit circle at angle 2 pi i / V (slightly perturbed against ties): its 2 nearest are i - 1 and i + 1. */
export function circleGraph(): SparseGraph {
  const emb = new Float64Array(V * 2);
  for (let i = 0; i < V; i++) {
    emb[2 * i] = Math.cos((2 * Math.PI * i) / V) + 0.01 * i;
    emb[2 * i + 1] = Math.sin((2 * Math.PI * i) / V);
  }
  return buildKnnGraph(emb, V, 2, { k: 2, bandwidth: 0.3, symmetric: false });
}

export function unigramOf(law: DataLaw): Float64Array {
  const u = new Float64Array(law.V);
  law.seqs.forEach((x, j) => {
    for (let i = 0; i < law.L; i++) u[x[i]!]! += law.probs[j]! / law.L;
  });
  return u;
}

const root = fileURLToPath(new URL('../../../', import.meta.url));

/** A shipped kernel (graph kernels with k = 2), optionally with --set overrides. */
export function kernel(name: string, params: Record<string, string | number> = {}): KernelSpec {
  const text = readFileSync(`${root}kernels/${name}.kernel`, 'utf8');
  return compileKernel(text, { path: `kernels/${name}.kernel`, params: name.startsWith('semdlm') ? { k: 2, ...params } : params });
}

export interface Setup {
  gpu: Gpu;
  spec: KernelSpec;
  ref: ReferenceKernel;
  rt: KernelRuntime;
  oracle: OracleDenoiser;
  law: DataLaw;
  graph: SparseGraph;
  /** The runtime's p_1 over S. */
  prior: Float64Array;
}

export async function setup(name: string, spec = kernel(name)): Promise<Setup> {
  const gpu = await getGpu();
  const law = dataLaw();
  const graph = circleGraph();
  const inputs = { V, graphs: { near: graph }, unigram: unigramOf(law) };
  const tables = spec.channels.some((c) => c.Lambda === null || c.sigma === null) ? buildRateTables(spec, inputs) : undefined;
  const ref = makeReferenceKernel(spec, tables ? { ...inputs, tables } : inputs);
  const rt = await createKernelRuntime(gpu, spec, inputs);
  const oracle = new OracleDenoiser(spec, ref, law);
  return { gpu, spec, ref, rt, oracle, law, graph, prior: await rt.prior() };
}

/** Counts of the sampled sequences over S^L (index base S), so sequences with a [MASK] are counted too. */
export function countSequences(tokens: Uint32Array, S: number): Float64Array {
  const out = new Float64Array(S ** L);
  for (let b = 0; b * L < tokens.length; b++) out[seqIndex(tokens, S, L, b * L)]!++;
  return out;
}

/** A law over V^L re-indexed over S^L (S = V + 1 with a mask). */
export function onStates(law: ArrayLike<number>, S: number): Float64Array {
  if (S === V) return Float64Array.from(law);
  const out = new Float64Array(S ** L);
  for (let k = 0; k < law.length; k++) {
    const x = [Math.floor(k / (V * V)), Math.floor(k / V) % V, k % V];
    out[seqIndex(x, S)] = law[k]!;
  }
  return out;
}

export { chiSquare };
