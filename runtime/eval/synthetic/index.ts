// Public face of the synthetic source and the error decomposition (docs/eval.md, "Synthetic source
// and the error decomposition"): the Markov source's plugins (registered on import), its kernels,
// its exact denoiser as a Denoiser, and decompose(). The float64 source itself and its exact
// quantities are reference/synthetic (re-exported here for convenience).
export { MarkovSource, MarkovOracle, SyntheticError, MARKOV_DEFAULTS, type MarkovSourceOptions } from '../../../reference/synthetic/index.ts';
export { MarkovCorpus, MarkovTokenizer, MARKOV_CORPUS_OPTIONS, SOURCE_PROPERTIES, markovSourceOf, type MarkovCorpusOptions } from './corpus.ts';
export { MARKOV_PLUGINS, MARKOV_EMBEDDINGS_OPTIONS, markovCorpusPlugin, markovTokenizerPlugin, markovEmbeddingsPlugin, registerMarkovPlugins } from './plugins.ts';
export { SPECIAL_TOKENS, sourceEmbeddings, sourceKernel, referenceFor, type SourceKernel } from './kernel.ts';
export { MarkovOracleDenoiser } from './denoiser.ts';
export { INVALID_COST, scoreSequences, bigramTV, sampleEntropies, lawReport, pairedDifference, type LawReport } from './laws.ts';
export { decompose, formatDecomposition, type DecomposeOptions, type Decomposition, type Part } from './decompose.ts';
