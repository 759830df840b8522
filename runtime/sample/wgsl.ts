// The sampler's own shaders (docs/sampling.md): candidate draws x0 ~ p_hat with their probability,
// clamping, ReMDM's (and MDLM's) unmasking step, the confidence predictor's commits, GIDD's correction pass, the
// posterior mode of the final `denoise argmax` step, and the per-sequence "changed" flags of the
// cache. They read the kernel shaders' uniform block (compiler/wgsl/dims.ts); what each field means
// is stated per program. Kernel-generic steps (the Euler step) live in compiler/wgsl.
import { categoricalModule, descentWgsl } from '../../compiler/wgsl/categorical.ts';
import { dimsModule } from '../../compiler/wgsl/dims.ts';
import { mathModule, rngModule } from '../../compiler/wgsl/math.ts';
import { program, wgslModule, type WgslProgram } from '../../compiler/wgsl/module.ts';
import { softmaxStatsWgsl } from '../../compiler/wgsl/softmax.ts';

/**
 * Philox purposes of the sampler's draws (the kernel's are 1-4, compiler/wgsl/corrupt.ts): the
 * counter is (position in sequence, sequence, purpose << 24 | stream, draw), stream = the step.
 */
export const SAMPLE_PURPOSE = { candidate: 8, remask: 9 } as const;

/** "No clamp" in a clamp buffer. */
export const FREE = 0xffffffff;

/** Workgroup index folded over x and y (a grid of more than 65535 groups). */
const INDEX = 'wid.x + wid.y * nw.x';
const BUILTINS = '@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) l: u32, @builtin(num_workgroups) nw: vec3<u32>';
const GBUILTINS = '@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>';

/**
 * x0 ~ softmax(logits) at each position, and p_hat(x0): one workgroup of W lanes per position, the
 * softmax statistics online per lane, the draw by the categorical descent (tail-exact in fp32).
 * With `masked`, only the positions that hold [MASK] (= d.V) at a place in their sequence within
 * [d.n, d.act) draw (the confidence predictor's block); the others keep what cand and conf hold.
 * Bindings: 1 logits [rows, V] (window at d.shift), 2 cand [N] u32, 3 conf [N] f32, (masked) 4 x [N].
 * Dims: V, C = rows, nb = global index of the first row, R = L, seeds, stream, (masked) n, act.
 */
export function candidatesProgram(W: number, masked = false): WgslProgram {
  const filter = masked
    ? /* wgsl */ `
  if (l == 0u) {
    let i = g - seq * d.R;
    go = select(0u, 1u, x[g] == d.V && i >= d.n && i < d.act);
  }
  if (workgroupUniformLoad(&go) == 0u) { return; }`
    : '';
  const code = /* wgsl */ `
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read_write> cand: array<u32>;
@group(0) @binding(3) var<storage, read_write> conf: array<f32>;
${masked ? '@group(0) @binding(4) var<storage, read> x: array<u32>;\nvar<workgroup> go: u32;' : ''}

const W: u32 = ${W}u;
var<workgroup> sb: array<f32, ${W}>;
var<private> ib: u32;
var<private> mx: f32;

fn lane_sum(lo: u32, hi: u32) -> f32 {
  var acc = vec2<f32>(0.0);
  for (var i = lo; i < hi; i = i + 1u) { acc = kahan_add(acc, sb[i]); }
  return acc.x - acc.y;
}
fn val(y: u32) -> f32 { return exp(logits[ib + y] - mx); }

@compute @workgroup_size(${W})
fn main(${BUILTINS}) {
  let row = ${INDEX};
  if (row >= d.C) { return; }
  let g = d.nb + row;
  let seq = g / d.R;${filter}
  ib = d.shift + row * d.V;
${softmaxStatsWgsl()}
  if (l != 0u) { return; }
  let Z = lane_sum(0u, W);
  var st = stream_new(vec2<u32>(d.seed0, d.seed1), g - seq * d.R, seq, (${SAMPLE_PURPOSE.candidate}u << 24u) | (d.stream & 0xffffffu));
${descentWgsl(W, (a, b) => `lane_sum(${a}, ${b})`, (y) => `val(${y})`)}
  cand[g] = pick;
  conf[g] = val(pick) / Z;
}
`;
  return program(masked ? 'sample_candidates_masked' : 'sample_candidates', [W], dimsModule, mathModule, categoricalModule, wgslModule(masked ? 'sample_candidates_masked_main' : 'sample_candidates_main', code));
}

/**
 * Per position: d.mode 1 first fills a [MASK] (= d.V) with its candidate; then a clamped position
 * takes its token. Bindings: 1 x [N] (in place), 2 clamp [N] (FREE or a token), 3 cand [N]. Dims: V, C = N, mode.
 */
export function applyProgram(wg: number): WgslProgram {
  const code = /* wgsl */ `
@group(0) @binding(1) var<storage, read_write> x: array<u32>;
@group(0) @binding(2) var<storage, read> clampv: array<u32>;
@group(0) @binding(3) var<storage, read> cand: array<u32>;

@compute @workgroup_size(${wg})
fn main(${GBUILTINS}) {
  let g = gid.x + gid.y * nw.x * ${wg}u;
  if (g >= d.C) { return; }
  var v = x[g];
  if (d.mode == 1u && v == d.V) { v = cand[g]; }
  let c = clampv[g];
  if (c != ${FREE}u) { v = c; }
  x[g] = v;
}
`;
  return program('sample_apply', [wg], dimsModule, wgslModule('sample_apply_main', code));
}

/**
 * ReMDM's step fused with the candidate draw (MDLM's step when d.f1 = 0), one workgroup per
 * position: lane 0 decides with one uniform (a free [MASK] unmasks with probability d.f0, a free
 * visible token is remasked with probability d.f1), and only a position that unmasks reads its
 * logits, to draw x0 ~ p_hat as candidatesProgram does (same purpose and stream). So a step touches
 * the logits of the few positions that change, not all N * V. Bindings: 1 logits [rows, V] (window
 * at d.shift), 2 x_t [N], 3 clamp [N], 4 x_s [N]. Dims: V (= [MASK]), C = rows, nb = global index of
 * the first row, R = L, f0, f1, seeds, stream.
 */
export function unmaskProgram(W: number): WgslProgram {
  const code = /* wgsl */ `
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> xin: array<u32>;
@group(0) @binding(3) var<storage, read> clampv: array<u32>;
@group(0) @binding(4) var<storage, read_write> xout: array<u32>;

const W: u32 = ${W}u;
var<workgroup> sb: array<f32, ${W}>;
var<workgroup> go: u32;
var<private> ib: u32;
var<private> mx: f32;

fn lane_sum(lo: u32, hi: u32) -> f32 {
  var acc = vec2<f32>(0.0);
  for (var i = lo; i < hi; i = i + 1u) { acc = kahan_add(acc, sb[i]); }
  return acc.x - acc.y;
}
fn val(y: u32) -> f32 { return exp(logits[ib + y] - mx); }

@compute @workgroup_size(${W})
fn main(${BUILTINS}) {
  let row = ${INDEX};
  if (row >= d.C) { return; }
  let g = d.nb + row;
  let seq = g / d.R;
  if (l == 0u) {
    let z = xin[g];
    var v = z;
    var flag = 0u;
    if (clampv[g] == ${FREE}u) {
      let r = rng4(vec2<u32>(d.seed0, d.seed1), g - seq * d.R, seq, (${SAMPLE_PURPOSE.remask}u << 24u) | (d.stream & 0xffffffu), 0u);
      let u = rand_open01(r.x, r.y);
      if (z == d.V) {
        if (u < d.f0) { flag = 1u; }
      } else if (u < d.f1) {
        v = d.V;
      }
    }
    xout[g] = v;
    go = flag;
  }
  if (workgroupUniformLoad(&go) == 0u) { return; }
  ib = d.shift + row * d.V;
${softmaxStatsWgsl()}
  if (l != 0u) { return; }
  var st = stream_new(vec2<u32>(d.seed0, d.seed1), g - seq * d.R, seq, (${SAMPLE_PURPOSE.candidate}u << 24u) | (d.stream & 0xffffffu));
${descentWgsl(W, (a, b) => `lane_sum(${a}, ${b})`, (y) => `val(${y})`)}
  xout[g] = pick;
}
`;
  return program('sample_unmask', [W], dimsModule, mathModule, rngModule, categoricalModule, wgslModule('sample_unmask_main', code));
}

/**
 * Per position: flags[sequence] |= (x != snapshot). Bindings: 1 x, 2 snapshot, 3 flags [B] (atomic,
 * cleared by the caller). Dims: C = N, R = L.
 */
export function changedProgram(wg: number): WgslProgram {
  const code = /* wgsl */ `
@group(0) @binding(1) var<storage, read> x: array<u32>;
@group(0) @binding(2) var<storage, read> snap: array<u32>;
@group(0) @binding(3) var<storage, read_write> flags: array<atomic<u32>>;

@compute @workgroup_size(${wg})
fn main(${GBUILTINS}) {
  let g = gid.x + gid.y * nw.x * ${wg}u;
  if (g >= d.C) { return; }
  if (x[g] != snap[g]) { atomicOr(&flags[g / d.R], 1u); }
}
`;
  return program('sample_changed', [wg], dimsModule, wgslModule('sample_changed_main', code));
}

/**
 * The confidence predictor's commit (MaskGIT; LLaDA's low-confidence remasking by blocks), one
 * workgroup per sequence: of the r masked positions of the block [d.n, d.act), the
 * k = ceil(r / d.nb) with the largest conf (ties: the smaller position) take their candidate.
 * Bindings: 1 x_t, 2 cand, 3 conf, 4 x_s. Dims: V (= [MASK]), C = B, R = L, n = block start,
 * act = block end, nb = steps left in the block (this one included).
 */
export function commitProgram(W: number): WgslProgram {
  const code = /* wgsl */ `
@group(0) @binding(1) var<storage, read> xin: array<u32>;
@group(0) @binding(2) var<storage, read> cand: array<u32>;
@group(0) @binding(3) var<storage, read> conf: array<f32>;
@group(0) @binding(4) var<storage, read_write> xout: array<u32>;

const W: u32 = ${W}u;
var<workgroup> cnt: array<u32, ${W}>;

@compute @workgroup_size(${W})
fn main(${BUILTINS}) {
  let b = ${INDEX};
  if (b >= d.C) { return; }
  let base = b * d.R;
  var c = 0u;
  for (var i = d.n + l; i < d.act; i = i + W) { if (xin[base + i] == d.V) { c = c + 1u; } }
  cnt[l] = c;
  workgroupBarrier();
  var r = 0u;
  for (var j = 0u; j < W; j = j + 1u) { r = r + cnt[j]; }
  let k = (r + d.nb - 1u) / max(d.nb, 1u);
  for (var i = l; i < d.R; i = i + W) {
    var v = xin[base + i];
    if (i >= d.n && i < d.act && v == d.V) {
      let ci = conf[base + i];
      var rank = 0u;
      for (var j = d.n; j < d.act; j = j + 1u) {
        if (xin[base + j] == d.V) {
          let cj = conf[base + j];
          if (cj > ci || (cj == ci && j < i)) { rank = rank + 1u; }
        }
      }
      if (rank < k) { v = cand[base + i]; }
    }
    xout[base + i] = v;
  }
}
`;
  return program('sample_commit', [W], dimsModule, wgslModule('sample_commit_main', code));
}

/**
 * WGSL: `const W`, the workgroup arrays and `wg_argmax(l, value, at)`, the workgroup's largest
 * (value, index) over its lanes' candidates (ties: the smaller index), returned to every lane. Call it
 * in uniform control flow (it has a barrier).
 */
function argmaxWgsl(W: number): string {
  return /* wgsl */ `const W: u32 = ${W}u;
var<workgroup> bs: array<f32, ${W}>;
var<workgroup> bi: array<u32, ${W}>;
struct Top { value: f32, at: u32 }
fn wg_argmax(l: u32, value: f32, at: u32) -> Top {
  bs[l] = value;
  bi[l] = at;
  workgroupBarrier();
  var t = Top(value, at);
  for (var j = 0u; j < W; j = j + 1u) {
    if (bs[j] > t.value || (bs[j] == t.value && bi[j] < t.at)) { t = Top(bs[j], bi[j]); }
  }
  return t;
}`;
}

/**
 * GIDD's correction pass (von Rütte et al. 2025), one workgroup per sequence not yet done: the free
 * visible position whose candidate differs from its token with the largest p_hat(candidate) (ties:
 * the smaller position) takes it; a sequence with no such position is a fixed point and is marked
 * done (and never changes again). Bindings: 1 x_t, 2 clamp, 3 cand, 4 conf, 5 done [B] u32, 6 x_s.
 * Dims: V (= [MASK] or V), C = B, R = L.
 */
export function correctProgram(W: number): WgslProgram {
  const code = /* wgsl */ `
@group(0) @binding(1) var<storage, read> xin: array<u32>;
@group(0) @binding(2) var<storage, read> clampv: array<u32>;
@group(0) @binding(3) var<storage, read> cand: array<u32>;
@group(0) @binding(4) var<storage, read> conf: array<f32>;
@group(0) @binding(5) var<storage, read_write> done: array<u32>;
@group(0) @binding(6) var<storage, read_write> xout: array<u32>;

${argmaxWgsl(W)}

@compute @workgroup_size(${W})
fn main(${BUILTINS}) {
  let b = ${INDEX};
  if (b >= d.C) { return; }
  let base = b * d.R;
  var best = 0.0;
  var at = 0xffffffffu;
  for (var i = l; i < d.R; i = i + W) {
    let p = base + i;
    let v = xin[p];
    if (v < d.V && clampv[p] == ${FREE}u && cand[p] != v && conf[p] > best) { best = conf[p]; at = i; }
  }
  let top = wg_argmax(l, best, at);
  best = top.value;
  at = top.at;
  let finished = done[b] != 0u;
  let fix = !finished && best > 0.0;
  for (var i = l; i < d.R; i = i + W) {
    var v = xin[base + i];
    if (fix && i == at) { v = cand[base + i]; }
    xout[base + i] = v;
  }
  if (l == 0u && !fix) { done[b] = 1u; }
}
`;
  return program('sample_correct', [W], dimsModule, wgslModule('sample_correct_main', code));
}

/**
 * The posterior mode of the final step to s = 0 over the real tokens, from the reverse step's
 * mixture (KernelRuntime.encodeReverse, mode 'mixture'): p(y) = w_stay 1{y = z} + w_walk walk(y)
 * + (w_reset + w_unmask) b(y); ties: the smaller token. One workgroup per position. Bindings:
 * 1 mixture (weights [act, 4], walk [act, V], b [act, V]), 2 x_t, 3 x_s. Dims: V, C = rows, act = rows.
 */
export function modeProgram(W: number): WgslProgram {
  const code = /* wgsl */ `
@group(0) @binding(1) var<storage, read> mix: array<f32>;
@group(0) @binding(2) var<storage, read> xt: array<u32>;
@group(0) @binding(3) var<storage, read_write> xs: array<u32>;

${argmaxWgsl(W)}

@compute @workgroup_size(${W})
fn main(${BUILTINS}) {
  let g = ${INDEX};
  if (g >= d.C) { return; }
  let z = xt[g];
  let w = vec4<f32>(mix[4u * g], mix[4u * g + 1u], mix[4u * g + 2u], mix[4u * g + 3u]);
  let walk = 4u * d.act + g * d.V;
  let bb = 4u * d.act + d.act * d.V + g * d.V;
  var best = -1.0;
  var at = 0u;
  for (var y = l; y < d.V; y = y + W) {
    var p = w.y * mix[walk + y] + (w.z + w.w) * mix[bb + y];
    if (y == z) { p = p + w.x; }
    if (p > best) { best = p; at = y; }
  }
  let top = wg_argmax(l, best, at);
  if (l == 0u) { xs[g] = top.at; }
}
`;
  return program('sample_mode', [W], dimsModule, wgslModule('sample_mode_main', code));
}
