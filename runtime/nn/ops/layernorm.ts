// Bias-free LayerNorm with an optional scale: y = (x - mean) * rstd * gamma over the last
// dimension, rstd = 1 / sqrt(var + eps) with the biased variance. One row per workgroup (one
// subgroup where the adapter has them); the forward saves mean and rstd per row for the backward:
//   xhat = (x - mean) * rstd,  g = dy * gamma,
//   dx = rstd * (g - mean(g) - xhat * mean(g * xhat)),   dgamma = sum over rows of dy * xhat.
// dgamma is reduced in fixed row blocks and then across blocks (colsum.ts): deterministic.
import { uniformLayout, type Recorder } from '../../gpu/index.ts';
import { expectDense, expectShape, windowFor } from '../bind.ts';
import { dispatchOp } from '../dispatch.ts';
import { NnError } from '../errors.ts';
import { numel, tempTensor, type Tensor } from '../tensor.ts';
import { groups, laneKernel, targetOf, type Target } from '../wgsl.ts';
import { blockPartialSource, COL_BLOCK, colsumFinish, rowRuns } from './colsum.ts';

const LN_U = uniformLayout('LnU', { rows: 'u32', D: 'u32', eps: 'f32', ox: 'u32', oy: 'u32', om: 'u32', or: 'u32', og: 'u32', odx: 'u32' });

function fwdSource(t: Target, gamma: boolean, decls: string): string {
  return laneKernel(t, LN_U, decls, /* wgsl */ `
  let row = wg_index;
  if (row >= u.rows) { return; }
  let xb = u.ox + row * u.D;
  let yb = u.oy + row * u.D;
  var s = 0.0;
  for (var d = lane; d < u.D; d = d + ${t.lanes}u) { s = s + x[xb + d]; }
  let mean = red_sum(s, lane) / f32(u.D);
  var v = 0.0;
  for (var d = lane; d < u.D; d = d + ${t.lanes}u) { let c = x[xb + d] - mean; v = v + c * c; }
  let rstd = inverseSqrt(red_sum(v, lane) / f32(u.D) + u.eps);
  for (var d = lane; d < u.D; d = d + ${t.lanes}u) {
    y[yb + d] = (x[xb + d] - mean) * rstd${gamma ? ' * gamma[u.og + d]' : ''};
  }
  if (lane == 0u) { mean_out[u.om + row] = mean; rstd_out[u.or + row] = rstd; }`);
}

function bwdSource(t: Target, gamma: boolean, accumulate: boolean, decls: string): string {
  return laneKernel(t, LN_U, decls, /* wgsl */ `
  let row = wg_index;
  if (row >= u.rows) { return; }
  let xb = u.ox + row * u.D;
  let gb = u.oy + row * u.D;
  let db = u.odx + row * u.D;
  let mean = mean_in[u.om + row];
  let rstd = rstd_in[u.or + row];
  var s1 = 0.0;
  var s2 = 0.0;
  for (var d = lane; d < u.D; d = d + ${t.lanes}u) {
    let g = dy[gb + d]${gamma ? ' * gamma[u.og + d]' : ''};
    s1 = s1 + g;
    s2 = s2 + g * (x[xb + d] - mean) * rstd;
  }
  let m1 = red_sum(s1, lane) / f32(u.D);
  let m2 = red_sum(s2, lane) / f32(u.D);
  for (var d = lane; d < u.D; d = d + ${t.lanes}u) {
    let g = dy[gb + d]${gamma ? ' * gamma[u.og + d]' : ''};
    let xhat = (x[xb + d] - mean) * rstd;
    let v = rstd * (g - m1 - xhat * m2);
    ${accumulate ? 'dx[db + d] = dx[db + d] + v;' : 'dx[db + d] = v;'}
  }`);
}

const GP_U = uniformLayout('LnGU', { rows: 'u32', D: 'u32', NB: 'u32', ox: 'u32', oy: 'u32', om: 'u32', or: 'u32', op: 'u32', blk0: 'u32' });

function gammaPartialSource(decls: string): string {
  return blockPartialSource(GP_U, decls, 'dy[u.oy + r * u.D + d] * (x[u.ox + r * u.D + d] - mean_in[u.om + r]) * rstd_in[u.or + r]');
}

export interface LayerNormSaved {
  /** Per row, [rows]. */
  readonly mean: Tensor;
  readonly rstd: Tensor;
}

export interface LayerNormForwardArgs {
  /** [..., D], dense. */
  x: Tensor;
  /** Same shape as x. */
  y: Tensor;
  /** [D], optional scale. */
  gamma?: Tensor;
  eps?: number;
  /** Where to save the statistics ([rows] each); default: temps of this recording. */
  mean?: Tensor;
  rstd?: Tensor;
}

export function layerNormForward(rec: Recorder, a: LayerNormForwardArgs): LayerNormSaved {
  const op = 'layerNorm';
  const D = a.x.shape[a.x.shape.length - 1] ?? 0;
  const rows = D ? numel(a.x.shape) / D : 0;
  expectDense(op, 'x', a.x);
  expectDense(op, 'y', a.y);
  expectShape(op, 'y', a.y, a.x.shape);
  if (a.gamma) expectShape(op, 'gamma', a.gamma, [D]);
  const eps = a.eps ?? 1e-6;
  if (!(eps > 0)) throw new NnError(op, 'eps', `must be positive, got ${eps}`);
  const mean = a.mean ?? tempTensor(rec, [rows], 'f32', 'ln mean');
  const rstd = a.rstd ?? tempTensor(rec, [rows], 'f32', 'ln rstd');
  expectShape(op, 'mean', mean, [rows]);
  expectShape(op, 'rstd', rstd, [rows]);
  const t = targetOf(rec.gpu);
  const g = !!a.gamma;
  const slots = [{ name: 'x' }, { name: 'y', write: true }, { name: 'mean_out', write: true }, { name: 'rstd_out', write: true }, ...(g ? [{ name: 'gamma' }] : [])];
  for (const [r0, n] of rowRuns(rec, rows, D)) {
    const wx = windowFor(rec.gpu, op, 'x', a.x, r0 * D, n * D);
    const wy = windowFor(rec.gpu, op, 'y', a.y, r0 * D, n * D);
    const wm = windowFor(rec.gpu, op, 'mean', mean, r0, n);
    const wr = windowFor(rec.gpu, op, 'rstd', rstd, r0, n);
    const wg = a.gamma ? windowFor(rec.gpu, op, 'gamma', a.gamma, 0, D) : undefined;
    dispatchOp(rec, {
      key: `ln.fwd|${t.tag}|${g ? 'g' : ''}`,
      label: 'layerNorm.fwd',
      slots,
      fields: ['x', 'y', 'mean', 'rstd', 'gamma'],
      windows: [wx, wy, wm, wr, ...(wg ? [wg] : [])],
      uniform: { layout: LN_U, values: { rows: n, D, eps, ox: wx.shift, oy: wy.shift, om: wm.shift, or: wr.shift, og: wg?.shift ?? 0, odx: 0 } },
      workgroups: groups(n, 1),
      make: (decls) => fwdSource(t, g, decls),
    });
  }
  return { mean, rstd };
}

export interface LayerNormBackwardArgs {
  x: Tensor;
  dy: Tensor;
  /** Receives the input gradient (added to it with `accumulate`). */
  dx: Tensor;
  saved: LayerNormSaved;
  gamma?: Tensor;
  /** Receives the scale's gradient [D] (added to it with `accumulateGamma`); needs gamma. */
  dgamma?: Tensor;
  accumulate?: boolean;
  accumulateGamma?: boolean;
}

export function layerNormBackward(rec: Recorder, a: LayerNormBackwardArgs): void {
  const op = 'layerNormBackward';
  const D = a.x.shape[a.x.shape.length - 1] ?? 0;
  const rows = D ? numel(a.x.shape) / D : 0;
  for (const [f, t] of [['x', a.x], ['dy', a.dy], ['dx', a.dx]] as const) {
    expectDense(op, f, t);
    expectShape(op, f, t, a.x.shape);
  }
  if (a.gamma) expectShape(op, 'gamma', a.gamma, [D]);
  if (a.dgamma && !a.gamma) throw new NnError(op, 'dgamma', 'given without gamma');
  if (a.dgamma) expectShape(op, 'dgamma', a.dgamma, [D]);
  const t = targetOf(rec.gpu);
  const g = !!a.gamma;
  const acc = !!a.accumulate;
  const slots = [{ name: 'x' }, { name: 'dy' }, { name: 'mean_in' }, { name: 'rstd_in' }, { name: 'dx', write: true }, ...(g ? [{ name: 'gamma' }] : [])];
  const NBtotal = Math.ceil(rows / COL_BLOCK);
  const part = a.dgamma ? tempTensor(rec, [NBtotal, D], 'f32', 'ln dgamma partial') : undefined;
  for (const [r0, n] of rowRuns(rec, rows, D)) {
    const wx = windowFor(rec.gpu, op, 'x', a.x, r0 * D, n * D);
    const wdy = windowFor(rec.gpu, op, 'dy', a.dy, r0 * D, n * D);
    const wdx = windowFor(rec.gpu, op, 'dx', a.dx, r0 * D, n * D);
    const wm = windowFor(rec.gpu, op, 'mean', a.saved.mean, r0, n);
    const wr = windowFor(rec.gpu, op, 'rstd', a.saved.rstd, r0, n);
    const wg = a.gamma ? windowFor(rec.gpu, op, 'gamma', a.gamma, 0, D) : undefined;
    dispatchOp(rec, {
      key: `ln.bwd|${t.tag}|${g ? 'g' : ''}${acc ? 'a' : ''}`,
      label: 'layerNorm.bwd',
      slots,
      fields: ['x', 'dy', 'mean', 'rstd', 'dx', 'gamma'],
      windows: [wx, wdy, wm, wr, wdx, ...(wg ? [wg] : [])],
      uniform: { layout: LN_U, values: { rows: n, D, eps: 0, ox: wx.shift, oy: wdy.shift, om: wm.shift, or: wr.shift, og: wg?.shift ?? 0, odx: wdx.shift } },
      workgroups: groups(n, 1),
      make: (decls) => bwdSource(t, g, acc, decls),
    });
    if (part) {
      const NB = Math.ceil(n / COL_BLOCK);
      const wp = windowFor(rec.gpu, op, 'partial', part);
      dispatchOp(rec, {
        key: 'ln.dgamma',
        label: 'layerNorm.dgamma',
        slots: [{ name: 'x' }, { name: 'dy' }, { name: 'mean_in' }, { name: 'rstd_in' }, { name: 'part', write: true }],
        windows: [wx, wdy, wm, wr, wp],
        uniform: { layout: GP_U, values: { rows: n, D, NB, ox: wx.shift, oy: wdy.shift, om: wm.shift, or: wr.shift, op: wp.shift, blk0: r0 / COL_BLOCK } },
        workgroups: groups(NB * D, 64),
        make: gammaPartialSource,
      });
    }
  }
  if (part && a.dgamma) colsumFinish(rec, 'layerNorm', part, a.dgamma, 1, NBtotal, D, { accumulate: a.accumulateGamma });
}
