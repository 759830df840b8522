// The epilogue pass of the texture kernels: C = alpha * OT + bias + (C when accumulating), with
// the bounds, row strides and batch strides of C. Two forms: a general one (one texel, 4 scalar
// stores per invocation) and, when C and the bias are vec4-aligned, one that moves 8 texels per
// invocation as vec4s (PERF-NOTES: vec4 and many elements per invocation are ~6x faster on lavapipe).
import { PARAMS_WGSL, type Problem } from './problem.ts';
import { STORE_C_WGSL } from './kernel.ts';
import type { Source } from './pipelines.ts';

/** Texels per invocation of the vec4 form. */
export const EPILOGUE_V4_TEXELS = 8;

export const EPILOGUE: Source = {
  key: 'matmul/epilogue',
  code: /* wgsl */ `${PARAMS_WGSL}
@group(0) @binding(1) var OT: texture_2d<f32>;
@group(0) @binding(3) var<storage, read_write> C: array<f32>;
@group(0) @binding(4) var<storage, read> BIAS: array<f32>;
${STORE_C_WGSL}
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let x = gid.x;
  let y = gid.y + gid.z * 65535u;
  if (x * 4u >= P.N || y >= P.batch * P.M) { return; }
  let z = y / P.M;
  let m = y - z * P.M;
  let zo = z / P.batch_inner;
  let zi = z - zo * P.batch_inner;
  let row = P.off_c + zo * P.sc0 + zi * P.sc1 + m * P.ldc;
  let v = textureLoad(OT, vec2u(x, y), 0);
  for (var q = 0u; q < 4u; q = q + 1u) {
    let n = x * 4u + q;
    if (n < P.N) { store_c(row + n, n, v[q]); }
  }
}`,
};

export const EPILOGUE_V4: Source = {
  key: 'matmul/epilogue-v4',
  code: /* wgsl */ `${PARAMS_WGSL}
@group(0) @binding(1) var OT: texture_2d<f32>;
@group(0) @binding(3) var<storage, read_write> C: array<vec4f>;
@group(0) @binding(4) var<storage, read> BIAS: array<vec4f>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let y = gid.y + gid.z * 65535u;
  if (y >= P.batch * P.M) { return; }
  let z = y / P.M;
  let m = y - z * P.M;
  let zo = z / P.batch_inner;
  let zi = z - zo * P.batch_inner;
  let row = (P.off_c + zo * P.sc0 + zi * P.sc1 + m * P.ldc) / 4u;
  let texels = P.N / 4u;
  let x0 = gid.x * ${EPILOGUE_V4_TEXELS}u;
  for (var i = 0u; i < ${EPILOGUE_V4_TEXELS}u; i = i + 1u) {
    let x = x0 + i;
    if (x >= texels) { break; }
    var v = P.alpha * textureLoad(OT, vec2u(x, y), 0);
    if ((P.flags & 1u) != 0u) { v = v + BIAS[P.off_bias / 4u + x]; }
    if ((P.flags & 2u) != 0u) { v = v + C[row + x]; }
    C[row + x] = v;
  }
}`,
};

/** Whether the vec4 form applies: every C row start and the bias are 16-byte aligned within their bindings. */
export function epilogueV4(p: Problem, offC: number, offBias: number): boolean {
  const a4 = (x: number) => x % 4 === 0;
  return a4(p.N) && a4(p.ldc) && a4(offC) && a4(p.strideC[0]) && a4(p.strideC[1]) && (!p.hasBias || a4(offBias));
}
