// Public face of the generation-quality and diversity metrics (host-side, float64). docs/eval.md.
export { MetricError } from './errors.ts';
export type { Samples } from './samples.ts';
export type { MetricGraph } from './graph.ts';
export { unigramEntropy, unigramEntropies, unigramEntropyOf } from './entropy.ts';
export { distinctN, type DistinctOptions } from './distinct.ts';
export { selfBleu, selfBleuScores, sentenceBleu, type BleuOptions, type SelfBleuOptions } from './self-bleu.ts';
export { repetitionRate, repetitionRates } from './repetition.ts';
export { basinScore, communityEntropy, type BasinResult, type CommunityEntropyResult } from './basin.ts';
export { detectCommunities, type Communities, type CommunityOptions } from './communities.ts';
export { genPerplexity, samplePerplexities, mdlmScoreMask, type GenPerplexity } from './perplexity.ts';
export { mean, sampleStd, standardError, meanStderr, type MeanStderr } from './stats.ts';
export { metricPlugins, registerMetricPlugins, type MetricContext, type MetricFn, type MetricValue } from './plugins.ts';
