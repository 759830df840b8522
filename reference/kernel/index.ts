// Public face of the float64 kernel reference (kernel-contract.md). Not for the GPU path.
export type { KernelInputs, ReferenceKernel, RuleEnv, KnnOptions, SparseGraph, RateTables, ElboEstimate, ElboEstimateOptions, ReverseParts } from './types.ts';
export { MIXTURE_COMPONENTS } from './types.ts';
export { makeReferenceKernel, ReferenceKernelError } from './make.ts';
export { applyRules } from './rules.ts';
export { buildKnnGraph, transposeGraph, graphHash } from '../graph/index.ts';
