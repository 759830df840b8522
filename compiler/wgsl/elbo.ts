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
import { subgroupModule } from './subgroup.ts';

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
  // x_t unreachable from x0 (a_z = 0, or beyond the hop truncation): no loss, no gradient.
  bad: bool,
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
  k.bad = !(k.az > 0.0);
  if (k.bad) { k.F = 0.0; }
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
  if (!k.masked && !k.bad) {
    var gz = 0.0;
    if (k.sigPi != 0.0) { gz = k.sigPi * k.S * (k.bz - k.az) / (k.az * k.bz * k.bz); }
${sparse}
    let oz = k.z * d.C + c;
    G[oz] = gz;
    AG[oz] = k.h0 * gz;
  }
  // An unreachable x_t: the loss and its parts are NaN (d.seed0 holds NaN's bits), the gradient 0.
  let nan = bitcast<f32>(d.seed0);
  outv[p] = select(dense + sp, nan, k.bad);
  let base = d.shift + 3u * p;
  outv[base] = select(select(0.0, dense, k.masked), nan, k.bad);
  outv[base + 1u] = select(select(dense, 0.0, k.masked), nan, k.bad);
  outv[base + 2u] = select(sp, nan, k.bad);
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

/**
 * WGSL for rho_y = sum_g R_g pi_g(y) of a kernel without a graph (the reset part has hop 0 only):
 * `weights` a vec4 of the groups' R_g, the laws in `dists` ([group][V]), the token in `y`.
 */
export function resetMixWgsl(groups: number, weights: string): string {
  return groups ? Array.from({ length: groups }, (_, g) => `${weights}.${'xyzw'[g]} * dists[${g ? `${g}u * d.V + ` : ''}y]`).join(' + ') : '0.0';
}

/**
 * The ELBO integrand and its gradient for kernels without a jump channel (mask and reset channels
 * only), in row layout: one subgroup per position reads the position's logits where they lie
 * (no transposes). Without a graph b = h0 p_hat + rho and a = h0 e_x0 + rho over the real tokens
 * (h0 = e^{-Lm - Lu}), so dL/dp_hat = h0 G + (rho . G) 1 and the softmax Jacobian keeps
 * dL/dlogit_y = h0 p_y (G_y - <p, G>). Three reads of the row (softmax statistics online; loss and
 * <p, G>; gradient) and one write.
 *
 * Dims: V; C rows in this dispatch; act = global index of its first position; R = L (positions per
 * sequence); shift / nb = element offsets of the logits / dlogits windows; mode = B * L (where
 * parts start in `outv`); f0 = gradient scale.
 * Bindings: 1 logits, 2 reset weights per slot (vec4 over groups), 3 seqc, 4 slot of each sequence, 5 x0, 6 x_t, 7 reset
 * distributions, 8 dlogits, 9 outv (loss [B*L] then parts [B*L, 3]).
 */
export function elboRowProgram(o: { groups: number; subgroups: boolean; W: number }): WgslProgram {
  const W = o.subgroups ? o.W : 1;
  const rho = resetMixWgsl(o.groups, 'rws');
  const code = /* wgsl */ `
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> rw: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> seqc: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> slotOf: array<u32>;
@group(0) @binding(5) var<storage, read> x0s: array<u32>;
@group(0) @binding(6) var<storage, read> xts: array<u32>;
@group(0) @binding(7) var<storage, read> dists: array<f32>;
@group(0) @binding(8) var<storage, read_write> dl: array<f32>;
@group(0) @binding(9) var<storage, read_write> outv: array<f32>;

const W: u32 = ${W}u;
const NG: u32 = ${o.groups}u;

// p_y / b_y with b_y = rho_y + h0 p_y, from log p_y: finite when p_y underflows.
fn p_over_b(lp: f32, ry: f32, h0: f32) -> f32 {
  return select(1.0 / (ry * exp(-lp) + h0), 1.0 / h0, ry == 0.0);
}

@compute @workgroup_size(${W})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) l: u32, @builtin(num_workgroups) nw: vec3<u32>) {
  let row = wid.x + wid.y * nw.x;
  if (row >= d.C) { return; }
  let p = d.act + row;
  let sl = slotOf[p / d.R];
  let q0 = seqc[3u * sl];
  let sg = seqc[3u * sl + 1u];
  let h0 = seqc[3u * sl + 2u].y;
  let rws = rw[sl];
  let ib = d.shift + row * d.V;
  // Softmax statistics, online per lane, then across the subgroup. r is the lane's sum of
  // exp(x - m) without its largest term (no subtraction), so Z - 1 = the sum without the global
  // maximum is exact to f32 and log Z = log1p(Z - 1) keeps a confident model's -log p near 0.
  var m = -3.4028234663852886e38;
  var r = -1.0;
  var im = 0u;
  for (var v = l; v < d.V; v = v + W) {
    let x = logits[ib + v];
    if (x > m) { r = (r + 1.0) * exp(m - x); m = x; im = v; } else { r = r + exp(x - m); }
  }
  let M = sg_max(m);
  let first = sg_minu(select(W, l, m == M));
  // The token of the largest logit (p_hat's mode): its gradient is written apart below.
  let ymax = sg_minu(select(0xffffffffu, im, l == first));
  let zm1 = sg_add(select(select(0.0, (r + 1.0) * exp(m - M), r >= 0.0), r, l == first));
  let liz = -dlmk_log1p(zm1);
  let x0 = x0s[p];
  let z = xts[p];
  let masked = z >= d.V;
  var az = q0.x;
  var bz = q0.x;
  var kap = 1.0;
  var F = select(0.0, q0.y / q0.x, q0.x > 0.0);
  var gz = 0.0;
  // At a real z: p_z, delta_z - p_z (by expm1 when z = x0, so no cancellation near 1), K = kap p_z.
  var rz = 0.0;
  var pz = 0.0;
  var dzp = 0.0;
  var K = 0.0;
  if (!masked) {
    let y = z;
    rz = ${rho};
    let lpz = logits[ib + z] - M + liz;
    pz = exp(lpz);
    dzp = select(-pz, -dlmk_expm1(lpz), z == x0);
    az = rz + select(0.0, h0, z == x0);
    bz = rz + h0 * pz;
    kap = az / bz;
    K = az * p_over_b(lpz, rz, h0);
    var sigPi = 0.0;
    for (var g = 0u; g < NG; g = g + 1u) { sigPi = sigPi + sg[g] * dists[g * d.V + z]; }
    F = sigPi / az;
    // G_z = sigma pi_z S (b_z - a_z) / (a_z b_z^2), b_z - a_z = -h0 (delta_z - p_z).
    if (sigPi != 0.0) { gz = -sigPi * q0.w * h0 * dzp / (az * bz * bz); }
  }
  // x_t unreachable from x0 (a_z = 0): no loss (NaN, from d.seed0's bits), no gradient.
  let bad = !(az > 0.0);
  if (bad) {
    F = 0.0;
    gz = 0.0;
  }
  // Loss sum_{y != z} D(a_y || kap b_y); w_y = p_y G_y into dl, <p, G> = sum w_y, and
  // C = sum_{y != z} c_y with c_y = a_y p_y / b_y. Written without cancellation:
  //   p_y / b_y = 1 / (rho_y / p_y + h0)       (finite when p_y underflows, a confident model)
  //   G_y = F (kap b_y - a_y) / b_y, D(a_y || kap b_y) = a_y phi((kap b_y - a_y) / a_y), with
  //   kap b_y - a_y = h0 (p_y - delta_y)                                          (z = [MASK])
  //                 = h0 [rho_z (p_y - delta_y) + rho_y (delta_z - p_z) + h0 (delta_z p_y - delta_y p_z)] / b_z
  // (a_z b_y - a_y b_z expanded, p - delta by expm1 near 1): a well-fit model's small loss and
  // gradient keep their relative precision; and log b_y from the logit where b_y underflows.
  let ob = d.nb + row * d.V;
  let dz = select(0.0, 1.0, z == x0);
  // p - 1 at x0 and at the mode, once (expm1 near 0 keeps their precision).
  let pm0 = dlmk_expm1(logits[ib + x0] - M + liz);
  let pmMax = dlmk_expm1(logits[ib + ymax] - M + liz);
  var acc = vec2<f32>(0.0);
  var dacc = vec2<f32>(0.0);
  var cacc = vec2<f32>(0.0);
  var wm = 0.0;
  if (F != 0.0) {
    for (var y = l; y < d.V; y = y + W) {
      let lp = logits[ib + y] - M + liz;
      let py = exp(lp);
      var wy = py * gz;
      if (masked || y != z) {
        let ry = ${rho};
        let ay = ry + select(0.0, h0, y == x0);
        let by = ry + h0 * py;
        let pby = p_over_b(lp, ry, h0);
        let pm = select(py, pm0, y == x0);
        // diff = kap b_y - a_y without cancellation.
        var diff = h0 * pm;
        if (!masked) {
          let dy0 = select(0.0, 1.0, y == x0);
          diff = h0 * (rz * pm + ry * dzp + h0 * (dz * py - dy0 * pz)) / bz;
        }
        // D(a_y || kap b_y) = a_y phi(diff / a_y); where kap b_y is below f32 range against a_y,
        // a_y (-log(kap b_y / a_y) - 1) + kap b_y with log b_y from the logit.
        var dy = 0.0;
        if (!(ay > 0.0)) {
          dy = kap * by;
        } else if (!(kap * by > 1e-30 * ay)) {
          let lb = select(log(by), log(h0) + lp, ry == 0.0);
          dy = ay * (log(ay) - log(kap) - lb - 1.0) + kap * by;
        } else {
          dy = ay * dlmk_phi(diff / ay);
        }
        acc = kahan_add(acc, dy);
        wy = F * diff * pby;
        cacc = kahan_add(cacc, ay * pby);
      }
      if (y == ymax) { wm = wy; } else { dacc = kahan_add(dacc, wy); }
      dl[ob + y] = wy;
    }
  }
  let dense = F * sg_add(acc.x - acc.y);
  // <p, G> = dotx + wmax, the mode's term apart: at the mode p_y ~ 1 and w_y - p_y <p, G> =
  // w_y (1 - p_y) - p_y dotx, with 1 - p_y by expm1, has no cancellation.
  let dotx = sg_add(dacc.x - dacc.y);
  let wmax = sg_add(wm);
  let dot = dotx + wmax;
  let Cs = sg_add(cacc.x - cacc.y);
  // Gradient f0 h0 p_y (G_y - <p, G>). When kap is large (the model puts far less on z than the
  // posterior does) w_y and p_y <p, G> share a large kap p_y part; the same quantity written with
  // kap cancelled algebraically avoids it: with K = kap p_z,
  //   y != z: F (K p_y - c_y + p_y C) - p_y p_z G_z;   y = z: (1 - p_z)(p_z G_z - F K) + F p_z C.
  // Near kap = 1 (a well-fit model) w_y - p_y <p, G> is the accurate form.
  let bigKap = !masked && kap > 4.0;
  for (var y = l; y < d.V; y = y + W) {
    var gl = 0.0;
    if (F != 0.0) {
      let lp = logits[ib + y] - M + liz;
      let py = exp(lp);
      if (!bigKap) {
        gl = select(dl[ob + y] - py * dot, -wmax * pmMax - py * dotx, y == ymax);
      } else if (y == z) {
        gl = (1.0 - pz) * (pz * gz - F * K) + F * pz * Cs;
      } else {
        let ry = ${rho};
        let cy = (ry + select(0.0, h0, y == x0)) * p_over_b(lp, ry, h0);
        gl = F * (K * py - cy + py * Cs) - py * pz * gz;
      }
      gl = d.f0 * h0 * gl;
    }
    dl[ob + y] = gl;
  }
  if (l == 0u) {
    let nan = bitcast<f32>(d.seed0);
    outv[p] = select(dense, nan, bad);
    let base = d.mode + 3u * p;
    outv[base] = select(select(0.0, dense, masked), nan, bad);
    outv[base + 1u] = select(select(dense, 0.0, masked), nan, bad);
    outv[base + 2u] = select(0.0, nan, bad);
  }
}
`;
  return program(`elbo_row_${o.groups}`, [W], dimsModule, mathModule, subgroupModule(o.subgroups), wgslModule(`elbo_row_main_${o.groups}_${W}`, code));
}
