// Batched f32 matmul on WebGPU with per-adapter autotuned variants (README.md in this folder).
export { encodeMatmul } from './encode.ts';
export { prepareMatmul, type Prepared } from './prepare.ts';
export { createWeightMirror, WeightMirror } from './weight-mirror.ts';
export { MatmulError } from './errors.ts';
export { cachePath as autotuneCachePath } from './cache.ts';
export { timeMatmul, timeMirrorRefresh, matmulCandidates, type MatmulTiming } from './bench-api.ts';
export {
  MATMUL_VARIANTS,
  F16_VARIANTS,
  type MatmulArgs,
  type MatmulShape,
  type MatmulOperand,
  type MatmulRecorder,
  type MatmulVariant,
  type BatchDims,
} from './types.ts';
