// The continuous-time ELBO integrand and its gradient (docs/math.md §2.4), split by channel:
// with a = q_t(.|x0), b = p_hat^T P_t, z = x_t and Q(y, z) the forward rate y -> z,
//   L = sum_{y != z} Q(y, z) D(a_y / a_z || b_y / b_z),   D(u || v) = u log(u/v) - u + v.
// z = [MASK]: Q(y, m) = sigma_m, so L = sigma_m / a_m * sum_y D(a_y || b_y) (a_m = b_m).
// z real: Q(y, z) = sum_g sigma_g pi_g(z) (resets, dense) + sigma_a A(y, z) (graph, the
// in-neighbours of z), and D(a_y/a_z || b_y/b_z) = D(a_y || kappa b_y) / a_z with kappa = a_z / b_z.
// dL/db_y = Q(y, z) (kappa - a_y / b_y) / a_z for y != z, and for y = z (with S = sum_y a_y = sum_y b_y)
//   sigmaPi(z) S (b_z - a_z) / (a_z b_z^2) + sum_{y in in(z)} sigma_a A(y, z) (a_y / (a_z b_z) - b_y / b_z^2).
// The logits' gradient is p_hat * (g - <p_hat, g>) with g = sum_n hop_n A^n G (constants drop out).
//
// Column layout throughout (compiler/wgsl/layout.ts). Per-sequence coefficients `seqc`, three
// vec4 per slot: (maskProb, sigma_m, sigma_a, S), (sigma_g for four reset groups), (keep, 0, 0, 0).
import { dimsModule } from './dims.ts';
import { gridModule } from './layout.ts';
import { mathModule } from './math.ts';
import { program, wgslModule, type WgslProgram } from './module.ts';

/** Bindings shared by the ELBO passes (1..9), then pass-specific ones. */
const COMMON = /* wgsl */ `
@group(0) @binding(1) var<storage, read> AP: array<f32>;
@group(0) @binding(2) var<storage, read> AD: array<f32>;
@group(0) @binding(3) var<storage, read> rho: array<f32>;
@group(0) @binding(4) var<storage, read> seqc: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read> colt: array<vec2<u32>>;
@group(0) @binding(6) var<storage, read> zt: array<u32>;
@group(0) @binding(7) var<storage, read> dists: array<f32>;
@group(0) @binding(8) var<storage, read_write> G: array<f32>;
@group(0) @binding(9) var<storage, read_write> AG: array<f32>;
@group(0) @binding(10) var<storage, read> hw: array<f32>;

struct ColConsts {
  z: u32,
  masked: bool,
  az: f32,
  bz: f32,
  kap: f32,
  F: f32,
  sigPi: f32,
  S: f32,
  sigA: f32,
  h0: f32,
  s: u32,
}

// d.n: columns of rho (sequence slots). Reset groups: NG.
fn a_at(y: u32, c: u32, s: u32) -> f32 { return AD[y * d.C + c] + rho[y * d.n + s]; }
fn b_at(y: u32, c: u32, s: u32) -> f32 { return AP[y * d.C + c] + rho[y * d.n + s]; }

fn col_consts(c: u32) -> ColConsts {
  var k: ColConsts;
  let s = colt[c].y;
  k.s = s;
  let q0 = seqc[3u * s];
  let sg = seqc[3u * s + 1u];
  k.S = q0.w;
  k.sigA = q0.z;
  k.h0 = hw[c];
  let z = zt[colt[c].x];
  k.z = z;
  k.masked = z >= d.V;
  if (k.masked) {
    k.az = q0.x;
    k.bz = q0.x;
    k.kap = 1.0;
    k.F = select(0.0, q0.y / q0.x, q0.x > 0.0);
    k.sigPi = 0.0;
  } else {
    k.az = a_at(z, c, s);
    k.bz = b_at(z, c, s);
    k.kap = k.az / k.bz;
    var sp = 0.0;
    for (var g = 0u; g < NG; g = g + 1u) { sp = sp + sg[g] * dists[g * d.V + z]; }
    k.sigPi = sp;
    k.F = sp / k.az;
  }
  return k;
}
`;

export interface ElboOptions {
  /** Reset groups (0..4). */
  groups: number;
  /** A jump channel exists (the sparse in-neighbour part). */
  jump: boolean;
  wx: number;
  wy: number;
}

function commonModule(o: ElboOptions) {
  return wgslModule(`elbo_common_${o.groups}`, `const NG: u32 = ${o.groups}u;\n${COMMON}`, [dimsModule, mathModule]);
}

/**
 * Dense pass, lane (column c, row block b): Kahan partial of sum_{y in block, y != z} D(a_y || kappa b_y),
 * G[y, c] = F (kappa - a_y / b_y), AG[y, c] = hw0 G. Binding 11: partial[b * C + c].
 */
export function elboDenseProgram(o: ElboOptions): WgslProgram {
  const code = /* wgsl */ `
@group(0) @binding(11) var<storage, read_write> partial: array<f32>;

@compute @workgroup_size(${o.wx}, ${o.wy})
fn main(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let c = g.x;
  let b = row_of(g, nw, ${o.wy}u);
  if (c >= d.act || b >= d.nb) { return; }
  if (colt[c].x == 0xffffffffu) { return; }
  let k = col_consts(c);
  var acc = vec2<f32>(0.0);
  let y1 = min(d.V, (b + 1u) * d.R);
  for (var y = b * d.R; y < y1; y = y + 1u) {
    let o = y * d.C + c;
    if (!k.masked && y == k.z) {
      G[o] = 0.0;
      AG[o] = 0.0;
      continue;
    }
    let ay = a_at(y, c, k.s);
    let by = b_at(y, c, k.s);
    var gy = 0.0;
    if (k.F != 0.0) {
      acc = kahan_add(acc, dlmk_breg(ay, k.kap * by));
      if (by > 0.0) { gy = k.F * (k.kap - ay / by); }
    }
    G[o] = gy;
    AG[o] = k.h0 * gy;
  }
  partial[b * d.C + c] = acc.x - acc.y;
}
`;
  return program(`elbo_dense_${o.groups}`, [o.wx, o.wy], gridModule, commonModule(o), wgslModule(`elbo_dense_main_${o.groups}`, code));
}

/**
 * Per column: adds the block partials pairwise, the graph channel's sparse sum over the in-neighbours
 * of z (CSR of A^T), fixes G and AG there and at z, and writes loss[pos] and parts[pos * 3 + (mask, reset, jump)].
 * Bindings: 11 partial, 12 tRowPtr, 13 tCol, 14 tW, 15 out (loss then parts: out[pos] and out[d.shift + 3 pos + k]).
 */
export function elboColumnProgram(o: ElboOptions): WgslProgram {
  const sparse = o.jump
    ? /* wgsl */ `
    let j0 = tRowPtr[k.z];
    let j1 = tRowPtr[k.z + 1u];
    for (var j = j0; j < j1; j = j + 1u) {
      let y = tCol[j];
      if (y == k.z) { continue; }
      let q = k.sigA * tW[j];
      if (q == 0.0) { continue; }
      let ay = a_at(y, c, k.s);
      let by = b_at(y, c, k.s);
      sp = sp + (q / k.az) * dlmk_breg(ay, k.kap * by);
      var gy = 0.0;
      if (by > 0.0) { gy = (q / k.az) * (k.kap - ay / by); }
      let oy = y * d.C + c;
      G[oy] = G[oy] + gy;
      AG[oy] = AG[oy] + k.h0 * gy;
      gz = gz + q * (ay / (k.az * k.bz) - by / (k.bz * k.bz));
    }`
    : '';
  const code = /* wgsl */ `
@group(0) @binding(11) var<storage, read> partial: array<f32>;
@group(0) @binding(12) var<storage, read> tRowPtr: array<u32>;
@group(0) @binding(13) var<storage, read> tCol: array<u32>;
@group(0) @binding(14) var<storage, read> tW: array<f32>;
@group(0) @binding(15) var<storage, read_write> outv: array<f32>;

// Kahan sum of partial[b * C + c] over the n blocks.
fn sum_blocks(c: u32, n: u32) -> f32 {
  var acc = vec2<f32>(0.0);
  for (var b = 0u; b < n; b = b + 1u) { acc = kahan_add(acc, partial[b * d.C + c]); }
  return acc.x - acc.y;
}

@compute @workgroup_size(${o.wx * o.wy})
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  let c = g.x;
  if (c >= d.act) { return; }
  let p = colt[c].x;
  if (p == 0xffffffffu) { return; }
  let k = col_consts(c);
  let dense = k.F * sum_blocks(c, d.nb);
  var sp = 0.0;
  if (!k.masked) {
    var gz = 0.0;
    if (k.sigPi != 0.0) { gz = k.sigPi * k.S * (k.bz - k.az) / (k.az * k.bz * k.bz); }
${sparse}
    let oz = k.z * d.C + c;
    G[oz] = gz;
    AG[oz] = k.h0 * gz;
  }
  outv[p] = dense + sp;
  let base = d.shift + 3u * p;
  outv[base] = select(0.0, dense, k.masked);
  outv[base + 1u] = select(dense, 0.0, k.masked);
  outv[base + 2u] = sp;
}
`;
  return program(
    `elbo_column_${o.groups}_${o.jump ? 'j' : 'n'}`,
    [o.wx * o.wy],
    commonModule(o),
    wgslModule(`elbo_column_main_${o.groups}_${o.jump ? 'j' : 'n'}`, code),
  );
}

/** Block partials of the per-column dot <X, Y>: partial[b * C + c]. Bindings: 1 X, 2 Y, 3 partial. */
export function colDotProgram(wx: number, wy: number): WgslProgram {
  const code = /* wgsl */ `
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read> Y: array<f32>;
@group(0) @binding(3) var<storage, read_write> partial: array<f32>;

@compute @workgroup_size(${wx}, ${wy})
fn main(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let c = g.x;
  let b = row_of(g, nw, ${wy}u);
  if (c >= d.act || b >= d.nb) { return; }
  var acc = vec2<f32>(0.0);
  let y1 = min(d.V, (b + 1u) * d.R);
  for (var y = b * d.R; y < y1; y = y + 1u) {
    let o = y * d.C + c;
    acc = kahan_add(acc, X[o] * Y[o]);
  }
  partial[b * d.C + c] = acc.x - acc.y;
}
`;
  return program('coldot', [wx, wy], dimsModule, gridModule, mathModule, wgslModule('coldot_main', code));
}

/** out[c] = sum_b partial[b * C + c] (Kahan). Bindings: 1 partial, 2 out. */
export function colCombineProgram(wg: number): WgslProgram {
  const code = /* wgsl */ `
@group(0) @binding(1) var<storage, read> partial: array<f32>;
@group(0) @binding(2) var<storage, read_write> outv: array<f32>;

@compute @workgroup_size(${wg})
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  let c = g.x;
  if (c >= d.act) { return; }
  var acc = vec2<f32>(0.0);
  for (var b = 0u; b < d.nb; b = b + 1u) { acc = kahan_add(acc, partial[b * d.C + c]); }
  outv[c] = acc.x - acc.y;
}
`;
  return program('colcombine', [wg], dimsModule, mathModule, wgslModule('colcombine_main', code));
}

/**
 * dlogits[d.shift + colt[c].x * V + y] = f0 * P[y, c] (AG[y, c] - dot[c]) (softmax Jacobian).
 * Bindings: 1 P, 2 AG, 3 dot, 4 colt, 5 out. Lanes along y so the row-major writes are contiguous.
 */
export function gradWriteProgram(wx: number, wy: number): WgslProgram {
  const code = /* wgsl */ `
@group(0) @binding(1) var<storage, read> P: array<f32>;
@group(0) @binding(2) var<storage, read> AGm: array<f32>;
@group(0) @binding(3) var<storage, read> dotv: array<f32>;
@group(0) @binding(4) var<storage, read> colt: array<vec2<u32>>;
@group(0) @binding(5) var<storage, read_write> outv: array<f32>;

@compute @workgroup_size(${wx}, ${wy})
fn main(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let y = g.x;
  let c = row_of(g, nw, ${wy}u);
  if (y >= d.V || c >= d.act) { return; }
  let p = colt[c].x;
  if (p == 0xffffffffu) { return; }
  let o = y * d.C + c;
  outv[d.shift + p * d.V + y] = d.f0 * P[o] * (AGm[o] - dotv[c]);
}
`;
  return program('gradwrite', [wx, wy], dimsModule, gridModule, wgslModule('gradwrite_main', code));
}
