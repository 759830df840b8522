// Public face of the host-side kernel tables (float64; the GPU path may import this).
export type { SparseGraph } from './graph.ts';
export { vecMat, matVec } from './graph.ts';
export type { RateTables, RateTablesInputs, RateTablesOptions, MutualInfoReport } from './types.ts';
export { buildRateTables, checkLaw, normaliseLaw, RateTablesError, MutualInfoError } from './rate-tables.ts';
export { monotoneCubic, type Monotone } from './monotone.ts';
export { hopWeights, hopCount, hopBound, resetWeights } from './weights.ts';
