// One Euler (tau-leaping) step on the estimated reverse rates (docs/math.md §2.5; docs/sampling.md):
// SEDD's Euler scheme at each position, p(y) = 1{y = z} + dt R_hat(z -> y) over the S states,
// negative entries clipped to 0 and the rest renormalised. Only the stay entry 1 - dt sum_{y != z} R
// can be negative, so the step picks "stay" or "jump" from the two scalar weights
// (max(0, 1 - J), J) with J = dt sum_{y != z} max(0, R_y) summed with Kahan compensation, and a jump
// target by the same categorical descent as the reverse step (compiler/wgsl/categorical.ts): the
// tail of the jump law keeps fp32 relative precision.
import { categoricalModule, descentWgsl } from './categorical.ts';
import { PURPOSE } from './corrupt.ts';
import { dimsModule } from './dims.ts';
import { mathModule } from './math.ts';
import { program, wgslModule, type WgslProgram } from './module.ts';

/**
 * One workgroup of W lanes per position. Bindings: 1 rates [rows, S] (window at d.shift), 2 x_t
 * (all N positions), 3 x_s out (all N positions). Dims: V = S (entries of a rate row), C = rows of
 * this window, nb = global index of its first row, R = L (positions per sequence), f0 = dt, seeds,
 * stream. Draws: Philox counter (position in sequence, sequence, PURPOSE.tauLeap | stream).
 */
export function eulerProgram(W: number): WgslProgram {
  const rate = (y: string) => `select(max(rates[ib + ${y}], 0.0), 0.0, ${y} == z)`;
  const code = /* wgsl */ `
@group(0) @binding(1) var<storage, read> rates: array<f32>;
@group(0) @binding(2) var<storage, read> xt: array<u32>;
@group(0) @binding(3) var<storage, read_write> xs: array<u32>;

const W: u32 = ${W}u;
var<workgroup> sb: array<f32, ${W}>;
var<private> ib: u32;
var<private> z: u32;

fn lane_sum(lo: u32, hi: u32) -> f32 {
  var acc = vec2<f32>(0.0);
  for (var l = lo; l < hi; l = l + 1u) { acc = kahan_add(acc, sb[l]); }
  return acc.x - acc.y;
}

@compute @workgroup_size(${W})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) l: u32, @builtin(num_workgroups) nw: vec3<u32>) {
  let row = wid.x + wid.y * nw.x;
  if (row >= d.C) { return; }
  let g = d.nb + row;
  ib = d.shift + row * d.V;
  z = xt[g];
  var js = vec2<f32>(0.0);
  for (var y = l; y < d.V; y = y + W) { js = kahan_add(js, ${rate('y')}); }
  sb[l] = js.x - js.y;
  workgroupBarrier();
  if (l != 0u) { return; }
  let J = d.f0 * lane_sum(0u, W);
  let seq = g / d.R;
  var st = stream_new(vec2<u32>(d.seed0, d.seed1), g - seq * d.R, seq, (${PURPOSE.tauLeap}u << 24u) | (d.stream & 0xffffffu));
  let k = pick_component(vec4<f32>(max(1.0 - J, 0.0), J, 0.0, 0.0), stream_u(&st));
  var x = z;
  if (k == 1u) {
${descentWgsl(W, (a, b) => `lane_sum(${a}, ${b})`, rate)}
    x = pick;
  }
  xs[g] = x;
}
`;
  return program('euler', [W], dimsModule, mathModule, categoricalModule, wgslModule('euler_main', code));
}
