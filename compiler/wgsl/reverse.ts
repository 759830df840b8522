// The plug-in reverse step p(x_s | x_t) (docs/math.md §2.3) sampled as a mixture: the component
// (stay, walk, reset, unmask) first, from four scalar weights, then ONE categorical draw
// (compiler/wgsl/categorical.ts). With b = p_hat^T P_s on the real tokens (walk part AP plus rho_s)
// and the walk column W = sum_{n >= 1} hop_n(s->t) A^n e_{x_t} (AD):
//   x_t = [MASK]: stay w = b_m; unmask w = (1 - e^{-dL_m}) sum b, x_s ~ b;
//   x_t real:     stay w = hop_0(s->t) b(x_t), x_s = x_t; walk w = sum W b, x_s ~ W b;
//                 reset w = rho_{s,t}(x_t) sum b, x_s ~ b.
// (The common factor e^{-dL_m} of a real x_t is in every weight.) Also the estimated reverse
// rates R_hat(z -> y) = Q_t(y, z) b_y / b_z (§2.5), one workgroup per position.
import { categoricalModule, descentWgsl } from './categorical.ts';
import { resetMixWgsl } from './elbo.ts';
import { PURPOSE } from './corrupt.ts';
import { dimsModule } from './dims.ts';
import { mathModule } from './math.ts';
import { program, wgslModule, type WgslProgram } from './module.ts';
import { softmaxStatsWgsl } from './softmax.ts';

/**
 * The end of both reverse-step kernels, from the weights w (stay, walk, reset, unmask) of position g:
 * with d.mode = 1 the normalised weights and the walk and b_s laws (`mixture` declares `b` and `wk`
 * for token y), else the component by pick_component and one categorical draw by descent over
 * `value`, into outTok[out].
 */
function reverseTail(o: { W: number; mixture: string; value: (y: string) => string; out: string }): string {
  return /* wgsl */ `  if (d.mode == 1u) {
    let tot = w.x + w.y + w.z + w.w;
    if (l == 0u) {
      for (var k = 0u; k < 4u; k = k + 1u) { outMix[4u * g + k] = w[k] / tot; }
    }
    let base = 4u * d.act;
    for (var y = l; y < d.V; y = y + W) {
      ${o.mixture}
      outMix[base + g * d.V + y] = wk;
      outMix[base + d.act * d.V + g * d.V + y] = b / Sb;
    }
    return;
  }
  if (l != 0u) { return; }
  let seq = g / d.R;
  var st = stream_new(vec2<u32>(d.seed0, d.seed1), g - seq * d.R, seq, (${PURPOSE.reverse}u << 24u) | (d.stream & 0xffffffu));
  let k = pick_component(w, stream_u(&st));
  var x = z;
  if (k == 0u) {
    if (!real) { x = d.V; }
  } else {
    // Lanes, then the chosen lane's tokens, by binary descent (compiler/wgsl/categorical.ts).
${descentWgsl(o.W, (a, b) => `lane_sum(k, ${a}, ${b})`, o.value)}
    x = pick;
  }
  outTok[${o.out}] = x;
}`;
}

/**
 * One workgroup per column. Bindings: 1 AP, 2 AD, 3 rhoS, 4 rhoT ([V, d.n] each), 5 colt, 6 xt (chunk
 * tokens), 7 rp (per slot: b_m, hop_0(s->t), 1 - e^{-dL_m}, 0), 8 out tokens (x_s at d.shift + row),
 * 9 out mixture (mode 1: weights [N, 4] then walk [N, V] then b [N, V], at rows d.nb + row of d.act = N).
 * Dims: V, C, n = slots, R = L (positions per sequence), nb = first position of the chunk, seeds, stream, mode.
 */
export function reverseProgram(W: number): WgslProgram {
  const code = /* wgsl */ `
@group(0) @binding(1) var<storage, read> AP: array<f32>;
@group(0) @binding(2) var<storage, read> AD: array<f32>;
@group(0) @binding(3) var<storage, read> rhoS: array<f32>;
@group(0) @binding(4) var<storage, read> rhoT: array<f32>;
@group(0) @binding(5) var<storage, read> colt: array<vec2<u32>>;
@group(0) @binding(6) var<storage, read> xt: array<u32>;
@group(0) @binding(7) var<storage, read> rp: array<vec4<f32>>;
@group(0) @binding(8) var<storage, read_write> outTok: array<u32>;
@group(0) @binding(9) var<storage, read_write> outMix: array<f32>;

const W: u32 = ${W}u;
var<workgroup> sb: array<f32, ${W}>;
var<workgroup> sw: array<f32, ${W}>;

fn b_at(y: u32, c: u32, s: u32) -> f32 { return AP[y * d.C + c] + rhoS[y * d.n + s]; }
fn val(k: u32, y: u32, c: u32, s: u32) -> f32 {
  let b = b_at(y, c, s);
  if (k == 1u) { return AD[y * d.C + c] * b; }
  return b;
}

fn lane_sum(k: u32, lo: u32, hi: u32) -> f32 {
  var acc = vec2<f32>(0.0);
  for (var l = lo; l < hi; l = l + 1u) {
    if (k == 1u) { acc = kahan_add(acc, sw[l]); } else { acc = kahan_add(acc, sb[l]); }
  }
  return acc.x - acc.y;
}


@compute @workgroup_size(${W})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) l: u32, @builtin(num_workgroups) nw: vec3<u32>) {
  let c = wid.x + wid.y * nw.x;
  if (c >= d.C) { return; }
  let row = colt[c].x;
  if (row == 0xffffffffu) { return; }
  let s = colt[c].y;
  let z = xt[row];
  let real = z < d.V;
  var ab = vec2<f32>(0.0);
  var aw = vec2<f32>(0.0);
  for (var y = l; y < d.V; y = y + W) {
    let b = b_at(y, c, s);
    ab = kahan_add(ab, b);
    if (real) { aw = kahan_add(aw, AD[y * d.C + c] * b); }
  }
  sb[l] = ab.x - ab.y;
  sw[l] = aw.x - aw.y;
  workgroupBarrier();
  let Sb = lane_sum(0u, 0u, W);
  let Sw = lane_sum(1u, 0u, W);
  let q = rp[s];
  var w = vec4<f32>(0.0);
  if (real) {
    w = vec4<f32>(q.y * b_at(z, c, s), Sw, rhoT[z * d.n + s] * Sb, 0.0);
  } else {
    w = vec4<f32>(q.x, 0.0, 0.0, q.z * Sb);
  }
  let g = d.nb + row;
${reverseTail({
  W,
  mixture: `let b = b_at(y, c, s);
      var wk = 0.0;
      if (real && Sw > 0.0) { wk = AD[y * d.C + c] * b / Sw; }`,
  value: (y) => `val(k, ${y}, c, s)`,
  out: 'd.shift + row',
})}
`;
  return program('reverse', [W], dimsModule, mathModule, categoricalModule, wgslModule('reverse_main', code));
}

/**
 * The reverse step of a kernel without a jump channel, in row layout: one workgroup per position
 * reads its logits in place. Without a graph b_s = h0_s p_hat + rho_s with rho_s = sum_g R_g pi_g
 * (hop 0 only) and there is no walk component; otherwise as reverseProgram (same weights, same
 * random stream, same descent). Bindings: 1 logits (window at d.shift), 2 reset weights (vec4 over
 * groups; per slot: of rho_s, then of rho_{s,t}), 3 reset distributions, 4 slot of each sequence,
 * 5 x_t, 6 rp (per slot: b_m, hop_0(s->t), 1 - e^{-dL_m}, h0_s), 7 out tokens, 8 out mixture (as
 * reverseProgram), 9 per lane l the sums of pi_g over the tokens l, l + W, ... (vec4 over groups),
 * so the lane sums of b_s come from the softmax statistics without another pass. Dims: V, C rows, R = L, nb = global index of the first row, act = B * L, seeds,
 * stream, mode.
 */
export function reverseRowProgram(W: number, groups: number): WgslProgram {
  const rho = (r: string) => resetMixWgsl(groups, r);
  const code = /* wgsl */ `
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> rw: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> dists: array<f32>;
@group(0) @binding(4) var<storage, read> slotOf: array<u32>;
@group(0) @binding(5) var<storage, read> xt: array<u32>;
@group(0) @binding(6) var<storage, read> rp: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read_write> outTok: array<u32>;
@group(0) @binding(8) var<storage, read_write> outMix: array<f32>;
@group(0) @binding(9) var<storage, read> piLane: array<vec4<f32>>;

const W: u32 = ${W}u;
var<workgroup> sb: array<f32, ${W}>;
var<private> ib: u32;
var<private> mx: f32;
var<private> iz: f32;
var<private> h0: f32;
var<private> rS: vec4<f32>;

fn rho_s(y: u32) -> f32 { return ${rho('rS')}; }
fn b_at(y: u32) -> f32 { return h0 * exp(logits[ib + y] - mx) * iz + rho_s(y); }

fn lane_sum(k: u32, lo: u32, hi: u32) -> f32 {
  var acc = vec2<f32>(0.0);
  for (var l = lo; l < hi; l = l + 1u) { acc = kahan_add(acc, sb[l]); }
  return acc.x - acc.y;
}

@compute @workgroup_size(${W})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) l: u32, @builtin(num_workgroups) nw: vec3<u32>) {
  let row = wid.x + wid.y * nw.x;
  if (row >= d.C) { return; }
  let g = d.nb + row;
  let sl = slotOf[g / d.R];
  let q = rp[sl];
  ib = d.shift + row * d.V;
  h0 = q.w;
  rS = rw[2u * sl];
  let rT = rw[2u * sl + 1u];
  // Softmax statistics in one pass (online per lane), then over the workgroup.
${softmaxStatsWgsl()}
  iz = 1.0 / lane_sum(0u, 0u, W);
  workgroupBarrier();
  // Lane sums of b_s: h0 (the lane's share of p_hat) + sum_g R_g (the lane's share of pi_g).
  sb[l] = h0 * el * iz + dot(rS, piLane[l]);
  workgroupBarrier();
  let Sb = lane_sum(0u, 0u, W);
  let z = xt[g];
  let real = z < d.V;
  var w = vec4<f32>(q.x, 0.0, 0.0, q.z * Sb);
  if (real) {
    let y = z;
    w = vec4<f32>(q.y * b_at(z), 0.0, (${rho('rT')}) * Sb, 0.0);
  }
${reverseTail({ W, mixture: 'let b = b_at(y);\n      let wk = 0.0;', value: (y) => `b_at(${y})`, out: 'g' })}
`;
  return program(`reverse_row_${groups}`, [W], dimsModule, mathModule, categoricalModule, wgslModule(`reverse_row_main_${groups}`, code));
}

export interface RatesOptions {
  groups: number;
  jump: boolean;
  W: number;
}

/**
 * R_hat(z -> y) = Q_t(y, z) b_y / b_z over S states, the z entry -(sum of the others); one workgroup
 * per column, writes out[d.shift + row * S + y] with S = V (+1 when d.mode & 1). Q_t(y, z) for
 * y != z real: sigma_m (z = [MASK]); sum_g sigma_g pi_g(z) + sigma_a A(y, z) (z real, A(y, z) by
 * binary search in row y of the CSR). Bindings: 1 AP, 2 rho, 3 colt, 4 xt, 5 seqc (as the ELBO: (maskProb,
 * sigma_m, sigma_a, S), sigma_g), 6 dists, 7 rowPtr, 8 col, 9 w, 10 out.
 */
export function ratesProgram(o: RatesOptions): WgslProgram {
  const W = o.W;
  const code = /* wgsl */ `
@group(0) @binding(1) var<storage, read> AP: array<f32>;
@group(0) @binding(2) var<storage, read> rho: array<f32>;
@group(0) @binding(3) var<storage, read> colt: array<vec2<u32>>;
@group(0) @binding(4) var<storage, read> xt: array<u32>;
@group(0) @binding(5) var<storage, read> seqc: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read> dists: array<f32>;
@group(0) @binding(7) var<storage, read> rowPtr: array<u32>;
@group(0) @binding(8) var<storage, read> colIdx: array<u32>;
@group(0) @binding(9) var<storage, read> wt: array<f32>;
@group(0) @binding(10) var<storage, read_write> outv: array<f32>;

const NG: u32 = ${o.groups}u;
var<workgroup> part: array<f32, ${W}>;

fn b_at(y: u32, c: u32, s: u32) -> f32 { return AP[y * d.C + c] + rho[y * d.n + s]; }

// A(y, z) by binary search in row y (columns sorted).
fn a_yz(y: u32, z: u32) -> f32 {
  var lo = rowPtr[y];
  var hi = rowPtr[y + 1u];
  loop {
    if (lo >= hi) { break; }
    let mid = (lo + hi) / 2u;
    let cm = colIdx[mid];
    if (cm == z) { return wt[mid]; }
    if (cm < z) { lo = mid + 1u; } else { hi = mid; }
  }
  return 0.0;
}

@compute @workgroup_size(${W})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) l: u32, @builtin(num_workgroups) nw: vec3<u32>) {
  let c = wid.x + wid.y * nw.x;
  if (c >= d.C) { return; }
  let row = colt[c].x;
  if (row == 0xffffffffu) { return; }
  let s = colt[c].y;
  let z = xt[row];
  let S = d.V + (d.mode & 1u);
  let q0 = seqc[3u * s];
  let sg = seqc[3u * s + 1u];
  let base = d.shift + row * S;
  let real = z < d.V;
  var bz = q0.x;
  var qc = q0.y;
  if (real) {
    bz = b_at(z, c, s);
    qc = 0.0;
    for (var g = 0u; g < NG; g = g + 1u) { qc = qc + sg[g] * dists[g * d.V + z]; }
  }
  var acc = vec2<f32>(0.0);
  for (var y = l; y < d.V; y = y + ${W}u) {
    if (real && y == z) { continue; }
    var q = qc;
    ${o.jump ? 'if (real) { q = q + q0.z * a_yz(y, z); }' : ''}
    var r = 0.0;
    if (q != 0.0) { r = q * b_at(y, c, s) / bz; }
    outv[base + y] = r;
    acc = kahan_add(acc, r);
  }
  part[l] = acc.x - acc.y;
  workgroupBarrier();
  if (l == 0u) {
    var tot = vec2<f32>(0.0);
    for (var k = 0u; k < ${W}u; k = k + 1u) { tot = kahan_add(tot, part[k]); }
    if (S > d.V && real) { outv[base + d.V] = 0.0; }
    outv[base + z] = -(tot.x - tot.y);
  }
}
`;
  const key = `rates_${o.groups}_${o.jump ? 'j' : 'n'}`;
  return program(key, [W], dimsModule, mathModule, wgslModule(`${key}_main`, code));
}
