// The position mask of a loss: row n of the per-row losses [N] and of their gradients [N, V] times
// a per-position factor mask[n] (sentence mode: 1 at real positions, 0 at padding), so that any
// loss (the kernel runtime's ELBO, cross-entropy without weights) ignores padding. A zero factor
// writes exactly 0, even where the row holds inf or NaN: padded rows may be garbage (a loss of
// tokens that are not there) and must not poison the sums.
//
// The work is elementwise over the flat tensor, split into element runs that fit one binding
// window (runsOf); each run binds the mask rows it touches. So a row may be larger than a window
// (any V), and a big [N, V] needs several dispatches, not one row per window.
import { runsOf, uniformLayout, type Recorder } from '../../gpu/index.ts';
import { expectDense, expectDtype, expectNumel, windowFor } from '../bind.ts';
import { dispatchOp, type Slot } from '../dispatch.ts';
import { NnError } from '../errors.ts';
import { numel, type Tensor } from '../tensor.ts';
import { groups, WG_INDEX } from '../wgsl.ts';

const WG = 64;
const PER = 8;

/** n elements from column c0 of the run's first row; W columns per row; offsets of x, y, mask. */
const PM_U = uniformLayout('PmU', { n: 'u32', W: 'u32', c0: 'u32', ox: 'u32', oy: 'u32', om: 'u32' });

function pmSource(inplace: boolean, decls: string): string {
  const y = inplace ? 'x' : 'y';
  const oy = inplace ? 'u.ox' : 'u.oy';
  return /* wgsl */ `
${PM_U.wgsl}
@group(0) @binding(0) var<uniform> u: PmU;
${decls}
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  ${WG_INDEX}
  let base = wg_index * ${WG * PER}u + lid;
  for (var k = 0u; k < ${PER}u; k = k + 1u) {
    let i = base + k * ${WG}u;
    if (i < u.n) {
      let f = m[u.om + (u.c0 + i) / u.W];
      ${y}[${oy} + i] = select(f * x[u.ox + i], 0.0, f == 0.0);
    }
  }
}`;
}

/** y[n, :] = mask[n] * x[n, :] over N rows of W; y may be x (same buffer and offset). */
function scaleRows(rec: Recorder, op: string, field: string, x: Tensor, y: Tensor, mask: Tensor, N: number): void {
  const outField = y === x ? field : `${field}Out`;
  for (const [f, t] of [[field, x], [outField, y]] as const) {
    expectDtype(op, f, t, 'f32');
    expectDense(op, f, t);
  }
  const n = numel(x.shape);
  if (N === 0 || n % N !== 0) throw new NnError(op, field, `expected ${N} rows (a multiple of ${N} elements), got [${x.shape}]`);
  expectNumel(op, outField, y, n);
  if (n === 0) return;
  const W = n / N;
  const inplace = y.buffer === x.buffer && y.offset === x.offset;
  const slots: Slot[] = [{ name: 'x', write: inplace }, { name: 'm' }, ...(inplace ? [] : [{ name: 'y', write: true }])];
  const fields = [field, 'mask', ...(inplace ? [] : [outField])];
  for (const [start, count] of runsOf(rec.gpu, n, 1)) {
    const r0 = Math.floor(start / W);
    const r1 = Math.floor((start + count - 1) / W);
    const wx = windowFor(rec.gpu, op, field, x, start, count);
    const wm = windowFor(rec.gpu, op, 'mask', mask, r0, r1 - r0 + 1);
    const wy = inplace ? undefined : windowFor(rec.gpu, op, outField, y, start, count);
    dispatchOp(rec, {
      key: `posmask|${inplace ? 'inplace' : 'separate'}`,
      label: op,
      slots,
      fields,
      windows: [wx, wm, ...(wy ? [wy] : [])],
      uniform: { layout: PM_U, values: { n: count, W, c0: start - r0 * W, ox: wx.shift, oy: wy?.shift ?? 0, om: wm.shift } },
      workgroups: groups(count, WG * PER),
      make: (d) => pmSource(inplace, d),
    });
  }
}

export interface PositionMaskArgs {
  /** f32 [N], dense: the factor of each position (1 real, 0 padding; other values scale). */
  mask: Tensor;
  /** Per-row losses, f32 with N elements, dense. */
  loss?: Tensor;
  /** Receives the masked losses; default `loss` itself (in place). Otherwise disjoint from `loss`. */
  lossOut?: Tensor;
  /** Per-row gradients, f32 [N, V] (or [..., V] with N rows; any V), dense. */
  grad?: Tensor;
  /** Receives the masked gradients; default `grad` itself (in place). Otherwise disjoint from `grad`. */
  gradOut?: Tensor;
}

/**
 * Scales row n of `loss` and of `grad` by mask[n] (a zero factor writes exactly 0). In place by
 * default; a separate output must not overlap its input (docs/nn.md's binding rule). The mask may
 * share a buffer with the inputs, not with the range an output writes.
 */
export function positionMask(rec: Recorder, a: PositionMaskArgs): void {
  const op = 'positionMask';
  expectDtype(op, 'mask', a.mask, 'f32');
  expectDense(op, 'mask', a.mask);
  const N = numel(a.mask.shape);
  if (N === 0) throw new NnError(op, 'mask', 'is empty');
  if (!a.loss && !a.grad) throw new NnError(op, 'loss', 'nothing to mask: give loss and/or grad');
  if (a.lossOut && !a.loss) throw new NnError(op, 'lossOut', 'given without loss');
  if (a.gradOut && !a.grad) throw new NnError(op, 'gradOut', 'given without grad');
  if (a.loss) {
    expectNumel(op, 'loss', a.loss, N);
    scaleRows(rec, op, 'loss', a.loss, a.lossOut ?? a.loss, a.mask, N);
  }
  if (a.grad) scaleRows(rec, op, 'grad', a.grad, a.gradOut ?? a.grad, a.mask, N);
}
