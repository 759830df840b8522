export { encodeMatmul } from './encode.ts';
export { prepareMatmul } from './prepare.ts';
export { MatmulError } from './errors.ts';
export {
  MATMUL_VARIANTS,
  type MatmulArgs,
  type MatmulShape,
  type MatmulOperand,
  type MatmulRecorder,
  type MatmulVariant,
  type BatchDims,
} from './types.ts';
