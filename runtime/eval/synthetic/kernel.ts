// A kernel bound to the Markov source (docs/eval.md, "Synthetic source and the error
// decomposition"): the source's true embeddings for knn graphs, its stationary law as the unigram,
// the float64 reference kernel and, optionally, the GPU runtime. With `specials` the vocabulary is
// the tokenizer's (the source's V tokens, then eos and pad, which never occur in data), as a model
// trained through the markov plugins sees it; without, it is the source's alone (tiny exact tests).
// `referenceFor` rebuilds the reference kernel of a runtime that already exists (a trained run's).
import type { KernelSpec } from '../../../specs/types/kernel.ts';
import type { Gpu } from '../../gpu/index.ts';
import { createKernelRuntime, type KernelRuntime } from '../../kernel/index.ts';
import { buildRateTables, type SparseGraph } from '../../kernel/tables/index.ts';
import { buildKnnGraph, makeReferenceKernel, type KernelInputs, type ReferenceKernel } from '../../../reference/kernel/index.ts';
import { SyntheticError, type MarkovSource } from '../../../reference/synthetic/index.ts';
import { sourceEmbeddings } from './embeddings.ts';

export { SPECIAL_TOKENS, sourceEmbeddings } from './embeddings.ts';

export interface SourceKernel {
  readonly spec: KernelSpec;
  /** The kernel's inputs (V, graphs, unigram, and rate tables when the schedule is tabulated). */
  readonly inputs: KernelInputs;
  readonly ref: ReferenceKernel;
  /** The GPU runtime, when a gpu was given. */
  readonly rt: KernelRuntime | null;
}

/**
 * Binds `spec` to the source: every knn graph from the true embeddings (float64 reference builder,
 * the spec's k, bandwidth and symmetry), the unigram = the stationary law (0 on eos and pad), rate
 * tables when needed; the reference kernel, and the runtime on `gpu` with the same inputs.
 */
export async function sourceKernel(spec: KernelSpec, src: MarkovSource, o: { specials?: boolean; gpu?: Gpu } = {}): Promise<SourceKernel> {
  const emb = sourceEmbeddings(src, o);
  const V = emb.V;
  const graphs: Record<string, SparseGraph> = {};
  for (const g of spec.graphs) {
    if (g.classes !== null) throw new SyntheticError(`graph '${g.name}' picks neighbours within classes '${g.classes}': the synthetic source has no class partitions (use a graph without classes)`);
  }
  // Every graph, whatever its declared source (embeddings or a file), is built from the source's true embeddings.
  for (const g of spec.graphs) graphs[g.name] = buildKnnGraph(emb.data, V, emb.d, { k: g.k, bandwidth: g.bandwidth, symmetric: g.symmetric });
  const unigram = new Float64Array(V);
  unigram.set(src.pi);
  const base = { V, graphs, unigram };
  const tabulated = spec.channels.some((c) => c.Lambda === null || c.sigma === null);
  const inputs: KernelInputs = tabulated ? { ...base, tables: buildRateTables(spec, base) } : base;
  const ref = makeReferenceKernel(spec, inputs);
  const rt = o.gpu ? await createKernelRuntime(o.gpu, spec, { V, graphs, unigram, ...(inputs.tables ? { rates: inputs.tables } : {}) }) : null;
  return { spec, inputs, ref, rt };
}

/**
 * The float64 reference of an existing runtime's kernel (a trained run's: `loadRun` gives `rt` and
 * `data.unigram`): its graphs, the unigram it was bound with, reset(FILE) distributions, and the
 * rate tables rebuilt from the same inputs (buildRateTables is deterministic, and cached by them).
 */
export function referenceFor(rt: KernelRuntime, o: { unigram?: Float64Array; dists?: Record<string, Float64Array> } = {}): ReferenceKernel {
  const graphs: Record<string, SparseGraph> = {};
  for (const [name, g] of Object.entries(rt.graphs)) graphs[name] = g.host;
  const base = { V: rt.V, graphs, ...(o.unigram ? { unigram: Float64Array.from(o.unigram) } : {}), ...(o.dists ? { dists: o.dists } : {}) };
  const tabulated = rt.spec.channels.some((c) => c.Lambda === null || c.sigma === null);
  return makeReferenceKernel(rt.spec, tabulated ? { ...base, tables: buildRateTables(rt.spec, base) } : base);
}
