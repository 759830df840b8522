// The epilogue pass of the texture kernels: C = alpha * OT + bias + (C when accumulating), with
// the bounds, row strides and batch strides of C. One texel (4 columns of one row) per invocation.
import { PARAMS_WGSL } from './problem.ts';
import { STORE_C_WGSL } from './kernel.ts';
import type { Source } from './pipelines.ts';

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
