// The second stage of deterministic column reductions (parameter gradients such as dgamma, and
// the per-sequence sums of adaLN): op kernels first write partial sums of fixed row blocks,
// partial[g, blk, d]; this kernel adds the blocks of each group in order into out[g, d].
// No float atomics anywhere, so the same inputs give the same bits.
import { runsOf, uniformLayout, type Recorder } from '../../gpu/index.ts';
import { expectDense, expectShape, windowFor } from '../bind.ts';
import { dispatchOp } from '../dispatch.ts';
import { numel, stridesOf, tempTensor, type Tensor } from '../tensor.ts';
import { groups, WG_INDEX } from '../wgsl.ts';

/** Rows per partial-sum block in the first stages. */
export const COL_BLOCK = 32;

const CS_U = uniformLayout('CsU', { G: 'u32', NB: 'u32', D: 'u32', po: 'u32', oo: 'u32', og: 'u32', scale: 'f32' });

function colsumSource(accumulate: boolean, decls: string): string {
  return /* wgsl */ `
${CS_U.wgsl}
@group(0) @binding(0) var<uniform> u: CsU;
${decls}
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  ${WG_INDEX}
  let i = wg_index * 64u + lid;
  if (i >= u.G * u.D) { return; }
  let g = i / u.D;
  let d = i - g * u.D;
  var acc = 0.0;
  let base = u.po + g * u.NB * u.D + d;
  for (var b = 0u; b < u.NB; b = b + 1u) { acc = acc + part[base + b * u.D]; }
  let o = u.oo + g * u.og + d;
  ${accumulate ? 'out[o] = out[o] + u.scale * acc;' : 'out[o] = u.scale * acc;'}
}`;
}

/**
 * out[g, :] (+)= scale * sum over b of partial[g, b, :]. `partial` is dense [G, NB, D]; `out` is
 * [G, D] with any row stride (a chunk of the adaLN vectors, say) and unit column stride.
 */
export function colsumFinish(rec: Recorder, op: string, partial: Tensor, out: Tensor, G: number, NB: number, D: number, opts: { accumulate?: boolean; scale?: number } = {}): void {
  const wp = windowFor(rec.gpu, op, 'partial sums', partial, 0, G * NB * D);
  const og = out.shape.length >= 2 ? stridesOf(out)[out.shape.length - 2]! : D;
  const wo = windowFor(rec.gpu, op, 'gradient', out, 0, (G - 1) * og + D);
  dispatchOp(rec, {
    key: `colsum2${opts.accumulate ? '.acc' : ''}`,
    label: `${op}.colsum`,
    slots: [{ name: 'part' }, { name: 'out', write: true }],
    fields: ['partial sums', 'gradient'],
    windows: [wp, wo],
    uniform: { layout: CS_U, values: { G, NB, D, po: wp.shift, oo: wo.shift, og, scale: opts.scale ?? 1 } },
    workgroups: groups(G * D, 64),
    make: (decls) => colsumSource(!!opts.accumulate, decls),
  });
}

const P1_U = uniformLayout('CsPU', { rows: 'u32', D: 'u32', NB: 'u32', ox: 'u32', op: 'u32', blk0: 'u32' });

/**
 * Block partial sums of columns: lane i of the grid sums `summand` (an expression of rows r and
 * column d) over the rows of block i / D, into part[u.op + (u.blk0 + block) * u.D + d]. The uniform
 * block `U` has rows, D, NB, op and blk0 (and whatever the summand reads).
 */
export function blockPartialSource(U: { name: string; wgsl: string }, decls: string, summand: string): string {
  return /* wgsl */ `
${U.wgsl}
@group(0) @binding(0) var<uniform> u: ${U.name};
${decls}
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  ${WG_INDEX}
  let i = wg_index * 64u + lid;
  if (i >= u.NB * u.D) { return; }
  let blk = i / u.D;
  let d = i - blk * u.D;
  let r0 = blk * ${COL_BLOCK}u;
  let r1 = min(r0 + ${COL_BLOCK}u, u.rows);
  var acc = 0.0;
  for (var r = r0; r < r1; r = r + 1u) { acc = acc + ${summand}; }
  part[u.op + (u.blk0 + blk) * u.D + d] = acc;
}`;
}

const partialSource = (decls: string) => blockPartialSource(P1_U, decls, 'x[u.ox + r * u.D + d]');

/** Row runs that fit the binding limit, each a multiple of COL_BLOCK rows (except the last). */
export function rowRuns(rec: Recorder, rows: number, D: number): Array<[number, number]> {
  const runs = runsOf(rec.gpu, rows, D);
  if (runs.length === 1) return runs;
  const per = Math.max(COL_BLOCK, Math.floor(runs[0]![1] / COL_BLOCK) * COL_BLOCK);
  const out: Array<[number, number]> = [];
  for (let s = 0; s < rows; s += per) out.push([s, Math.min(per, rows - s)]);
  return out;
}

/**
 * out[d] (+)= scale * sum over rows of x[r, d] for a dense [..., D] tensor (a bias gradient),
 * in fixed row blocks then across blocks: deterministic.
 */
export function columnSum(rec: Recorder, x: Tensor, out: Tensor, opts: { accumulate?: boolean; scale?: number } = {}): void {
  const op = 'columnSum';
  expectDense(op, 'x', x);
  const D = x.shape[x.shape.length - 1] ?? 0;
  const rows = D ? numel(x.shape) / D : 0;
  expectShape(op, 'out', out, [D]);
  if (rows === 0 || D === 0) return;
  const NBtotal = Math.ceil(rows / COL_BLOCK);
  const part = tempTensor(rec, [NBtotal, D], 'f32', 'column sum partial');
  const wp = windowFor(rec.gpu, op, 'partial', part);
  for (const [r0, n] of rowRuns(rec, rows, D)) {
    const NB = Math.ceil(n / COL_BLOCK);
    const wx = windowFor(rec.gpu, op, 'x', x, r0 * D, n * D);
    dispatchOp(rec, {
      key: 'colsum1', label: 'columnSum', slots: [{ name: 'x' }, { name: 'part', write: true }], fields: ['x', 'partial'],
      windows: [wx, wp],
      uniform: { layout: P1_U, values: { rows: n, D, NB, ox: wx.shift, op: wp.shift, blk0: r0 / COL_BLOCK } },
      workgroups: groups(NB * D, 64), make: partialSource,
    });
  }
  colsumFinish(rec, op, part, out, 1, NBtotal, D, opts);
}
