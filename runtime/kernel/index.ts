// Public face of the kernel runtime: a compiled kernel (Kernel IR) run on the GPU.
//
//   const rt = await createKernelRuntime(gpu, spec, { V, graphs | embeddings, unigram?, dists?, rates? });
//
// Every GPU method has an encode* form that records into the caller's GPUCommandEncoder (buffers
// in, buffers out; positions are [B, L] with one t per sequence; tokens u32 with [MASK] = V) and an
// async convenience form that uploads host arrays (tokens checked: a bad one is an error naming its
// position; the encode* forms trust their buffers), runs and reads back:
//   encodeCorrupt / corrupt            x_t ~ q_t(. | x0), exact path simulation
//   encodeRowsOrColumns / rows, columns   q_t(. | x0) over S states, q_t(x_t | .) over V
//   encodeElbo / elbo                  ELBO integrand per position, d/dlogits, (mask, reset, jump) parts
//   encodeReverse / reverseStep, reverseMixture   p(x_s | x_t) from logits: a draw, or its mixture
//   encodeRates / rates                tau-leaping reverse rates over S
//   encodeRules / applyRules           the sampler's rules on logits (count[v] from the current tokens)
//   prior() then encodeSamplePrior / samplePrior, priorKL
//   transition(s, t, H?)               host float64 coefficients, H and its truncation bound
//   describe(times?)                   sizes, graphs (hash), hops and bounds at given times
// The formulas are docs/math.md's; runtime/kernel/*.ts say which section each kernel implements.
import type { KernelSpec } from '../../specs/types/kernel.ts';
import type { Gpu } from '../gpu/index.ts';
import { KernelRuntime, type KernelRuntimeInputs } from './runtime.ts';
import { KernelRuntimeError } from './errors.ts';
import type { CsrGraph } from './graph.ts';
import { buildKnnGraphGpu, type KnnReport } from './knn.ts';
import { buildRateTables } from './tables/index.ts';
import { MAX_VOCAB } from '../../compiler/limits.ts';
import { checkGraph } from './graph.ts';

export { KernelRuntime, type KernelRuntimeInputs, type BatchShape, type DescribeInfo } from './runtime.ts';
export { KernelRuntimeError } from './errors.ts';
export { buildKnnGraphGpu, graphHash, type KnnOptions, type KnnReport } from './knn.ts';
export { type CsrGraph } from './graph.ts';
export { type RateSource, type TransitionCoefs } from './coefficients.ts';

export interface EmbeddingMatrix {
  /** Row-major [V, d]. */
  data: Float32Array | Float64Array;
  d: number;
}

export interface CreateKernelRuntimeInputs extends KernelRuntimeInputs {
  /** Embeddings for graphs whose source is 'embeddings' (built on the GPU when `graphs` lacks them). */
  embeddings?: EmbeddingMatrix;
  /** Embeddings for graphs whose source is a file, by file name. */
  embeddingFiles?: Record<string, EmbeddingMatrix>;
  /** Lexical class partitions (a class id per token) by name, for graphs with `classes`. */
  classes?: Record<string, Int32Array>;
}

/** Refuses a vocabulary size outside [2, MAX_VOCAB] before anything is sized by it. */
export function checkVocabulary(V: number, what = 'the vocabulary'): void {
  if (!(Number.isInteger(V) && V >= 2)) throw new KernelRuntimeError(`${what} must be a whole number of tokens >= 2, got ${V}`);
  if (V > MAX_VOCAB) throw new KernelRuntimeError(`${what} is ${V} tokens, more than the limit ${MAX_VOCAB} (docs/limits.md); every kernel table and buffer is sized by it`);
}

/**
 * Binds `spec` to a vocabulary and its inputs on `gpu`: builds the knn graphs it lacks on the GPU
 * (from `embeddings`), builds rate tables for tabulated schedules (runtime/kernel/tables), and
 * compiles the pipelines every call needs.
 */
export async function createKernelRuntime(gpu: Gpu, spec: KernelSpec, inputs: CreateKernelRuntimeInputs): Promise<KernelRuntime> {
  // Bounds and the given graphs are checked before anything is built or allocated for them.
  checkVocabulary(inputs.V);
  for (const [name, g] of Object.entries(inputs.graphs ?? {})) checkGraph(g, inputs.V, name);
  const graphs: Record<string, CsrGraph> = { ...(inputs.graphs ?? {}) };
  const built: Record<string, { hash: string; report: KnnReport }> = {};
  for (const g of spec.graphs) {
    if (graphs[g.name]) continue;
    const emb = g.source === 'embeddings' ? inputs.embeddings : inputs.embeddingFiles?.[g.source.file];
    if (!emb) continue;
    const V = emb.data.length / emb.d;
    if (V !== inputs.V) throw new KernelRuntimeError(`graph '${g.name}': the embeddings have ${V} rows, the vocabulary ${inputs.V} tokens`);
    let classes: Int32Array | null = null;
    if (g.classes !== null) {
      const c = inputs.classes?.[g.classes];
      if (!c) throw new KernelRuntimeError(`graph '${g.name}' picks neighbours within classes '${g.classes}': pass that partition in 'classes'`);
      classes = c;
    }
    const r = await buildKnnGraphGpu(gpu, emb.data, V, emb.d, { k: g.k, bandwidth: g.bandwidth, symmetric: g.symmetric, classes });
    graphs[g.name] = r.graph;
    built[g.name] = { hash: r.hash, report: r.report };
  }
  let rates = inputs.rates;
  if (!rates && spec.channels.some((c) => c.Lambda === null || c.sigma === null)) {
    const f64 = (x: ArrayLike<number> | undefined) => (x ? Float64Array.from(x) : undefined);
    const dists: Record<string, Float64Array> = {};
    for (const [k, x] of Object.entries(inputs.dists ?? {})) dists[k] = Float64Array.from(x);
    rates = buildRateTables(spec, { V: inputs.V, unigram: f64(inputs.unigram), graphs, dists });
  }
  const rt = new KernelRuntime(gpu, spec, inputs.V, { ...inputs, graphs, rates });
  for (const [name, b] of Object.entries(built)) rt.builtGraphs[name] = b;
  await rt.warm();
  return rt;
}
