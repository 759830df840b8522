// The metrics as plugins of kind 'metric' (runtime/plugins/registry.ts): a run spec names one as
// { name: 'distinct-n', n: 2 }; create(options) returns a MetricFn (samples, context) -> a number
// or a small record of numbers. Each options type is derived from its schema (one source of truth).
// Importing this module registers them in the process-wide registry (once).
import { registry, type Plugin, type Registry } from '../../plugins/registry.ts';
import { basinScore, communityEntropy } from './basin.ts';
import { detectCommunities } from './communities.ts';
import { distinctN } from './distinct.ts';
import { unigramEntropy } from './entropy.ts';
import { MetricError } from './errors.ts';
import type { MetricGraph } from './graph.ts';
import { genPerplexity } from './perplexity.ts';
import { repetitionRate } from './repetition.ts';
import type { Samples } from './samples.ts';
import { selfBleu } from './self-bleu.ts';

/** What a metric may read besides the samples. */
export interface MetricContext {
  /** Vocabulary size: token ids must be in 0..V-1 when given. */
  readonly V?: number;
  /** The kNN graph over the vocabulary (basin, community-entropy). */
  readonly graph?: MetricGraph;
  /** A community per token, instead of detecting them on `graph` (community-entropy). */
  readonly communities?: Int32Array;
  /** Per-token NLLs of each sample under a reference model (gen-ppl). */
  readonly nlls?: readonly ArrayLike<number>[];
  /** Per-token weights of those NLLs (e.g. mdlmScoreMask); all 1 when absent. */
  readonly nllWeights?: readonly ArrayLike<number>[];
}

export type MetricValue = number | Readonly<Record<string, number>>;
export type MetricFn = (samples: Samples, context?: MetricContext) => MetricValue;

// Type of an options object from its (flat) schema: integer/number -> number, enum -> its union.
type PropType<P> = P extends { readonly enum: readonly (infer E)[] }
  ? E
  : P extends { readonly type: 'integer' | 'number' }
    ? number
    : P extends { readonly type: 'boolean' }
      ? boolean
      : P extends { readonly type: 'string' }
        ? string
        : never;
type OptionsOf<S> = S extends { readonly properties: infer P } ? { [K in keyof P]?: PropType<P[K]> } : Record<string, never>;

const NONE = { type: 'object', properties: {} } as const;
const N_GRAM = (dflt: number, what: string) => ({ type: 'integer', minimum: 1, maximum: 8, default: dflt, description: what }) as const;

const DISTINCT = {
  type: 'object',
  properties: {
    n: N_GRAM(1, 'n-gram order'),
    average: { type: 'string', enum: ['pooled', 'sample'], default: 'pooled', description: "'pooled': unique / total n-grams over all samples; 'sample': the mean of that ratio per sample" },
  },
} as const;
const SELF_BLEU = {
  type: 'object',
  properties: {
    n: N_GRAM(4, 'highest n-gram order (uniform weights 1/n)'),
    smoothing: { type: 'string', enum: ['method1', 'none'], default: 'method1', description: "NLTK smoothing: 'method1' (Texygen) adds 0.1 to a zero match count" },
    maxSamples: { type: 'integer', minimum: 2, description: 'score only the first this-many samples (Texygen: 500)' },
  },
} as const;
const REPETITION = { type: 'object', properties: { n: N_GRAM(4, 'n-gram order (Welleck et al. report seq-rep-4)') } } as const;
const COMMUNITY = {
  type: 'object',
  properties: {
    resolution: { type: 'number', exclusiveMinimum: 0, default: 1, description: 'Louvain modularity resolution' },
    seed: { type: 'integer', default: 0, description: 'seed of the Louvain node order' },
  },
} as const;

function needGraph(metric: string, ctx: MetricContext | undefined): MetricGraph {
  if (!ctx?.graph) throw new MetricError(metric, 'needs context.graph (the kNN graph over the vocabulary)');
  return ctx.graph;
}

// Communities are detected once per (graph, options).
const communityCache = new WeakMap<MetricGraph, Map<string, Int32Array>>();
function communitiesOf(g: MetricGraph, resolution: number, seed: number): Int32Array {
  let m = communityCache.get(g);
  if (!m) communityCache.set(g, (m = new Map()));
  const key = `${resolution}/${seed}`;
  let label = m.get(key);
  if (!label) m.set(key, (label = detectCommunities(g, { resolution, seed }).label));
  return label;
}

export const metricPlugins: readonly Plugin<Record<string, unknown>, MetricFn>[] = [
  {
    kind: 'metric',
    name: 'unigram-entropy',
    summary: 'mean over samples of the entropy (nats) of each sample’s token histogram, as MDLM/DUO report it',
    options: NONE,
    create: (_o: OptionsOf<typeof NONE>): MetricFn => (s, ctx) => unigramEntropy(s, ctx?.V),
  } satisfies Plugin<OptionsOf<typeof NONE>, MetricFn>,
  {
    kind: 'metric',
    name: 'distinct-n',
    summary: 'distinct-n (Li et al. 2016): unique n-grams / total n-grams, pooled over samples',
    options: DISTINCT,
    create: (o: OptionsOf<typeof DISTINCT>): MetricFn => (s, ctx) => distinctN(s, o.n ?? 1, { average: o.average ?? 'pooled', V: ctx?.V }),
  } satisfies Plugin<OptionsOf<typeof DISTINCT>, MetricFn>,
  {
    kind: 'metric',
    name: 'self-bleu',
    summary: 'self-BLEU (Texygen): BLEU-n of each sample against all others, averaged; NLTK smoothing method1',
    options: SELF_BLEU,
    create: (o: OptionsOf<typeof SELF_BLEU>): MetricFn => (s, ctx) => selfBleu(s, { n: o.n ?? 4, smoothing: o.smoothing ?? 'method1', maxSamples: o.maxSamples, V: ctx?.V }),
  } satisfies Plugin<OptionsOf<typeof SELF_BLEU>, MetricFn>,
  {
    kind: 'metric',
    name: 'repetition',
    summary: 'seq-rep-n (Welleck et al. 2020): share of a sample’s n-grams that repeat an earlier one, averaged over samples',
    options: REPETITION,
    create: (o: OptionsOf<typeof REPETITION>): MetricFn => (s, ctx) => repetitionRate(s, o.n ?? 4, ctx?.V),
  } satisfies Plugin<OptionsOf<typeof REPETITION>, MetricFn>,
  {
    kind: 'metric',
    name: 'basin',
    summary: 'share of generated tokens that have a kNN-graph neighbour elsewhere in the same sample',
    options: NONE,
    create: (_o: OptionsOf<typeof NONE>): MetricFn => (s, ctx) => {
      const r = basinScore(s, needGraph('basin', ctx));
      return { score: r.score, sampleMean: r.sampleMean };
    },
  } satisfies Plugin<OptionsOf<typeof NONE>, MetricFn>,
  {
    kind: 'metric',
    name: 'community-entropy',
    summary: 'entropy (nats) of the kNN-graph communities (Louvain, seeded) a sample’s tokens fall in',
    options: COMMUNITY,
    create: (o: OptionsOf<typeof COMMUNITY>): MetricFn => (s, ctx) => {
      const label = ctx?.communities ?? communitiesOf(needGraph('community-entropy', ctx), o.resolution ?? 1, o.seed ?? 0);
      return { ...communityEntropy(s, label) };
    },
  } satisfies Plugin<OptionsOf<typeof COMMUNITY>, MetricFn>,
  {
    kind: 'metric',
    name: 'gen-ppl',
    summary: 'generative perplexity: exp(mean NLL over all scored tokens of all samples) under a reference model',
    options: NONE,
    create: (_o: OptionsOf<typeof NONE>): MetricFn => (s, ctx) => {
      if (!ctx?.nlls) throw new MetricError('gen-ppl', 'needs context.nlls (per-token NLLs of each sample under a reference model)');
      if (ctx.nlls.length !== s.length) throw new MetricError('gen-ppl', `has ${s.length} samples but NLLs for ${ctx.nlls.length}`);
      return { ...genPerplexity(ctx.nlls, ctx.nllWeights) };
    },
  } satisfies Plugin<OptionsOf<typeof NONE>, MetricFn>,
];

/** Registers the metric plugins in `reg` (the process-wide registry by default); skips names already there. */
export function registerMetricPlugins(reg: Registry = registry): void {
  for (const p of metricPlugins) if (!reg.has(p.kind, p.name)) reg.register(p);
}

registerMetricPlugins();
