// Kernels that move per-position V-vectors into and out of the column layout (compiler/wgsl/layout.ts)
// and build the pieces every quantity shares: softmax statistics, p_hat and one-hot starts with
// the n = 0 term of the hop sum, and the per-sequence reset vectors
//   rho[y, s] = sum_g sum_n reset_{g,n}(s) (pi_g^T A^n)(y)        (docs/math.md, closure)
// from the precomputed powers pi_g^T A^n (four reset groups share a vec4).
import { dimsModule } from './dims.ts';
import { gridModule } from './layout.ts';
import { mathModule } from './math.ts';
import { program, wgslModule, type WgslProgram } from './module.ts';

const NONE = '0xffffffffu';

/**
 * Softmax statistics of rows of a row-major [rows, V] buffer: stats[c] = (max, sum exp(l - max)),
 * one workgroup per column; row colt[c].x of the window (NONE: padding). Binding 1 logits, 2 colt, 3 stats.
 */
export function rowStatsProgram(wg: number): WgslProgram {
  const code = /* wgsl */ `
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> colt: array<vec2<u32>>;
@group(0) @binding(3) var<storage, read_write> stats: array<vec2<f32>>;
var<workgroup> red: array<f32, ${wg}>;

@compute @workgroup_size(${wg})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) l: u32, @builtin(num_workgroups) nw: vec3<u32>) {
  let c = wid.x + wid.y * nw.x;
  if (c >= d.C) { return; }
  let p = colt[c].x;
  if (p == ${NONE}) {
    if (l == 0u) { stats[c] = vec2<f32>(0.0, 1.0); }
    return;
  }
  let base = d.shift + p * d.V;
  var m = -3.4028234663852886e38;
  for (var y = l; y < d.V; y = y + ${wg}u) { m = max(m, logits[base + y]); }
  red[l] = m;
  workgroupBarrier();
  for (var k = ${wg / 2}u; k > 0u; k = k >> 1u) {
    if (l < k) { red[l] = max(red[l], red[l + k]); }
    workgroupBarrier();
  }
  let mx = red[0];
  workgroupBarrier();
  var acc = vec2<f32>(0.0);
  for (var y = l; y < d.V; y = y + ${wg}u) { acc = kahan_add(acc, exp(logits[base + y] - mx)); }
  red[l] = acc.x - acc.y;
  workgroupBarrier();
  for (var k = ${wg / 2}u; k > 0u; k = k >> 1u) {
    if (l < k) { red[l] = red[l] + red[l + k]; }
    workgroupBarrier();
  }
  if (l == 0u) { stats[c] = vec2<f32>(mx, red[0]); }
}
`;
  return program('rowstats', [wg], dimsModule, mathModule, wgslModule('rowstats_main', code));
}

export interface InitOptions {
  /** Matrix 0 gets p_hat = softmax of row-major logits (bindings 1 logits, 2 colt, 3 stats). */
  softmax: boolean;
  /** The next matrix gets the one-hot of tok[colt[c].x] (binding 4 tok; >= V: zero column). */
  onehot: boolean;
  wx: number;
  wy: number;
}

/**
 * Starts of the hop sums: X = p_hat and/or one-hot columns, Acc = hw[0] * X.
 * Bindings: 1 logits, 2 colt (row in the chunk, sequence slot), 3 stats, 4 tok, 5 hw, then (X, Acc) per matrix.
 */
export function initProgram(o: InitOptions): WgslProgram {
  const mats: Array<'soft' | 'hot'> = [];
  if (o.softmax) mats.push('soft');
  if (o.onehot) mats.push('hot');
  const binds = mats
    .map((_, m) => `
@group(0) @binding(${6 + 2 * m}) var<storage, read_write> X${m}: array<vec4<f32>>;
@group(0) @binding(${7 + 2 * m}) var<storage, read_write> A${m}: array<vec4<f32>>;`)
    .join('');
  const body = mats
    .map((kind, m) => {
      if (kind === 'soft') {
        return `
  var p = vec4<f32>(0.0);
  for (var k = 0u; k < 4u; k = k + 1u) {
    let c = 4u * cq + k;
    let q = colt[c].x;
    if (q != ${NONE}) {
      let st = stats[c];
      p[k] = exp(logits[d.shift + q * d.V + r] - st.x) / st.y;
    }
  }
  X${m}[o] = p;
  A${m}[o] = h * p;`;
      }
      return `
  var e = vec4<f32>(0.0);
  for (var k = 0u; k < 4u; k = k + 1u) {
    let q = colt[4u * cq + k].x;
    if (q != ${NONE} && tok[q] == r) { e[k] = 1.0; }
  }
  X${m}[o] = e;
  A${m}[o] = h * e;`;
    })
    .join('\n');
  const code = /* wgsl */ `
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> colt: array<vec2<u32>>;
@group(0) @binding(3) var<storage, read> stats: array<vec2<f32>>;
@group(0) @binding(4) var<storage, read> tok: array<u32>;
@group(0) @binding(5) var<storage, read> hw: array<vec4<f32>>;
${binds}

@compute @workgroup_size(${o.wx}, ${o.wy})
fn main(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let cq = g.x;
  let r = row_of(g, nw, ${o.wy}u);
  if (cq >= d.cv || r >= d.V) { return; }
  let o = r * d.cv + cq;
  let h = hw[cq];
${body}
}
`;
  const kind = `init_${mats.join('_')}`;
  return program(kind, [o.wx, o.wy], dimsModule, gridModule, wgslModule(`${kind}_main`, code));
}

/**
 * rho[y * nS + s] = sum_{n <= H_s} dot(R[s * (d.n + 1) + n], PiA[n * V + y]) for sequence slots
 * s < d.act (nS = d.C here). Bindings: 1 R (vec4 per (s, n)), 2 Hs (u32 per s), 3 PiA, 4 rho.
 */
export function rhoProgram(wx: number, wy: number): WgslProgram {
  const code = /* wgsl */ `
@group(0) @binding(1) var<storage, read> Rw: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> Hs: array<u32>;
@group(0) @binding(3) var<storage, read> PiA: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> rho: array<f32>;

@compute @workgroup_size(${wx}, ${wy})
fn main(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let s = g.x;
  let y = row_of(g, nw, ${wy}u);
  if (s >= d.act || y >= d.V) { return; }
  var acc = 0.0;
  let H = Hs[s];
  for (var n = 0u; n <= H; n = n + 1u) {
    acc = acc + dot(Rw[s * (d.n + 1u) + n], PiA[n * d.V + y]);
  }
  rho[y * d.C + s] = acc;
}
`;
  return program('rho', [wx, wy], dimsModule, gridModule, wgslModule('rho_main', code));
}

/**
 * Writes column-layout vectors out row-major: out[d.shift + colt[c].x * W + y], W = V (+1 with the
 * mask state when d.mode & 1). Rows (d.mode & 2): M[y, c] + rho[y, slot], the mask entry maskv[c].
 * Columns q_t(xt | .) (d.mode & 8): M[y, c] + rho[xt, slot] for a real xt = tok[colt[c].x],
 * maskv[c] everywhere when xt is [MASK]. rho has d.n columns. Bindings: 1 M, 2 colt, 3 rho, 4 maskv, 5 tok, 6 out.
 */
export function writeRowsProgram(wx: number, wy: number): WgslProgram {
  const code = /* wgsl */ `
@group(0) @binding(1) var<storage, read> M: array<f32>;
@group(0) @binding(2) var<storage, read> colt: array<vec2<u32>>;
@group(0) @binding(3) var<storage, read> rho: array<f32>;
@group(0) @binding(4) var<storage, read> maskv: array<f32>;
@group(0) @binding(5) var<storage, read> tok: array<u32>;
@group(0) @binding(6) var<storage, read_write> outv: array<f32>;

@compute @workgroup_size(${wx}, ${wy})
fn main(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let y = g.x;
  let c = row_of(g, nw, ${wy}u);
  let W = d.V + (d.mode & 1u);
  if (c >= d.C || y >= W) { return; }
  let p = colt[c].x;
  if (p == ${NONE}) { return; }
  let s = colt[c].y;
  var v = 0.0;
  if (y == d.V) {
    v = maskv[c];
  } else {
    v = M[y * d.C + c];
    if ((d.mode & 2u) != 0u) { v = v + rho[y * d.n + s]; }
    if ((d.mode & 8u) != 0u) {
      let xt = tok[p];
      if (xt >= d.V) { v = maskv[c]; } else { v = v + rho[xt * d.n + s]; }
    }
  }
  outv[d.shift + p * W + y] = v;
}
`;
  return program('write_rows', [wx, wy], dimsModule, gridModule, wgslModule('write_rows_main', code));
}
