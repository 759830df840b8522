// Optimizer ops over flat parameter/gradient buffers: global-norm clipping, AdamW, EMA.
//
// Global norm, numerically careful: each workgroup takes a fixed chunk, finds its largest |g|
// (A_c) and sums (g / A_c)^2 (S_c), so no square overflows or underflows; one workgroup then
// combines the chunks in order: M = max A_c, norm = M * sqrt(sum (A_c / M)^2 S_c). Non-finite
// gradients are detected from the exponent bits (immune to fast-math assumptions). The result is
// a 3-float stats tensor: [norm, coef = min(1, maxNorm / (norm + 1e-6)), ok], ok = 0 when a
// gradient was inf/NaN (norm is then +inf). AdamW reads coef and ok from the GPU: the clipping
// costs no extra pass and no readback, and a step with non-finite gradients leaves the
// parameters and moments untouched.
//
// AdamW (decoupled weight decay, Loshchilov & Hutter; PyTorch's order):
//   p <- p * (1 - lr * wd);  m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2
//   p <- p - lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
// Every hyper-parameter (lr, bias corrections, ...) is a uniform: a schedule costs no recompile.
import { runsOf, uniformLayout, type Recorder, type Window } from '../../gpu/index.ts';
import { expectDense, expectNumel, windowFor } from '../bind.ts';
import { dispatchOp, type Slot } from '../dispatch.ts';
import { NnError } from '../errors.ts';
import { numel, tempTensor, type Tensor } from '../tensor.ts';
import { groups, header, laneKernel, reductions, targetOf, WG_INDEX, type Target } from '../wgsl.ts';

const CHUNK = 4096;
const EXP_MASK = '0x7f800000u';

const N1_U = uniformLayout('Norm1U', { n: 'u32', ox: 'u32', op: 'u32', c0: 'u32' });

function norm1Source(t: Target, decls: string): string {
  return laneKernel(t, N1_U, decls, /* wgsl */ `
  let c = wg_index;
  let i0 = c * ${CHUNK}u;
  if (i0 >= u.n) { return; }
  let i1 = min(i0 + ${CHUNK}u, u.n);
  var amax = 0.0;
  var bad = 0.0;
  for (var i = i0 + lane; i < i1; i = i + ${t.lanes}u) {
    let g = x[u.ox + i];
    if ((bitcast<u32>(g) & ${EXP_MASK}) == ${EXP_MASK}) { bad = 1.0; } else { amax = max(amax, abs(g)); }
  }
  let a = red_max(amax, lane);
  let inv = select(0.0, 1.0 / a, a > 1e-37);
  var ss = 0.0;
  for (var i = i0 + lane; i < i1; i = i + ${t.lanes}u) {
    let g = x[u.ox + i];
    if ((bitcast<u32>(g) & ${EXP_MASK}) != ${EXP_MASK}) { let s = g * inv; ss = ss + s * s; }
  }
  let s = red_sum(ss, lane);
  let b = red_max(bad, lane);
  if (lane == 0u) {
    let o = u.op + 3u * (u.c0 + c);
    part[o] = a;
    part[o + 1u] = s;
    part[o + 2u] = b;
  }`);
}

// inf comes from a uniform's bits: a constant inf is a WGSL compile error.
const N2_U = uniformLayout('Norm2U', { chunks: 'u32', maxNorm: 'f32', op: 'u32', os: 'u32', infBits: 'u32' });

function norm2Source(t: Target, decls: string): string {
  return /* wgsl */ `${header(t)}
${N2_U.wgsl}
@group(0) @binding(0) var<uniform> u: Norm2U;
${decls}
${reductions(t)}
@compute @workgroup_size(${t.lanes})
fn main(@builtin(local_invocation_index) lane: u32) {
  var amax = 0.0;
  var bad = 0.0;
  for (var c = lane; c < u.chunks; c = c + ${t.lanes}u) {
    amax = max(amax, part[u.op + 3u * c]);
    bad = max(bad, part[u.op + 3u * c + 2u]);
  }
  let m = red_max(amax, lane);
  let anybad = red_max(bad, lane);
  let inv = select(0.0, 1.0 / m, m > 1e-37);
  var tot = 0.0;
  for (var c = lane; c < u.chunks; c = c + ${t.lanes}u) {
    let r = part[u.op + 3u * c] * inv;
    tot = tot + r * r * part[u.op + 3u * c + 1u];
  }
  let total = red_sum(tot, lane);
  if (lane == 0u) {
    var norm = m * sqrt(total);
    var ok = 1.0;
    if (anybad > 0.0 || (bitcast<u32>(norm) & ${EXP_MASK}) == ${EXP_MASK}) { norm = bitcast<f32>(u.infBits); ok = 0.0; }
    var coef = 1.0;
    if (u.maxNorm > 0.0 && ok > 0.0) { coef = min(1.0, u.maxNorm / (norm + 1e-6)); }
    stats[u.os] = norm;
    stats[u.os + 1u] = coef;
    stats[u.os + 2u] = ok;
  }
}`;
}

export interface ClipArgs {
  /** The gradients (dense f32 tensors; typically the one flat gradient buffer of a ParamRegistry). */
  grads: Tensor | readonly Tensor[];
  /** Receives [norm, coef, ok] (3 floats). */
  stats: Tensor;
  /** Clip to this global norm; 0 or Infinity computes the norm only (coef = 1). */
  maxNorm: number;
  /** Also multiply the gradients by coef now (AdamW does not need this: it reads `stats`). */
  apply?: boolean;
}

/** Global gradient norm and clip coefficient, on the GPU (see the file comment). */
export function clipGradNorm(rec: Recorder, a: ClipArgs): void {
  const op = 'clipGradNorm';
  const grads = Array.isArray(a.grads) ? (a.grads as readonly Tensor[]) : [a.grads as Tensor];
  const maxNorm = Number.isFinite(a.maxNorm) ? a.maxNorm : 0;
  if (!(maxNorm >= 0)) throw new NnError(op, 'maxNorm', `must be non-negative, got ${a.maxNorm}`);
  expectNumel(op, 'stats', a.stats, 3);
  const t = targetOf(rec.gpu);
  let chunks = 0;
  const plans = grads.map((g, k) => {
    expectDense(op, `grads[${k}]`, g);
    const n = numel(g.shape);
    const c = Math.ceil(n / CHUNK);
    const plan = { g, n, c0: chunks };
    chunks += c;
    return plan;
  });
  const part = tempTensor(rec, [Math.max(1, chunks) * 3], 'f32', 'norm partial');
  const wp = windowFor(rec.gpu, op, 'partial', part);
  for (const { g, n, c0 } of plans) {
    if (n === 0) continue;
    const per = Math.max(1, Math.floor(runsOf(rec.gpu, n, 1)[0]![1] / CHUNK)) * CHUNK;
    for (let s = 0; s < n; s += per) {
      const count = Math.min(per, n - s);
      const wx = windowFor(rec.gpu, op, 'grads', g, s, count);
      dispatchOp(rec, {
        key: `norm1|${t.tag}`, label: 'clip.norm', slots: [{ name: 'x' }, { name: 'part', write: true }],
        fields: ['grads', 'partial'], windows: [wx, wp],
        uniform: { layout: N1_U, values: { n: count, ox: wx.shift, op: wp.shift, c0: c0 + s / CHUNK } },
        workgroups: groups(Math.ceil(count / CHUNK), 1), make: (d) => norm1Source(t, d),
      });
    }
  }
  const ws = windowFor(rec.gpu, op, 'stats', a.stats, 0, 3);
  dispatchOp(rec, {
    key: `norm2|${t.tag}`, label: 'clip.norm', slots: [{ name: 'part' }, { name: 'stats', write: true }],
    fields: ['partial', 'stats'], windows: [wp, ws],
    uniform: { layout: N2_U, values: { chunks, maxNorm, op: wp.shift, os: ws.shift, infBits: 0x7f800000 } },
    workgroups: [1], make: (d) => norm2Source(t, d),
  });
  if (a.apply) for (const { g, n } of plans) scaleByStats(rec, g, a.stats, n);
}

const SC_U = uniformLayout('ScaleU', { n: 'u32', ox: 'u32', os: 'u32' });
const scaleSource = (decls: string) => /* wgsl */ `
${SC_U.wgsl}
@group(0) @binding(0) var<uniform> u: ScaleU;
${decls}
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  ${WG_INDEX}
  let c = stats[u.os + 1u];
  for (var k = 0u; k < 8u; k = k + 1u) {
    let i = wg_index * 512u + k * 64u + lid;
    if (i < u.n) { x[u.ox + i] = x[u.ox + i] * c; }
  }
}`;

function scaleByStats(rec: Recorder, g: Tensor, stats: Tensor, n: number): void {
  for (const [s, count] of runsOf(rec.gpu, n, 1)) {
    const wx = windowFor(rec.gpu, 'clipGradNorm', 'grads', g, s, count);
    const ws = windowFor(rec.gpu, 'clipGradNorm', 'stats', stats, 0, 3);
    dispatchOp(rec, {
      key: 'clip.apply', label: 'clip.apply', slots: [{ name: 'x', write: true }, { name: 'stats' }],
      fields: ['grads', 'stats'], windows: [wx, ws],
      uniform: { layout: SC_U, values: { n: count, ox: wx.shift, os: ws.shift } },
      workgroups: groups(count, 512), make: scaleSource,
    });
  }
}

export interface AdamWHyper {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
  /** The step number, from 1 (for the bias corrections). */
  step: number;
}

const AW_U = uniformLayout('AdamWU', {
  n: 'u32', lr: 'f32', b1: 'f32', b2: 'f32', eps: 'f32', decay: 'f32', c1: 'f32', c2: 'f32',
  op: 'u32', og: 'u32', om: 'u32', ov: 'u32', os: 'u32',
});

function adamwSource(stats: boolean, decls: string): string {
  return /* wgsl */ `
${AW_U.wgsl}
@group(0) @binding(0) var<uniform> u: AdamWU;
${decls}
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  ${WG_INDEX}
${stats ? `  if (stats[u.os + 2u] == 0.0) { return; }
  let coef = stats[u.os + 1u];` : '  let coef = 1.0;'}
  for (var k = 0u; k < 4u; k = k + 1u) {
    let i = wg_index * 256u + k * 64u + lid;
    if (i < u.n) {
      let g = G[u.og + i] * coef;
      let m = u.b1 * M[u.om + i] + (1.0 - u.b1) * g;
      let v = u.b2 * V[u.ov + i] + (1.0 - u.b2) * g * g;
      M[u.om + i] = m;
      V[u.ov + i] = v;
      let p = P[u.op + i] * u.decay;
      P[u.op + i] = p - u.lr * (m * u.c1) / (sqrt(v * u.c2) + u.eps);
    }
  }
}`;
}

export interface AdamWArgs extends AdamWHyper {
  /** Parameters, gradients and the two moments: same number of elements, dense. */
  params: Tensor;
  grads: Tensor;
  m: Tensor;
  v: Tensor;
  /** Clip stats from clipGradNorm: gradients are scaled by coef, the step is skipped when not ok. */
  stats?: Tensor;
}

/** One AdamW step over the elements of `params`. */
export function adamw(rec: Recorder, a: AdamWArgs): void {
  const op = 'adamw';
  const n = numel(a.params.shape);
  for (const [f, t] of [['params', a.params], ['grads', a.grads], ['m', a.m], ['v', a.v]] as const) {
    expectDense(op, f, t);
    expectNumel(op, f, t, n);
  }
  const b1 = a.beta1 ?? 0.9;
  const b2 = a.beta2 ?? 0.999;
  const eps = a.eps ?? 1e-8;
  const wd = a.weightDecay ?? 0;
  if (!(a.lr >= 0) || !Number.isFinite(a.lr)) throw new NnError(op, 'lr', `must be a finite non-negative number, got ${a.lr}`);
  if (!(b1 >= 0 && b1 < 1) || !(b2 >= 0 && b2 < 1)) throw new NnError(op, 'beta', `betas must be in [0, 1), got ${b1}, ${b2}`);
  if (!Number.isInteger(a.step) || a.step < 1) throw new NnError(op, 'step', `must be an integer >= 1, got ${a.step}`);
  if (!(eps > 0)) throw new NnError(op, 'eps', `must be positive, got ${eps}`);
  if (a.stats) expectNumel(op, 'stats', a.stats, 3);
  const c1 = 1 / (1 - Math.pow(b1, a.step));
  const c2 = 1 / (1 - Math.pow(b2, a.step));
  const stats = !!a.stats;
  const slots: Slot[] = [
    { name: 'P', write: true }, { name: 'G' }, { name: 'M', write: true }, { name: 'V', write: true }, ...(stats ? [{ name: 'stats' }] : []),
  ];
  for (const [s, count] of runsOf(rec.gpu, n, 1)) {
    const w: Window[] = [
      windowFor(rec.gpu, op, 'params', a.params, s, count),
      windowFor(rec.gpu, op, 'grads', a.grads, s, count),
      windowFor(rec.gpu, op, 'm', a.m, s, count),
      windowFor(rec.gpu, op, 'v', a.v, s, count),
    ];
    if (a.stats) w.push(windowFor(rec.gpu, op, 'stats', a.stats, 0, 3));
    dispatchOp(rec, {
      key: `adamw${stats ? '.stats' : ''}`,
      label: 'adamw',
      slots,
      fields: ['params', 'grads', 'm', 'v', 'stats'],
      windows: w,
      uniform: {
        layout: AW_U,
        values: {
          n: count, lr: a.lr, b1, b2, eps, decay: 1 - a.lr * wd, c1, c2,
          op: w[0]!.shift, og: w[1]!.shift, om: w[2]!.shift, ov: w[3]!.shift, os: w[4]?.shift ?? 0,
        },
      },
      workgroups: groups(count, 256),
      make: (d) => adamwSource(stats, d),
    });
  }
}

const EMA_U = uniformLayout('EmaU', { n: 'u32', decay: 'f32', oe: 'u32', op: 'u32' });
const emaSource = (decls: string) => /* wgsl */ `
${EMA_U.wgsl}
@group(0) @binding(0) var<uniform> u: EmaU;
${decls}
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  ${WG_INDEX}
  for (var k = 0u; k < 8u; k = k + 1u) {
    let i = wg_index * 512u + k * 64u + lid;
    if (i < u.n) { E[u.oe + i] = u.decay * E[u.oe + i] + (1.0 - u.decay) * P[u.op + i]; }
  }
}`;

/** ema <- decay * ema + (1 - decay) * params. */
export function emaUpdate(rec: Recorder, a: { ema: Tensor; params: Tensor; decay: number }): void {
  const op = 'ema';
  const n = numel(a.params.shape);
  expectDense(op, 'params', a.params);
  expectDense(op, 'ema', a.ema);
  expectNumel(op, 'ema', a.ema, n);
  if (!(a.decay >= 0 && a.decay <= 1)) throw new NnError(op, 'decay', `must be in [0, 1], got ${a.decay}`);
  for (const [s, count] of runsOf(rec.gpu, n, 1)) {
    const we = windowFor(rec.gpu, op, 'ema', a.ema, s, count);
    const wp = windowFor(rec.gpu, op, 'params', a.params, s, count);
    dispatchOp(rec, {
      key: 'ema', label: 'ema', slots: [{ name: 'E', write: true }, { name: 'P' }], fields: ['ema', 'params'], windows: [we, wp],
      uniform: { layout: EMA_U, values: { n: count, decay: a.decay, oe: we.shift, op: wp.shift } },
      workgroups: groups(count, 512), make: emaSource,
    });
  }
}
