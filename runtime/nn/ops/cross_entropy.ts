// Softmax cross-entropy fused with its gradient, one row per workgroup:
//   lse_n   = log sum_j exp(z_nj)                       (max-shifted, online per lane)
//   loss_n  = w_n * (lse_n - z_n,t_n)                   (0 where ignored)
//   dz_nj   = scale * w_n * (softmax(z_n)_j - [j = t_n])
// w_n is 1 without weights; a position is ignored when its target equals `ignoreIndex` or lies
// outside [0, V). The gradient may overwrite the logits (pass the same tensor): each row is read
// in full before it is written. Two passes over each row: the online max/sum, then the gradient.
import { runsOf, uniformLayout, type Recorder } from '../../gpu/index.ts';
import { expectDense, expectDtype, expectRank, expectShape, windowFor } from '../bind.ts';
import { dispatchOp, type Slot } from '../dispatch.ts';
import { NnError } from '../errors.ts';
import { sameShape, type Tensor } from '../tensor.ts';
import { groups, laneKernel, reductions, targetOf, type Target } from '../wgsl.ts';

const CE_U = uniformLayout('CeU', { rows: 'u32', V: 'u32', ignore: 'u32', scale: 'f32', oz: 'u32', ot: 'u32', ow: 'u32', ol: 'u32', og: 'u32' });

function ceSource(t: Target, weights: boolean, grad: 'none' | 'separate' | 'inplace', decls: string): string {
  const gz = grad === 'inplace' ? 'z' : 'dz';
  const go = grad === 'inplace' ? 'u.oz' : 'u.og';
  return laneKernel(t, CE_U, decls, /* wgsl */ `
  let row = wg_index;
  if (row >= u.rows) { return; }
  let zb = u.oz + row * u.V;
  // Online max and sum of exp per lane, then combined across lanes.
  var m = -3.0e38;
  var s = 0.0;
  for (var j = lane; j < u.V; j = j + ${t.lanes}u) {
    let v = z[zb + j];
    if (v > m) { s = s * exp(m - v) + 1.0; m = v; } else { s = s + exp(v - m); }
  }
  let tgt = tg[u.ot + row];
  let valid = tgt != u.ignore && tgt < u.V;
  var w = ${weights ? 'wt[u.ow + row]' : '1.0'};
  if (!valid) { w = 0.0; }
  // The target logit is read before the reductions, which no lane leaves before every lane has
  // entered them; so no lane has started overwriting the row (in-place gradient) yet.
  var zt = 0.0;
  if (valid) { zt = z[zb + tgt]; }
  let mall = red_max(m, lane);
  let sall = red_sum(s * exp(m - mall), lane);
  let lse = mall + log(sall);
  if (lane == 0u) { loss[u.ol + row] = select(0.0, w * (lse - zt), valid); }
${grad === 'none' ? '' : `  let gw = u.scale * w;
  let gb = ${go} + row * u.V;
  for (var j = lane; j < u.V; j = j + ${t.lanes}u) {
    let p = exp(z[zb + j] - lse);
    ${gz}[gb + j] = gw * (p - select(0.0, 1.0, j == tgt));
  }`}`);
}

export interface CrossEntropyArgs {
  /** [N, V] (or [..., V]) logits, dense. */
  logits: Tensor;
  /** u32 targets, one per row. */
  targets: Tensor;
  /** f32 per-row weights (optional). */
  weights?: Tensor;
  /** Per-row weighted loss, [rows]. */
  loss: Tensor;
  /** Receives the gradient; may be `logits` itself (in place). Omit to compute the loss only. */
  dlogits?: Tensor;
  /** Gradient multiplier (e.g. 1 / number of rows); default 1. */
  scale?: number;
  /** Target value meaning "no loss here"; default none. */
  ignoreIndex?: number;
}

export function crossEntropy(rec: Recorder, a: CrossEntropyArgs): void {
  const op = 'crossEntropy';
  expectDense(op, 'logits', a.logits);
  const V = a.logits.shape[a.logits.shape.length - 1] ?? 0;
  const rowsShape = a.logits.shape.slice(0, -1);
  const rows = rowsShape.reduce((x, y) => x * y, 1);
  if (V === 0) throw new NnError(op, 'logits', 'has no classes');
  expectDtype(op, 'targets', a.targets, 'u32');
  if (a.targets.shape.reduce((x, y) => x * y, 1) !== rows) throw new NnError(op, 'targets', `expected ${rows} targets, got [${a.targets.shape}]`);
  if (a.weights && a.weights.shape.reduce((x, y) => x * y, 1) !== rows) throw new NnError(op, 'weights', `expected ${rows} weights, got [${a.weights.shape}]`);
  if (a.loss.shape.reduce((x, y) => x * y, 1) !== rows) throw new NnError(op, 'loss', `expected ${rows} elements, got [${a.loss.shape}]`);
  for (const [f, t] of [['targets', a.targets], ['weights', a.weights], ['loss', a.loss], ['dlogits', a.dlogits]] as const) if (t) expectDense(op, f, t);
  const inplace = !!a.dlogits && a.dlogits.buffer === a.logits.buffer && a.dlogits.offset === a.logits.offset;
  if (a.dlogits && !inplace) {
    expectDense(op, 'dlogits', a.dlogits);
    if (!sameShape(a.dlogits.shape, a.logits.shape)) expectShape(op, 'dlogits', a.dlogits, a.logits.shape);
  }
  expectRank(op, 'logits', a.logits, a.logits.shape.length);
  const ignore = a.ignoreIndex ?? 0xffffffff;
  if (!Number.isInteger(ignore) || ignore < 0 || ignore > 0xffffffff) throw new NnError(op, 'ignoreIndex', `must be a u32, got ${ignore}`);
  const t = targetOf(rec.gpu);
  const grad = !a.dlogits ? 'none' : inplace ? 'inplace' : 'separate';
  const weights = !!a.weights;
  const slots: Slot[] = [
    { name: 'z', write: grad === 'inplace' },
    { name: 'tg', type: 'u32' },
    ...(weights ? [{ name: 'wt' }] : []),
    { name: 'loss', write: true },
    ...(grad === 'separate' ? [{ name: 'dz', write: true }] : []),
  ];
  const fields = ['logits', 'targets', ...(weights ? ['weights'] : []), 'loss', ...(grad === 'separate' ? ['dlogits'] : [])];
  for (const [r0, n] of runsOf(rec.gpu, rows, V)) {
    const wz = windowFor(rec.gpu, op, 'logits', a.logits, r0 * V, n * V);
    const wt = windowFor(rec.gpu, op, 'targets', a.targets, r0, n);
    const ww = a.weights ? windowFor(rec.gpu, op, 'weights', a.weights, r0, n) : undefined;
    const wl = windowFor(rec.gpu, op, 'loss', a.loss, r0, n);
    const wg = grad === 'separate' ? windowFor(rec.gpu, op, 'dlogits', a.dlogits!, r0 * V, n * V) : undefined;
    dispatchOp(rec, {
      key: `ce|${t.tag}|${weights ? 'w' : ''}|${grad}`,
      label: 'crossEntropy',
      slots,
      fields,
      windows: [wz, wt, ...(ww ? [ww] : []), wl, ...(wg ? [wg] : [])],
      uniform: {
        layout: CE_U,
        values: { rows: n, V, ignore, scale: a.scale ?? 1, oz: wz.shift, ot: wt.shift, ow: ww?.shift ?? 0, ol: wl.shift, og: wg?.shift ?? 0 },
      },
      workgroups: groups(n, 1),
      make: (d) => ceSource(t, weights, grad, d),
    });
  }
}
