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
  /** B is read from a WeightMirror texture (binding 2 is a texture_2d<f32>). */
  bFromTexture: boolean;
}

export interface VariantImpl {
  name: MatmulVariant;
  /** Why this variant cannot run this problem on this device, or null when it can. */
  unsupported(gpu: Gpu, p: Problem): string | null;
  kernel(gpu: Gpu, p: Problem): Kernel;
}

/** The structural part of a problem that changes the shader text (sizes live in the uniform block). */
export function structuralKey(p: Problem): string {
  return `${p.transA ? 'T' : 'N'}${p.transB ? 'T' : 'N'}${p.hasBias ? 'b' : ''}${p.accumulate ? 'a' : ''}`;
}

/**
 * Bindings and the tile prologue. `tile()` maps the (possibly 2-D) workgroup id to
 * (batch item, tile row, tile col) and `valid` says whether that tile exists; base_a/b/c
 * are the element offsets of this batch item's A, B and C.
 */
export function prologue(p: Problem, opts: { bTexture?: boolean; aType?: string; bType?: string } = {}): string {
  const aT = opts.aType ?? 'f32';
  const bT = opts.bType ?? 'f32';
  return `${PARAMS_WGSL}
@group(0) @binding(1) var<storage, read> A: array<${aT}>;
${opts.bTexture ? '@group(0) @binding(2) var BT: texture_2d<f32>;' : `@group(0) @binding(2) var<storage, read> B: array<${bT}>;`}
@group(0) @binding(3) var<storage, read_write> C: array<f32>;
${p.hasBias ? '@group(0) @binding(4) var<storage, read> BIAS: array<f32>;' : ''}

struct Tile { valid: bool, tm: u32, tn: u32, base_a: u32, base_b: u32, base_c: u32 }

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
  return t;
}
`;
}

/** WGSL statement storing `acc` (an f32 expression) into C[m, n] with alpha, bias and accumulation. */
export function storeC(p: Problem, m: string, n: string, acc: string, baseC = 't.base_c'): string {
  const idx = `${baseC} + (${m}) * P.ldc + (${n})`;
  let v = `P.alpha * (${acc})`;
  if (p.hasBias) v += ` + BIAS[P.off_bias + (${n})]`;
  if (p.accumulate) v += ` + C[${idx}]`;
  return `C[${idx}] = ${v};`;
}

/** Index expressions of A[m, k] and B[k, n] in storage, for the problem's transposes. */
export function aIndex(p: Problem, m: string, k: string, base = 't.base_a'): string {
  return p.transA ? `${base} + (${k}) * P.lda + (${m})` : `${base} + (${m}) * P.lda + (${k})`;
}
export function bIndex(p: Problem, k: string, n: string, base = 't.base_b'): string {
  return p.transB ? `${base} + (${n}) * P.ldb + (${k})` : `${base} + (${k}) * P.ldb + (${n})`;
}
