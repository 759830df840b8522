// What a variant generator returns, and WGSL shared by the generators.
import type { Gpu } from '../../gpu/index.ts';
import { PARAMS_WGSL, type Problem } from './problem.ts';
import type { MatmulVariant } from './types.ts';

/** A generated shader plus how to dispatch it. Bindings: 0 params, 1 A, 2 B (buffer or texture), 3 C, 4 bias. */
export interface Kernel {
  variant: MatmulVariant;
  key: string;
  code: string;
  /** C tile per workgroup. */
  tileM: number;
  tileN: number;
  /**
   * Operands read from packed textures (bindings 1 and 2 are texture_2d): op(A) as rows of K
   * and op(B) as rows of N, K zero-padded to a multiple of `kChunk` (see pack.ts).
   */
  textures?: { format: 'rgba32float' | 'rgba32uint'; kChunk: number; f16: boolean };
  // Texture kernels write op(A) @ op(B) to an rgba32float texture (batch items stacked, M rows
  // each, tileN / 4 texels per tile), finished into C by the epilogue pass.
  /** Workgroups per tile are 1; invocations per workgroup (for documentation and tests). */
  workgroupSize: number;
}

/** A variant's tunable numbers (tile sizes); each variant documents its own. */
export type KernelConfig = Readonly<Record<string, number>>;

export interface VariantImpl {
  name: MatmulVariant;
  /** Why this variant cannot run this problem on this device, or null when it can. */
  unsupported(gpu: Gpu, p: Problem): string | null;
  /** Configurations the autotuner tries, best guess first. */
  configs(gpu: Gpu, p: Problem): KernelConfig[];
  kernel(gpu: Gpu, p: Problem, cfg: KernelConfig): Kernel;
}

/** The part of a problem that changes a kernel's text: the transpose of B for texture kernels (see subgroup.ts); nothing else. */
export function structuralKey(p: Problem): string {
  return p.transB ? 'nk' : 'kn';
}

/**
 * Bindings and the tile prologue. `tile()` maps the (possibly 2-D) workgroup id to
 * (batch item, tile row, tile col) and `valid` says whether that tile exists; base_a/b/c
 * are the element offsets of this batch item's A, B and C.
 */
export function prologue(p: Problem, opts: { texture?: 'f32' | 'u32' } = {}): string {
  void p;
  // Texture kernels write raw sums to OT (binding 5) and the epilogue pass (epilogue.ts) applies
  // alpha, bias and accumulation: per-element stores with loads, unrolled, made lavapipe's LLVM
  // take over 20 s on one shader.
  const decl = opts.texture
    ? `@group(0) @binding(1) var AT: texture_2d<${opts.texture}>;
@group(0) @binding(2) var BT: texture_2d<${opts.texture}>;
@group(0) @binding(5) var OT: texture_storage_2d<rgba32float, write>;`
    : `@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read> B: array<f32>;
@group(0) @binding(3) var<storage, read_write> C: array<f32>;
@group(0) @binding(4) var<storage, read> BIAS: array<f32>;
${STORE_C_WGSL}`;
  return `${PARAMS_WGSL}
${decl}

// tex_a, tex_b, tex_c: first row of this batch item in the packed operand textures and in OT.
struct Tile { valid: bool, tm: u32, tn: u32, base_a: u32, base_b: u32, base_c: u32, tex_a: u32, tex_b: u32, tex_c: u32 }

fn tile(wid: vec3u, nwg: vec3u) -> Tile {
  let lin = wid.x + wid.y * nwg.x;
  let per = P.tiles_n * P.tiles_m;
  let z = lin / per;
  let r = lin - z * per;
  var t: Tile;
  t.valid = z < P.batch;
  t.tm = r / P.tiles_n;
  t.tn = r - t.tm * P.tiles_n;
  let zo = z / P.batch_inner;
  let zi = z - zo * P.batch_inner;
  t.base_a = P.off_a + zo * P.sa0 + zi * P.sa1;
  t.base_b = P.off_b + zo * P.sb0 + zi * P.sb1;
  t.base_c = P.off_c + zo * P.sc0 + zi * P.sc1;
  t.tex_a = zo * P.ta0 + zi * P.ta1;
  t.tex_b = zo * P.tb0 + zi * P.tb1;
  t.tex_c = z * P.M;
  return t;
}
`;
}

/** WGSL statement storing `acc` (an f32 expression) into C[m, n] with alpha, bias and accumulation. */
export function storeC(m: string, n: string, acc: string, baseC = 't.base_c'): string {
  return `store_c(${baseC} + (${m}) * P.ldc + (${n}), ${n}, ${acc});`;
}

/** The store every variant ends with (bias and accumulation are runtime flags; see PARAMS_WGSL). */
export const STORE_C_WGSL = /* wgsl */ `
fn store_c(i: u32, n: u32, acc: f32) {
  var v = P.alpha * acc;
  if ((P.flags & 1u) != 0u) { v = v + BIAS[P.off_bias + n]; }
  if ((P.flags & 2u) != 0u) { v = v + C[i]; }
  C[i] = v;
}
`;

/** Index expressions of A[m, k] and B[k, n] in storage, for the runtime transposes (flags bits 2, 3). */
export function aIndex(m: string, k: string, base = 't.base_a'): string {
  return `${base} + select((${m}) * P.lda + (${k}), (${k}) * P.lda + (${m}), (P.flags & 4u) != 0u)`;
}
export function bIndex(k: string, n: string, base = 't.base_b'): string {
  return `${base} + select((${k}) * P.ldb + (${n}), (${n}) * P.ldb + (${k}), (P.flags & 8u) != 0u)`;
}
