// Validation and normalisation of a matmul call: dense defaults for row and batch strides,
// the extent of each operand in memory, and the uniform block every variant reads.
import { MatmulError } from './errors.ts';
import type { BatchDims, MatmulShape } from './types.ts';

/** A matmul with every default filled in. Batch is two-dimensional (outer, inner); 1-D batches have outer = 1. */
export interface Problem {
  M: number;
  N: number;
  K: number;
  transA: boolean;
  transB: boolean;
  batchOuter: number;
  batchInner: number;
  /** [outer, inner] element strides. */
  strideA: [number, number];
  strideB: [number, number];
  strideC: [number, number];
  lda: number;
  ldb: number;
  ldc: number;
  alpha: number;
  accumulate: boolean;
  hasBias: boolean;
  allowF16: boolean;
}

function isCount(x: number): boolean {
  return Number.isInteger(x) && x >= 0 && x <= 0x7fffffff;
}

function pair(v: readonly [number, number], field: string): [number, number] {
  for (const x of v) if (!isCount(x)) throw new MatmulError(`expected non-negative integers, got ${JSON.stringify(v)}`, field);
  return [v[0], v[1]];
}

export function normalise(s: MatmulShape): Problem {
  for (const f of ['M', 'N', 'K'] as const) {
    if (!isCount(s[f]) || s[f] === 0) throw new MatmulError(`must be a positive integer, got ${s[f]}`, f);
  }
  const { M, N, K } = s;
  const transA = !!s.transA;
  const transB = !!s.transB;
  let batchOuter = 1;
  let batchInner = 1;
  if (typeof s.batch === 'number') batchInner = s.batch;
  else if (s.batch) [batchOuter, batchInner] = s.batch;
  if (!isCount(batchOuter) || !isCount(batchInner) || batchOuter * batchInner === 0) {
    throw new MatmulError(`must be a positive integer or a pair of them, got ${JSON.stringify(s.batch)}`, 'batch');
  }
  const lda = s.lda ?? (transA ? M : K);
  const ldb = s.ldb ?? (transB ? K : N);
  const ldc = s.ldc ?? N;
  if (!isCount(lda) || lda < (transA ? M : K)) throw new MatmulError(`row stride ${lda} is shorter than a row (${transA ? M : K})`, 'lda');
  if (!isCount(ldb) || ldb < (transB ? K : N)) throw new MatmulError(`row stride ${ldb} is shorter than a row (${transB ? K : N})`, 'ldb');
  if (!isCount(ldc) || ldc < N) throw new MatmulError(`row stride ${ldc} is shorter than a row (${N})`, 'ldc');
  const sizeA = (transA ? K : M) * lda;
  const sizeB = (transB ? N : K) * ldb;
  const sizeC = M * ldc;
  // A one-number stride applies to the flattened batch index: inner stride s, outer stride s * inner.
  const stride = (v: BatchDims | undefined, field: string, size: number): [number, number] => {
    if (v === undefined) return [size * batchInner, size];
    if (typeof v === 'number') {
      if (!isCount(v)) throw new MatmulError(`expected a non-negative integer, got ${v}`, field);
      return [v * batchInner, v];
    }
    return pair(v, field);
  };
  const strideA = stride(s.strideA, 'strideA', sizeA);
  const strideB = stride(s.strideB, 'strideB', sizeB);
  const strideC = stride(s.strideC, 'strideC', sizeC);
  if ((batchOuter > 1 && strideC[0] === 0) || (batchInner > 1 && strideC[1] === 0)) {
    throw new MatmulError('C cannot be broadcast over the batch (its stride is 0): the products would overwrite each other', 'strideC');
  }
  const alpha = s.alpha ?? 1;
  if (!Number.isFinite(alpha)) throw new MatmulError(`must be finite, got ${alpha}`, 'alpha');
  return {
    M, N, K, transA, transB, batchOuter, batchInner, strideA, strideB, strideC, lda, ldb, ldc, alpha,
    accumulate: !!s.accumulate, hasBias: !!s.hasBias, allowF16: !!s.allowF16,
  };
}

/** Number of elements from an operand's offset to one past its last element touched. */
export function extent(p: Problem, which: 'a' | 'b' | 'c'): number {
  const [rows, cols, ld, st] =
    which === 'a' ? [p.transA ? p.K : p.M, p.transA ? p.M : p.K, p.lda, p.strideA]
    : which === 'b' ? [p.transB ? p.N : p.K, p.transB ? p.K : p.N, p.ldb, p.strideB]
    : [p.M, p.N, p.ldc, p.strideC];
  return (p.batchOuter - 1) * st[0] + (p.batchInner - 1) * st[1] + (rows - 1) * ld + cols;
}

/**
 * Uniform block shared by all variants; keep in sync with packParams. 32 words.
 * ta0/ta1, tb0/tb1: row offsets per outer/inner batch index in the packed operand textures
 * (0 where the operand is broadcast); kp: K padded to the kernel's k chunk; flags: bit 0 add
 * the bias, bit 1 accumulate into C, bit 2 transA, bit 3 transB (runtime flags: one pipeline per
 * variant and config serves every form, which keeps cold compiles on lavapipe to a few).
 */
export const PARAMS_WGSL = /* wgsl */ `
struct Params {
  M: u32, N: u32, K: u32, batch_inner: u32,
  lda: u32, ldb: u32, ldc: u32, batch: u32,
  off_a: u32, off_b: u32, off_c: u32, off_bias: u32,
  sa0: u32, sa1: u32, sb0: u32, sb1: u32,
  sc0: u32, sc1: u32, tiles_n: u32, tiles_m: u32,
  alpha: f32, kp: u32, ta0: u32, ta1: u32,
  tb0: u32, tb1: u32, flags: u32, _p1: u32,
  _p2: u32, _p3: u32, _p4: u32, _p5: u32,
}
@group(0) @binding(0) var<uniform> P: Params;
`;

/** Element offsets (relative to each binding's start) and tile counts the kernel needs. */
export interface Offsets { a: number; b: number; c: number; bias: number }

/** Texture row offsets per batch index of packed operands (see PARAMS_WGSL). */
export interface TexRows { kp: number; ta0: number; ta1: number; tb0: number; tb1: number }

export function packParams(p: Problem, off: Offsets, tilesM: number, tilesN: number, tex?: TexRows): ArrayBuffer {
  const buf = new ArrayBuffer(128);
  const u = new Uint32Array(buf);
  const f = new Float32Array(buf);
  u.set([
    p.M, p.N, p.K, p.batchInner,
    p.lda, p.ldb, p.ldc, p.batchOuter * p.batchInner,
    off.a, off.b, off.c, off.bias,
    p.strideA[0], p.strideA[1], p.strideB[0], p.strideB[1],
    p.strideC[0], p.strideC[1], tilesN, tilesM,
  ]);
  f[20] = p.alpha;
  if (tex) u.set([tex.kp, tex.ta0, tex.ta1, tex.tb0, tex.tb1], 21);
  u[26] = (p.hasBias ? 1 : 0) | (p.accumulate ? 2 : 0) | (p.transA ? 4 : 0) | (p.transB ? 8 : 0);
  return buf;
}
