// The WGSL of fused attention (runtime/nn/ops/attention.ts binds and dispatches it).
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
// Key padding mask (the `km` variants, separate programs: the unmasked text is unchanged): key j of
// sequence b is hidden where km[b, j] == 0. Hidden keys are skipped, not weighted by exp(-inf): the
// test is the same for every row of a (b, h) tile, so the skip is uniform control flow (km is bound
// read-only, which the subgroup path needs) and padding costs no dot products. A row that sees no
// key (l = 0) gets O = 0 and lse = -inf (u.ninf: WGSL has no -inf literal); its P_ij are 0 in the
// backward (selected, never computed from lse), so its gradients are 0 and never NaN. Hidden key
// rows store dK = dV = 0 explicitly.
import { uniformLayout } from '../../gpu/index.ts';
import { WG_INDEX } from '../wgsl.ts';

export const VIEWS = ['q', 'k', 'v', 'o', 'g', 'dq', 'dk', 'dv'] as const;
export type ViewName = (typeof VIEWS)[number];

function viewFields(): Record<string, 'u32'> {
  const f: Record<string, 'u32'> = {};
  for (const n of VIEWS) for (const s of ['o', 'b', 'h', 'l']) f[`${n}_${s}`] = 'u32';
  return f;
}

export const AU = uniformLayout('AttnU', {
  B: 'u32', H: 'u32', L: 'u32', dh: 'u32', causal: 'u32', scale: 'f32', lse_o: 'u32', dd_o: 'u32', km_o: 'u32', ninf: 'f32',
  ...(viewFields() as { [K in `${ViewName}_${'o' | 'b' | 'h' | 'l'}`]: 'u32' }),
});

const KB = 8; // keys per online-softmax block

/** `hidden(b, j)`: key j of (run-relative) sequence b is padding. Only in the masked variants. */
const HIDDEN = 'fn hidden(b: u32, j: u32) -> bool { return km[u.km_o + b * u.L + j] == 0.0; }';

function prelude(decls: string, T: number, km: boolean): string {
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
}${km ? `\n${HIDDEN}` : ''}`;
}

export const base = (n: ViewName, tile: string, pos: string) => `u.${n}_o + ${tile}.b * u.${n}_b + ${tile}.h * u.${n}_h + (${pos}) * u.${n}_l`;

/** The output scale and lse of a finished row (l = 0 only when every key is hidden). */
function rowEnd(km: boolean, l: string, m: string): { inv: string; lse: string } {
  return km
    ? { inv: `select(1.0 / ${l}, 0.0, ${l} == 0.0)`, lse: `select(${m} + log(${l}), u.ninf, ${l} == 0.0)` }
    : { inv: `1.0 / ${l}`, lse: `${m} + log(${l})` };
}

// One query row per invocation: its q and output accumulator live in the invocation; keys come in
// blocks of KB: scores first, then one rescale of the accumulator per block (FlashAttention-2).
export function forwardSource(T: number, dh: number, km: boolean, decls: string): string {
  const score = km
    ? `var s = -3.0e38;
      if (j < jend && !(u.causal != 0u && j > ic) && !hidden(t.b, j)) {
        let kb = ${base('k', 't', 'j')};
        s = 0.0;
        for (var d = 0u; d < u.dh; d = d + 1u) { s = s + qv[d] * k[kb + d]; }
      }`
    : `let kb = ${base('k', 't', 'min(j, u.L - 1u)')};
      var s = 0.0;
      for (var d = 0u; d < u.dh; d = d + 1u) { s = s + qv[d] * k[kb + d]; }
      if (j >= jend || (u.causal != 0u && j > ic)) { s = -3.0e38; }`;
  const end = rowEnd(km, 'l', 'm');
  return /* wgsl */ `${prelude(decls, T, km)}
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
      ${score}
      sc[c] = s;
      bm = max(bm, s);
    }
    let corr = exp(m - bm);
    l = l * corr;
    for (var d = 0u; d < u.dh; d = d + 1u) { acc[d] = acc[d] * corr; }
    for (var c = 0u; c < ${KB}u; c = c + 1u) {${km ? `
      if (sc[c] <= -3.0e38) { continue; }` : ''}
      let p = select(exp(sc[c] - bm), 0.0, sc[c] <= -3.0e38);
      l = l + p;
      let vb = ${base('v', 't', 'min(j0 + c, u.L - 1u)')};
      for (var d = 0u; d < u.dh; d = d + 1u) { acc[d] = acc[d] + p * v[vb + d]; }
    }
    m = bm;
  }
  if (i < u.L) {
    let inv = ${end.inv};
    let ob = ${base('o', 't', 'i')};
    for (var d = 0u; d < u.dh; d = d + 1u) { o[ob + d] = acc[d] * inv; }
    lse[u.lse_o + t.bh * u.L + i] = ${end.lse};
  }
}`;
}

// One query row per invocation: dQ_i = scale * sum_j P_ij (dO_i . v_j - D_i) k_j; also writes D_i.
export function dqSource(T: number, dh: number, km: boolean, decls: string): string {
  return /* wgsl */ `${prelude(decls, T, km)}
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
  for (var j = 0u; j < jend; j = j + 1u) {${km ? `
    if (hidden(t.b, j)) { continue; }` : ''}
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
export function dkvSource(T: number, dh: number, shared: boolean, km: boolean, decls: string): string {
  const dk = shared ? 'dkv' : 'dk';
  const dv = shared ? 'dkv' : 'dv';
  return /* wgsl */ `${prelude(decls, T, km)}
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
  ${km ? `// A hidden key gets no gradient: its invocation skips every query row (no collective operations here).
  let iend = select(u.L, istart, hidden(t.b, jc));` : 'let iend = u.L;'}
  for (var i = istart; i < iend; i = i + 1u) {
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

export interface Sg {
  S: number;
  R: number;
  P: number;
  /** The head dimension (part of the program: guards only where a slice runs past it). */
  dh: number;
}

export function sgShape(lanes: number, dh: number): Sg {
  const S = lanes;
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

function sgPrelude(g: Sg, km: boolean, decls: string): string {
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
}${km ? `\n${HIDDEN}` : ''}`;
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

/** The key loop's skip of a hidden key j (same j on every lane: uniform control flow). */
const skipHidden = (km: boolean) => (km ? `${NL}    if (hidden(t.b, j)) { continue; }` : '');

export function sgForwardSource(g: Sg, km: boolean, decls: string): string {
  const end = rowEnd(km, 'l', 'm');
  const inv = km
    ? rr(g).map((r) => `  let l${r} = subgroupBroadcast(l, ${r}u); let inv${r} = select(1.0 / l${r}, 0.0, l${r} == 0.0);`).join(NL)
    : rr(g).map((r) => `  let inv${r} = 1.0 / subgroupBroadcast(l, ${r}u);`).join(NL);
  return /* wgsl */ `${sgPrelude(g, km, decls)}
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
  for (var j = 0u; j < jend; j = j + 1u) {${skipHidden(km)}
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
${inv}
${storeRows(g, 'o', 'o', (r, c) => `a${r}_${c} * inv${r}`)}
  if (lane < ${g.R}u && im < u.L) { lse[u.lse_o + t.bh * u.L + im] = ${end.lse}; }
}`;
}

export function sgDqSource(g: Sg, km: boolean, decls: string): string {
  return /* wgsl */ `${sgPrelude(g, km, decls)}
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
  for (var j = 0u; j < jend; j = j + 1u) {${skipHidden(km)}
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

export function sgDkvSource(g: Sg, shared: boolean, km: boolean, decls: string): string {
  // Masked: h{r} says key row r0 + r is hidden (its lane's P is 0, its stores 0); when all R are,
  // the subgroup skips the query loop (a uniform condition).
  const hid = km
    ? `${rr(g).map((r) => `  let h${r} = hidden(t.b, min(t.r0 + ${r}u, u.L - 1u));`).join(NL)}
  var hm = h0;${rr(g).slice(1).map((r) => ` if (lane % ${g.R}u == ${r}u) { hm = h${r}; }`).join('')}
  let iend = select(u.L, istart, ${rr(g).map((r) => `h${r}`).join(' && ')});`
    : '  let iend = u.L;';
  const zeroIf = (r: number, e: string) => (km ? `select(${e}, 0.0, h${r})` : e);
  return /* wgsl */ `${sgPrelude(g, km, decls)}
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
${hid}
  for (var i = istart; i < iend; i = i + 1u) {
${loadSlice(g, 'q', 'q', 'i')}
${loadSlice(g, 'g', 'g', 'i')}
${dots(g, 'x', 'k', 'q')}
${dots(g, 'z', 'v', 'g')}
${transposeReduce(g, 'x', 's')}
${transposeReduce(g, 'z', 'dp')}
    let p = select(exp(s - lse[u.lse_o + rows + i]), 0.0, ${km ? 'hm || ' : ''}(u.causal != 0u && jm > i));
    let ds = p * (dp - dd[u.dd_o + rows + i]);
${rr(g).map((r) => `    let p${r} = subgroupBroadcast(p, ${r}u); let ds${r} = subgroupBroadcast(ds, ${r}u);${NL}    ` + cc(g).map((c) => `av${r}_${c} = av${r}_${c} + p${r} * g${c}; ak${r}_${c} = ak${r}_${c} + ds${r} * q${c};`).join(' ')).join(NL)}
  }
${storeRows(g, 'dk', shared ? 'dkv' : 'dk', (r, c) => zeroIf(r, `ak${r}_${c} * u.scale`))}
${storeRows(g, 'dv', shared ? 'dkv' : 'dv', (r, c) => zeroIf(r, `av${r}_${c}`))}
}`;
}
