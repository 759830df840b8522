// Public face of the float64 sampling reference: the exact oracle of a known data law, the exact
// laws of whole sequences (the reverse process from the prior; the ideal sampler on a grid), and
// one-step re-implementations of each predictor (docs/sampling.md).
export { Oracle, OracleError, checkLaw, lawVector, seqIndex, seqOf, tv, MAX_STATES, type DataLaw } from './oracle.ts';
export { exactReverseLaw, productLaw, realPart, samplerLaw, type SamplerLawOptions } from './law.ts';
export { commitCount, correctionPick, eulerLaw, gridTime, remaskLaw, remaskSigma, remaskUnmask, topConfident } from './steps.ts';
