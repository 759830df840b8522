// Public face of the float64 synthetic source (docs/eval.md, "Synthetic source and the error
// decomposition"): a clustered Markov chain with exact entropy, log-probabilities and sampling; its
// exact denoiser under any kernel by forward-backward; the exact NELBO of that denoiser.
export { MarkovSource, SyntheticError, MARKOV_DEFAULTS, MAX_SOURCE_V, stationaryLaw, type MarkovSourceOptions } from './source.ts';
export { forwardBackward, leaveOneOut, posteriorMarginals, expectedNll, sampleBackward, type ForwardBackward } from './hmm.ts';
export { MarkovOracle, type MarkovOracleOptions } from './oracle.ts';
export { exactDiffusionTerm, sampledDiffusionTerm, exactExpectedNelbo, oracleElboIntegrand, oracleNelboQuadrature, oracleLoss, posteriorEntropies, priorTerm, MAX_ENUMERATION, type ExpectedNelbo, type QuadratureNelbo } from './nelbo.ts';
export { sourceTable, MAX_TABLE } from './table.ts';
