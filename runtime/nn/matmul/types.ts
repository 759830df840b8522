// The public types of runtime/nn/matmul (see README.md in this folder).
import type { Gpu } from '../../gpu/index.ts';

/** A run of f32 elements in a GPU buffer. `offset` counts elements, not bytes. Structurally a Tensor view. */
export interface MatmulOperand {
  readonly buffer: GPUBuffer;
  readonly offset?: number;
}

/** Where a matmul is encoded: the project's device and an open command encoder (no pass open). */
export interface MatmulRecorder {
  readonly gpu: Gpu;
  readonly encoder: GPUCommandEncoder;
}

/** A batch extent or stride: one number, or [outer, inner] for two batch dimensions (e.g. [batch, heads]). */
export type BatchDims = number | readonly [number, number];

/**
 * The implementations (see README.md): subgroup-broadcast kernels reading operands packed into
 * textures (f32, or f16 pairs), classic shared-memory tiling (f32, or f16 tiles), and a
 * register-blocked fallback that needs nothing.
 */
export type MatmulVariant = 'subgroup' | 'subgroup-f16' | 'tiled' | 'tiled-f16' | 'blocked';
export const MATMUL_VARIANTS: readonly MatmulVariant[] = ['subgroup', 'subgroup-f16', 'tiled', 'tiled-f16', 'blocked'];
/** Variants that round operands to f16 (used only when the call sets allowF16). */
export const F16_VARIANTS: readonly MatmulVariant[] = ['subgroup-f16', 'tiled-f16'];

/** The shape and layout of a matmul, without buffers: what prepareMatmul compiles and tunes for. */
export interface MatmulShape {
  /** C is M x N; the contraction is over K. */
  readonly M: number;
  readonly N: number;
  readonly K: number;
  /** op(A) = A^T when true: A is stored K x M. */
  readonly transA?: boolean;
  /** op(B) = B^T when true: B is stored N x K (a PyTorch Linear weight). */
  readonly transB?: boolean;
  /** Number of products; default 1. [outer, inner] = two batch dimensions, inner fastest. */
  readonly batch?: BatchDims;
  /** Elements between consecutive batch items of A (per dimension); 0 = broadcast. Default: dense (rows*ld). */
  readonly strideA?: BatchDims;
  readonly strideB?: BatchDims;
  readonly strideC?: BatchDims;
  /** Row strides (elements between stored rows). Default: dense (A: transA ? M : K, B: transB ? K : N, C: N). */
  readonly lda?: number;
  readonly ldb?: number;
  readonly ldc?: number;
  /** C = alpha * op(A) @ op(B) [+ bias] [+ C]; default 1. Bias is not scaled. */
  readonly alpha?: number;
  /** Add the product to C instead of overwriting it. */
  readonly accumulate?: boolean;
  /** Whether a bias[N] is added (set automatically by encodeMatmul when `bias` is given). */
  readonly hasBias?: boolean;
  /** Allow f16 operands with f32 accumulation (relative error ~1e-3; opt-in). */
  readonly allowF16?: boolean;
  /** Force a variant for this call (DLMK_MATMUL forces one for the process). */
  readonly variant?: MatmulVariant;
  /**
   * For prepareMatmul: `b` will be a WeightMirror, so texture variants are timed without
   * packing B (its refresh is paid once per weight change, not per call). encodeMatmul reads
   * this from the operand itself.
   */
  readonly bMirror?: boolean;
}

/** Everything encodeMatmul needs. `b` may be a WeightMirror of a weight (see weight-mirror.ts). */
export interface MatmulArgs extends MatmulShape {
  readonly a: MatmulOperand;
  readonly b: MatmulOperand;
  readonly c: MatmulOperand;
  readonly bias?: MatmulOperand;
}
