// Fused multi-head attention, O = softmax(scale * Q K^T [+ causal mask]) V, without
// materialising the L x L scores (FlashAttention's recurrence, Dao et al. 2022).
//
// Two implementations of the same recurrence (per query row: online softmax with running max m
// and sum l, o = o * exp(m_old - m) + exp(s - m) v_j; the row's log-sum-exp is saved):
//  - with subgroups (lavapipe, NVIDIA, ...): R rows per subgroup, lanes split the head dimension
//    (see "The subgroup path" below);
//  - without: one row per invocation, tiles of rows of one (batch, head) per workgroup, vectors in
//    private arrays, keys in blocks of 8 (one accumulator rescale per block). No cross-invocation
//    operations, so it runs on any adapter.
// Backward, recomputing P_ij = exp(s_ij - lse_i) (no L x L storage), with D_i = dO_i . O_i:
//   dV_j = sum_i P_ij dO_i,  dS_ij = P_ij (dO_i . v_j - D_i),
//   dQ_i = scale sum_j dS_ij k_j,  dK_j = scale sum_i dS_ij q_i.
// dQ is computed per query row (which also writes D), dK and dV per key row: every sum has one
// owner and a fixed order, so there are no atomics and the result is deterministic.
//
// Q, K, V, O and their gradients are [B, H, L, dh] views with any strides over (b, h, l) and a
// dense head dimension, so they can be the q/k/v parts of a fused [B, L, 3, H, dh] projection and
// O can be written straight into a [B, L, H, dh] (= [B*L, D]) layout for the output projection.
import { maxBindingBytes, uniformLayout, type Recorder, type Window } from '../../gpu/index.ts';
import { windowFor } from '../bind.ts';
import { dispatchOp, type Slot } from '../dispatch.ts';
import { NnError } from '../errors.ts';
import { extentOf, narrow, stridesOf, tempTensor, type Tensor } from '../tensor.ts';
import { groups, targetOf, WG_INDEX, type Target } from '../wgsl.ts';

const VIEWS = ['q', 'k', 'v', 'o', 'g', 'dq', 'dk', 'dv'] as const;
type ViewName = (typeof VIEWS)[number];

function viewFields(): Record<string, 'u32'> {
  const f: Record<string, 'u32'> = {};
  for (const n of VIEWS) for (const s of ['o', 'b', 'h', 'l']) f[`${n}_${s}`] = 'u32';
  return f;
}

const AU = uniformLayout('AttnU', {
  B: 'u32', H: 'u32', L: 'u32', dh: 'u32', causal: 'u32', scale: 'f32', lse_o: 'u32', dd_o: 'u32',
  ...(viewFields() as { [K in `${ViewName}_${'o' | 'b' | 'h' | 'l'}`]: 'u32' }),
});

type AttnValues = Parameters<typeof AU.pack>[2];

/** Query (or key) rows per workgroup: one per invocation. */
function tileOf(t: Target): number {
  return t.lanes;
}

const KB = 8; // keys per online-softmax block

function prelude(decls: string, T: number): string {
  return `${AU.wgsl}
@group(0) @binding(0) var<uniform> u: AttnU;
${decls}
const T: u32 = ${T}u;
struct Tile { valid: bool, b: u32, h: u32, bh: u32, r0: u32 }
// Workgroups walk (b, h) blocks, ceil(L / T) tiles of T rows each; all rows of a tile share (b, h),
// so every invocation loads the same key/value element at the same time (one load, broadcast).
fn tile_of(wg: u32) -> Tile {
  var t: Tile;
  let tiles = (u.L + T - 1u) / T;
  t.bh = wg / tiles;
  t.valid = t.bh < u.B * u.H;
  t.r0 = (wg - t.bh * tiles) * T;
  t.h = t.bh % u.H;
  t.b = t.bh / u.H;
  return t;
}`;
}

const base = (n: ViewName, tile: string, pos: string) => `u.${n}_o + ${tile}.b * u.${n}_b + ${tile}.h * u.${n}_h + (${pos}) * u.${n}_l`;

// One query row per invocation: its q and output accumulator live in the invocation; keys come in
// blocks of KB: scores first, then one rescale of the accumulator per block (FlashAttention-2).
function forwardSource(T: number, dh: number, decls: string): string {
  return /* wgsl */ `${prelude(decls, T)}
@compute @workgroup_size(${T})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lane: u32) {
  ${WG_INDEX}
  let t = tile_of(wg_index);
  if (!t.valid) { return; }
  let i = t.r0 + lane;
  let ic = min(i, u.L - 1u);
  let qb = ${base('q', 't', 'ic')};
  var qv: array<f32, ${dh}>;
  var acc: array<f32, ${dh}>;
  for (var d = 0u; d < u.dh; d = d + 1u) { qv[d] = q[qb + d] * u.scale; acc[d] = 0.0; }
  var m = -3.0e38;
  var l = 0.0;
  let jend = select(u.L, min(u.L, t.r0 + T), u.causal != 0u);
  var sc: array<f32, ${KB}>;
  for (var j0 = 0u; j0 < jend; j0 = j0 + ${KB}u) {
    var bm = m;
    for (var c = 0u; c < ${KB}u; c = c + 1u) {
      let j = j0 + c;
      let kb = ${base('k', 't', 'min(j, u.L - 1u)')};
      var s = 0.0;
      for (var d = 0u; d < u.dh; d = d + 1u) { s = s + qv[d] * k[kb + d]; }
      if (j >= jend || (u.causal != 0u && j > ic)) { s = -3.0e38; }
      sc[c] = s;
      bm = max(bm, s);
    }
    let corr = exp(m - bm);
    l = l * corr;
    for (var d = 0u; d < u.dh; d = d + 1u) { acc[d] = acc[d] * corr; }
    for (var c = 0u; c < ${KB}u; c = c + 1u) {
      let p = select(exp(sc[c] - bm), 0.0, sc[c] <= -3.0e38);
      l = l + p;
      let vb = ${base('v', 't', 'min(j0 + c, u.L - 1u)')};
      for (var d = 0u; d < u.dh; d = d + 1u) { acc[d] = acc[d] + p * v[vb + d]; }
    }
    m = bm;
  }
  if (i < u.L) {
    let inv = 1.0 / l;
    let ob = ${base('o', 't', 'i')};
    for (var d = 0u; d < u.dh; d = d + 1u) { o[ob + d] = acc[d] * inv; }
    lse[u.lse_o + t.bh * u.L + i] = m + log(l);
  }
}`;
}

// One query row per invocation: dQ_i = scale * sum_j P_ij (dO_i . v_j - D_i) k_j; also writes D_i.
function dqSource(T: number, dh: number, decls: string): string {
  return /* wgsl */ `${prelude(decls, T)}
@compute @workgroup_size(${T})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lane: u32) {
  ${WG_INDEX}
  let t = tile_of(wg_index);
  if (!t.valid) { return; }
  let i = t.r0 + lane;
  let ic = min(i, u.L - 1u);
  let qb = ${base('q', 't', 'ic')};
  let gb = ${base('g', 't', 'ic')};
  let ob = ${base('o', 't', 'ic')};
  var qv: array<f32, ${dh}>;
  var gv: array<f32, ${dh}>;
  var acc: array<f32, ${dh}>;
  var di = 0.0;
  for (var d = 0u; d < u.dh; d = d + 1u) {
    qv[d] = q[qb + d] * u.scale;
    gv[d] = g[gb + d];
    di = di + gv[d] * o[ob + d];
    acc[d] = 0.0;
  }
  let lse_i = lse[u.lse_o + t.bh * u.L + ic];
  let jend = select(u.L, min(u.L, t.r0 + T), u.causal != 0u);
  for (var j = 0u; j < jend; j = j + 1u) {
    let kb = ${base('k', 't', 'j')};
    let vb = ${base('v', 't', 'j')};
    var s = 0.0;
    var dp = 0.0;
    for (var d = 0u; d < u.dh; d = d + 1u) { s = s + qv[d] * k[kb + d]; dp = dp + gv[d] * v[vb + d]; }
    var p = exp(s - lse_i);
    if (u.causal != 0u && j > ic) { p = 0.0; }
    let ds = p * (dp - di);
    for (var d = 0u; d < u.dh; d = d + 1u) { acc[d] = acc[d] + ds * k[kb + d]; }
  }
  if (i < u.L) {
    let dqb = ${base('dq', 't', 'i')};
    for (var d = 0u; d < u.dh; d = d + 1u) { dq[dqb + d] = acc[d] * u.scale; }
    dd[u.dd_o + t.bh * u.L + i] = di;
  }
}`;
}

// One key row per invocation: dV_j = sum_i P_ij dO_i, dK_j = scale * sum_i dS_ij q_i.
function dkvSource(T: number, dh: number, shared: boolean, decls: string): string {
  const dk = shared ? 'dkv' : 'dk';
  const dv = shared ? 'dkv' : 'dv';
  return /* wgsl */ `${prelude(decls, T)}
@compute @workgroup_size(${T})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lane: u32) {
  ${WG_INDEX}
  let t = tile_of(wg_index);
  if (!t.valid) { return; }
  let j = t.r0 + lane;
  let jc = min(j, u.L - 1u);
  let kb = ${base('k', 't', 'jc')};
  let vb = ${base('v', 't', 'jc')};
  var kv: array<f32, ${dh}>;
  var vv: array<f32, ${dh}>;
  var ak: array<f32, ${dh}>;
  var av: array<f32, ${dh}>;
  for (var d = 0u; d < u.dh; d = d + 1u) { kv[d] = k[kb + d] * u.scale; vv[d] = v[vb + d]; ak[d] = 0.0; av[d] = 0.0; }
  let istart = select(0u, t.r0, u.causal != 0u);
  let rows = t.bh * u.L;
  for (var i = istart; i < u.L; i = i + 1u) {
    let qb = ${base('q', 't', 'i')};
    let gb = ${base('g', 't', 'i')};
    var s = 0.0;
    var dp = 0.0;
    for (var d = 0u; d < u.dh; d = d + 1u) { s = s + kv[d] * q[qb + d]; dp = dp + vv[d] * g[gb + d]; }
    var p = exp(s - lse[u.lse_o + rows + i]);
    if (u.causal != 0u && jc > i) { p = 0.0; }
    let ds = p * (dp - dd[u.dd_o + rows + i]);
    for (var d = 0u; d < u.dh; d = d + 1u) { av[d] = av[d] + p * g[gb + d]; ak[d] = ak[d] + ds * q[qb + d]; }
  }
  if (j < u.L) {
    let dkb = ${base('dk', 't', 'j')};
    let dvb = ${base('dv', 't', 'j')};
    for (var d = 0u; d < u.dh; d = d + 1u) { ${dk}[dkb + d] = ak[d] * u.scale; ${dv}[dvb + d] = av[d]; }
  }
}`;
}

// ---- The subgroup path: R rows per subgroup, lanes split the head dimension ----
//
// Each of the S lanes holds elements d = lane + c * S (c < P) of R rows' vectors in registers (the
// code is unrolled over r and c, never over keys). A key's slice is loaded once and used for R
// rows, so each K/V element is read once per R rows instead of once per row. The R partial dot
// products are summed across lanes (lane l keeps the total of row l mod R), each lane runs the
// online softmax of its row, and the row's weight is broadcast back for the V update. On lavapipe
// (dh = 64, R = 2) forward + backward ran 2.7x faster than one row per subgroup reading K/V once
// per row (interleaved A/B in one process).

interface Sg {
  S: number;
  R: number;
  P: number;
  /** The head dimension (part of the program: guards only where a slice runs past it). */
  dh: number;
}

function sgShape(t: Target, dh: number): Sg {
  const S = t.lanes;
  const P = Math.ceil(dh / S);
  // Live registers per lane ~ 2 R P + 2 P. Compile time on lavapipe grows steeply with them
  // (dh = 64, S = 8: R = 2 compiles fwd+bwd in ~6 s cold, R = 4 in ~20 s, for ~1.5x speed), so
  // R * P <= 16; Mesa's disk cache makes later compiles of the same shader ~0.1 s.
  const R = Math.max(1, Math.min(S, 8, Math.floor(16 / P)));
  return { S, R, P, dh };
}

const rr = (g: Sg) => Array.from({ length: g.R }, (_, r) => r);
const cc = (g: Sg) => Array.from({ length: g.P }, (_, c) => c);
const dOf = (g: Sg, c: number) => `lane + ${c * g.S}u`;
const NL = '\n';
/** Whether slot c of a lane can fall past the head dimension (then its loads and stores are guarded). */
const partial = (g: Sg, c: number) => (c + 1) * g.S > g.dh;

/**
 * WGSL computing `out` = the sum over lanes of x{r} for this lane's row r = lane mod R: one
 * subgroupAdd per row. (A transpose reduction with subgroupShuffleXor needs fewer shuffles, but on
 * lavapipe it compiled about twice as slowly and ran no faster.)
 */
function transposeReduce(g: Sg, x: string, out: string): string {
  const lines = rr(g).map((r) => `let ${x}s${r} = subgroupAdd(${x}${r});`);
  let expr = `${x}s0`;
  for (let r = 1; r < g.R; r++) expr = `select(${expr}, ${x}s${r}, lane % ${g.R}u == ${r}u)`;
  lines.push(`let ${out} = ${expr};`);
  return lines.map((l) => `    ${l}`).join(NL);
}

function sgPrelude(g: Sg, decls: string): string {
  return `enable subgroups;
${AU.wgsl}
@group(0) @binding(0) var<uniform> u: AttnU;
${decls}
struct Tile { valid: bool, b: u32, h: u32, bh: u32, r0: u32 }
fn tile_of(wg: u32) -> Tile {
  var t: Tile;
  let tiles = (u.L + ${g.R - 1}u) / ${g.R}u;
  t.bh = wg / tiles;
  t.valid = t.bh < u.B * u.H;
  t.r0 = (wg - t.bh * tiles) * ${g.R}u;
  t.h = t.bh % u.H;
  t.b = t.bh / u.H;
  return t;
}`;
}

/** Loads the slices of R rows (r0 + r, clamped) of view `n` into `${name}${r}_${c}`, times `mul`. */
function loadRows(g: Sg, n: ViewName, name: string, mul = ''): string {
  return rr(g)
    .map((r) => {
      const b = `${name}b${r}`;
      return `  let ${b} = ${base(n, 't', `min(t.r0 + ${r}u, u.L - 1u)`)};${NL}` +
        cc(g).map((c) => partial(g, c)
          ? `  var ${name}${r}_${c} = 0.0; if (${dOf(g, c)} < u.dh) { ${name}${r}_${c} = ${n}[${b} + ${dOf(g, c)}]${mul}; }`
          : `  let ${name}${r}_${c} = ${n}[${b} + ${dOf(g, c)}]${mul};`).join(NL);
    })
    .join(NL);
}

/** Loads one row's slice of view `n` at position `pos` into `${name}${c}` (0 past dh). */
function loadSlice(g: Sg, n: ViewName, name: string, pos: string): string {
  return `    let ${name}b = ${base(n, 't', pos)};${NL}` +
    cc(g).map((c) => partial(g, c)
      ? `    var ${name}${c} = 0.0; if (${dOf(g, c)} < u.dh) { ${name}${c} = ${n}[${name}b + ${dOf(g, c)}]; }`
      : `    let ${name}${c} = ${n}[${name}b + ${dOf(g, c)}];`).join(NL);
}

function dots(g: Sg, x: string, a: string, b: string): string {
  return rr(g).map((r) => `    var ${x}${r} = ${cc(g).map((c) => `${a}${r}_${c} * ${b}${c}`).join(' + ')};`).join(NL);
}

/** Stores expr(r, c) into rows r0 + r of view `n` through array `arr`. */
function storeRows(g: Sg, n: ViewName, arr: string, expr: (r: number, c: number) => string): string {
  return rr(g)
    .map((r) => `  if (t.r0 + ${r}u < u.L) {${NL}    let ${n}s${r} = ${base(n, 't', `t.r0 + ${r}u`)};${NL}` +
      cc(g).map((c) => (partial(g, c) ? `    if (${dOf(g, c)} < u.dh) { ${arr}[${n}s${r} + ${dOf(g, c)}] = ${expr(r, c)}; }` : `    ${arr}[${n}s${r} + ${dOf(g, c)}] = ${expr(r, c)};`)).join(NL) + `${NL}  }`)
    .join(NL);
}

const zeros = (g: Sg, names: string[]) => rr(g).map((r) => cc(g).map((c) => names.map((n) => `var ${n}${r}_${c} = 0.0;`).join(' ')).join(' ')).map((l) => `  ${l}`).join(NL);

function sgForwardSource(g: Sg, decls: string): string {
  return /* wgsl */ `${sgPrelude(g, decls)}
@compute @workgroup_size(${g.S})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lane: u32) {
  ${WG_INDEX}
  let t = tile_of(wg_index);
  if (!t.valid) { return; }
  let im = t.r0 + lane % ${g.R}u;  // this lane's softmax row
${loadRows(g, 'q', 'q', ' * u.scale')}
${zeros(g, ['a'])}
  var m = -3.0e38;
  var l = 0.0;
  let jend = select(u.L, min(u.L, t.r0 + ${g.R}u), u.causal != 0u);
  for (var j = 0u; j < jend; j = j + 1u) {
${loadSlice(g, 'k', 'k', 'j')}
${dots(g, 'x', 'q', 'k')}
${transposeReduce(g, 'x', 'sraw')}
    let masked = u.causal != 0u && j > im;
    let s = select(sraw, -3.0e38, masked);
    let mn = max(m, s);
    let corr = exp(m - mn);
    let p = select(exp(s - mn), 0.0, masked);
    l = l * corr + p;
    m = mn;
${loadSlice(g, 'v', 'v', 'j')}
${rr(g).map((r) => `    let p${r} = subgroupBroadcast(p, ${r}u); let c${r} = subgroupBroadcast(corr, ${r}u);${NL}    ` + cc(g).map((c) => `a${r}_${c} = a${r}_${c} * c${r} + p${r} * v${c};`).join(' ')).join(NL)}
  }
${rr(g).map((r) => `  let inv${r} = 1.0 / subgroupBroadcast(l, ${r}u);`).join(NL)}
${storeRows(g, 'o', 'o', (r, c) => `a${r}_${c} * inv${r}`)}
  if (lane < ${g.R}u && im < u.L) { lse[u.lse_o + t.bh * u.L + im] = m + log(l); }
}`;
}

function sgDqSource(g: Sg, decls: string): string {
  return /* wgsl */ `${sgPrelude(g, decls)}
@compute @workgroup_size(${g.S})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lane: u32) {
  ${WG_INDEX}
  let t = tile_of(wg_index);
  if (!t.valid) { return; }
  let im = t.r0 + lane % ${g.R}u;
  let imc = min(im, u.L - 1u);
${loadRows(g, 'q', 'q', ' * u.scale')}
${loadRows(g, 'g', 'g')}
${loadRows(g, 'o', 'o')}
${rr(g).map((r) => `  var y${r} = ${cc(g).map((c) => `g${r}_${c} * o${r}_${c}`).join(' + ')};`).join(NL)}
${transposeReduce(g, 'y', 'di')}
  let lse_i = lse[u.lse_o + t.bh * u.L + imc];
${zeros(g, ['a'])}
  let jend = select(u.L, min(u.L, t.r0 + ${g.R}u), u.causal != 0u);
  for (var j = 0u; j < jend; j = j + 1u) {
${loadSlice(g, 'k', 'k', 'j')}
${loadSlice(g, 'v', 'v', 'j')}
${dots(g, 'x', 'q', 'k')}
${dots(g, 'z', 'g', 'v')}
${transposeReduce(g, 'x', 's')}
${transposeReduce(g, 'z', 'dp')}
    let p = select(exp(s - lse_i), 0.0, u.causal != 0u && j > im);
    let ds = p * (dp - di);
${rr(g).map((r) => `    let ds${r} = subgroupBroadcast(ds, ${r}u);${NL}    ` + cc(g).map((c) => `a${r}_${c} = a${r}_${c} + ds${r} * k${c};`).join(' ')).join(NL)}
  }
${storeRows(g, 'dq', 'dq', (r, c) => `a${r}_${c} * u.scale`)}
  if (lane < ${g.R}u && im < u.L) { dd[u.dd_o + t.bh * u.L + im] = di; }
}`;
}

function sgDkvSource(g: Sg, shared: boolean, decls: string): string {
  return /* wgsl */ `${sgPrelude(g, decls)}
@compute @workgroup_size(${g.S})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lane: u32) {
  ${WG_INDEX}
  let t = tile_of(wg_index);
  if (!t.valid) { return; }
  let jm = t.r0 + lane % ${g.R}u;  // this lane's key row
${loadRows(g, 'k', 'k', ' * u.scale')}
${loadRows(g, 'v', 'v')}
${zeros(g, ['ak', 'av'])}
  let istart = select(0u, t.r0, u.causal != 0u);
  let rows = t.bh * u.L;
  for (var i = istart; i < u.L; i = i + 1u) {
${loadSlice(g, 'q', 'q', 'i')}
${loadSlice(g, 'g', 'g', 'i')}
${dots(g, 'x', 'k', 'q')}
${dots(g, 'z', 'v', 'g')}
${transposeReduce(g, 'x', 's')}
${transposeReduce(g, 'z', 'dp')}
    let p = select(exp(s - lse[u.lse_o + rows + i]), 0.0, u.causal != 0u && jm > i);
    let ds = p * (dp - dd[u.dd_o + rows + i]);
${rr(g).map((r) => `    let p${r} = subgroupBroadcast(p, ${r}u); let ds${r} = subgroupBroadcast(ds, ${r}u);${NL}    ` + cc(g).map((c) => `av${r}_${c} = av${r}_${c} + p${r} * g${c}; ak${r}_${c} = ak${r}_${c} + ds${r} * q${c};`).join(' ')).join(NL)}
  }
${storeRows(g, 'dk', shared ? 'dkv' : 'dk', (r, c) => `ak${r}_${c} * u.scale`)}
${storeRows(g, 'dv', shared ? 'dkv' : 'dv', (r, c) => `av${r}_${c}`)}
}`;
}

interface Dims {
  B: number;
  H: number;
  L: number;
  dh: number;
}

function checkView(op: string, field: string, t: Tensor, dims: Dims): void {
  const s = [dims.B, dims.H, dims.L, dims.dh];
  if (t.shape.length !== 4 || t.shape.some((x, i) => x !== s[i])) throw new NnError(op, field, `expected [B, H, L, dh] = [${s}], got [${t.shape}]`);
  if (stridesOf(t)[3] !== 1) throw new NnError(op, field, 'the head dimension must be dense (stride 1)');
  if (t.dtype !== 'f32') throw new NnError(op, field, `expected f32, got ${t.dtype}`);
}

/** Binds several views (of one buffer when `union`) and fills their uniform fields. */
function bindView(rec: Recorder, op: string, field: ViewName, t: Tensor, vals: Record<string, number>, w?: Window, baseOffset?: number): Window {
  const win = w ?? windowFor(rec.gpu, op, field, t);
  const s = stridesOf(t);
  vals[`${field}_o`] = win.shift + (baseOffset === undefined ? 0 : t.offset - baseOffset);
  vals[`${field}_b`] = s[0]!;
  vals[`${field}_h`] = s[1]!;
  vals[`${field}_l`] = s[2]!;
  return win;
}

function emptyValues(d: Dims, causal: boolean, scale: number): Record<string, number> {
  const v: Record<string, number> = { B: d.B, H: d.H, L: d.L, dh: d.dh, causal: causal ? 1 : 0, scale, lse_o: 0, dd_o: 0 };
  for (const n of VIEWS) for (const s of ['o', 'b', 'h', 'l']) v[`${n}_${s}`] = 0;
  return v;
}

export interface AttentionArgs {
  /** [B, H, L, dh] views (dense head dimension, any other strides). */
  q: Tensor;
  k: Tensor;
  v: Tensor;
  /** Output, a [B, H, L, dh] view. */
  o: Tensor;
  /** Key j is hidden from query i when j > i. */
  causal?: boolean;
  /** Score scale; default 1 / sqrt(dh). */
  scale?: number;
  /** Where to save the per-row log-sum-exp [B, H, L]; default a temp of this recording. */
  lse?: Tensor;
}

/**
 * Batch runs [b0, nb) whose views each fit one binding window (only big activations need more than
 * one); `union` views share one window (dk and dv in one buffer).
 */
function batchRuns(rec: Recorder, op: string, views: readonly Tensor[], B: number, union?: readonly Tensor[]): Array<[number, number]> {
  const cap = Math.floor((maxBindingBytes(rec.gpu) - rec.gpu.limits.minStorageBufferOffsetAlignment) / 4);
  const fits = (nb: number) => {
    if (views.some((t) => extentOf(narrow(t, 0, 0, nb)) > cap)) return false;
    if (!union) return true;
    const u = union.map((t) => narrow(t, 0, 0, nb));
    const start = Math.min(...u.map((t) => t.offset));
    return Math.max(...u.map((t) => t.offset + extentOf(t))) - start <= cap;
  };
  let nb = B;
  while (nb > 1 && !fits(nb)) nb = Math.ceil(nb / 2);
  if (!fits(nb)) throw new NnError(op, 'q', 'one sequence of one batch item exceeds a storage binding window; use fewer heads or a shorter sequence per call');
  const out: Array<[number, number]> = [];
  for (let b = 0; b < B; b += nb) out.push([b, Math.min(nb, B - b)]);
  return out;
}

function dimsOf(op: string, q: Tensor): Dims {
  if (q.shape.length !== 4) throw new NnError(op, 'q', `expected [B, H, L, dh], got [${q.shape}]`);
  const [B, H, L, dh] = q.shape as [number, number, number, number];
  if (dh < 1 || L < 1) throw new NnError(op, 'q', `empty shape [${q.shape}]`);
  return { B, H, L, dh };
}

/** Encodes the forward pass; returns the saved log-sum-exp [B, H, L]. */
export function attentionForward(rec: Recorder, a: AttentionArgs): Tensor {
  const op = 'attention';
  const dims = dimsOf(op, a.q);
  for (const [f, t] of [['q', a.q], ['k', a.k], ['v', a.v], ['o', a.o]] as const) checkView(op, f, t, dims);
  const rows = dims.B * dims.H * dims.L;
  const lse = a.lse ?? tempTensor(rec, [dims.B, dims.H, dims.L], 'f32', 'attention lse');
  if (lse.shape.reduce((x, y) => x * y, 1) !== rows) throw new NnError(op, 'lse', `expected ${rows} elements, got [${lse.shape}]`);
  const tg = targetOf(rec.gpu);
  const T = tileOf(tg);
  const g = tg.subgroups ? sgShape(tg, dims.dh) : undefined;
  for (const [b0, nb] of batchRuns(rec, op, [a.q, a.k, a.v, a.o], dims.B)) {
    const sl = (t: Tensor) => narrow(t, 0, b0, nb);
    const cd = { ...dims, B: nb };
    const wgs = groups(nb * dims.H * Math.ceil(dims.L / (g ? g.R : T)), 1);
    const vals = emptyValues(cd, !!a.causal, a.scale ?? 1 / Math.sqrt(dims.dh));
    const windows = [
      bindView(rec, op, 'q', sl(a.q), vals),
      bindView(rec, op, 'k', sl(a.k), vals),
      bindView(rec, op, 'v', sl(a.v), vals),
      bindView(rec, op, 'o', sl(a.o), vals),
      windowFor(rec.gpu, op, 'lse', lse, b0 * dims.H * dims.L, nb * dims.H * dims.L),
    ];
    vals['lse_o'] = windows[4]!.shift;
    dispatchOp(rec, {
      key: g ? `attn.sg.fwd|${g.S}|${g.R}|${g.dh}` : `attn.fwd|${T}|${dims.dh}`,
      label: 'attention.fwd',
      slots: [{ name: 'q' }, { name: 'k' }, { name: 'v' }, { name: 'o', write: true }, { name: 'lse', write: true }],
      windows,
      uniform: { layout: AU, values: vals as AttnValues },
      workgroups: wgs,
      make: (d) => (g ? sgForwardSource(g, d) : forwardSource(T, dims.dh, d)),
    });
  }
  return lse;
}

export interface AttentionBackwardArgs {
  q: Tensor;
  k: Tensor;
  v: Tensor;
  /** The forward's output and saved log-sum-exp. */
  o: Tensor;
  lse: Tensor;
  /** dL/dO, a [B, H, L, dh] view. */
  dout: Tensor;
  /** Receive the gradients (overwritten); dk and dv may be interleaved views of one buffer. */
  dq: Tensor;
  dk: Tensor;
  dv: Tensor;
  causal?: boolean;
  scale?: number;
}

export function attentionBackward(rec: Recorder, a: AttentionBackwardArgs): void {
  const op = 'attentionBackward';
  const dims = dimsOf(op, a.q);
  for (const [f, t] of [['q', a.q], ['k', a.k], ['v', a.v], ['o', a.o], ['dout', a.dout], ['dq', a.dq], ['dk', a.dk], ['dv', a.dv]] as const) {
    checkView(op, f, t, dims);
  }
  const rows = dims.B * dims.H * dims.L;
  if (a.lse.shape.reduce((x, y) => x * y, 1) !== rows) throw new NnError(op, 'lse', `expected ${rows} elements, got [${a.lse.shape}]`);
  const tg = targetOf(rec.gpu);
  const T = tileOf(tg);
  const g = tg.subgroups ? sgShape(tg, dims.dh) : undefined;
  const scale = a.scale ?? 1 / Math.sqrt(dims.dh);
  const dd = tempTensor(rec, [rows], 'f32', 'attention D');
  const all = [a.q, a.k, a.v, a.o, a.dout, a.dq, a.dk, a.dv];
  for (const [b0, nb] of batchRuns(rec, op, all, dims.B, a.dk.buffer === a.dv.buffer ? [a.dk, a.dv] : undefined)) {
    const sl = (t: Tensor) => narrow(t, 0, b0, nb);
    const [q, k, v, o, dout, dq, dk, dv] = all.map(sl) as [Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor];
    const cd = { ...dims, B: nb };
    const wgs = groups(nb * dims.H * Math.ceil(dims.L / (g ? g.R : T)), 1);
    const wLse = windowFor(rec.gpu, op, 'lse', a.lse, b0 * dims.H * dims.L, nb * dims.H * dims.L);
    const wDd = windowFor(rec.gpu, op, 'D', dd, b0 * dims.H * dims.L, nb * dims.H * dims.L);

    // dQ (and D).
    {
      const vals = emptyValues(cd, !!a.causal, scale);
      const w = [
        bindView(rec, op, 'q', q, vals), bindView(rec, op, 'k', k, vals), bindView(rec, op, 'v', v, vals),
        bindView(rec, op, 'o', o, vals), bindView(rec, op, 'g', dout, vals), wLse, bindView(rec, op, 'dq', dq, vals), wDd,
      ];
      vals['lse_o'] = wLse.shift;
      vals['dd_o'] = wDd.shift;
      dispatchOp(rec, {
        key: g ? `attn.sg.dq|${g.S}|${g.R}|${g.dh}` : `attn.dq|${T}|${dims.dh}`,
        label: 'attention.bwd.dq',
        slots: [{ name: 'q' }, { name: 'k' }, { name: 'v' }, { name: 'o' }, { name: 'g' }, { name: 'lse' }, { name: 'dq', write: true }, { name: 'dd', write: true }],
        fields: ['q', 'k', 'v', 'o', 'dout', 'lse', 'dq', 'D'],
        windows: w,
        uniform: { layout: AU, values: vals as AttnValues },
        workgroups: wgs,
        make: (d) => (g ? sgDqSource(g, d) : dqSource(T, dims.dh, d)),
      });
  }

  // dK and dV; one binding when they share a buffer (two writable bindings may not overlap).
  {
    const vals = emptyValues(cd, !!a.causal, scale);
    const shared = dk.buffer === dv.buffer;
    const w: Window[] = [
      bindView(rec, op, 'q', q, vals), bindView(rec, op, 'k', k, vals), bindView(rec, op, 'v', v, vals),
      bindView(rec, op, 'g', dout, vals), wLse, wDd,
    ];
    const slots: Slot[] = [{ name: 'q' }, { name: 'k' }, { name: 'v' }, { name: 'g' }, { name: 'lse' }, { name: 'dd' }];
    if (shared) {
      const start = Math.min(dk.offset, dv.offset);
      const end = Math.max(dk.offset + extentOf(dk), dv.offset + extentOf(dv));
      const union: Tensor = { buffer: dk.buffer, offset: start, shape: [end - start], dtype: 'f32' };
      const wu = windowFor(rec.gpu, op, 'dk/dv', union);
      bindView(rec, op, 'dk', dk, vals, wu, start);
      bindView(rec, op, 'dv', dv, vals, wu, start);
      w.push(wu);
      slots.push({ name: 'dkv', write: true });
    } else {
      w.push(bindView(rec, op, 'dk', dk, vals), bindView(rec, op, 'dv', dv, vals));
      slots.push({ name: 'dk', write: true }, { name: 'dv', write: true });
    }
    vals['lse_o'] = wLse.shift;
    vals['dd_o'] = wDd.shift;
    dispatchOp(rec, {
      key: g ? `attn.sg.dkv|${g.S}|${g.R}|${g.dh}|${shared ? 's' : ''}` : `attn.dkv|${T}|${dims.dh}|${shared ? 's' : ''}`,
      label: 'attention.bwd.dkv',
      slots,
      fields: ['q', 'k', 'v', 'dout', 'lse', 'D', ...(shared ? ['dk/dv'] : ['dk', 'dv'])],
      windows: w,
      uniform: { layout: AU, values: vals as AttnValues },
      workgroups: wgs,
      make: (d) => (g ? sgDkvSource(g, shared, d) : dkvSource(T, dims.dh, shared, d)),
    });
  }
  }
}
