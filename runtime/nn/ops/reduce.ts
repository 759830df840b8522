// Deterministic sums of a vector into one number (a loss, a count). Two stages with fixed
// orders: each workgroup sums a fixed chunk (row reduction helpers), one workgroup adds the chunk
// sums in order. The result is written (or added) to out[0], times `scale`.
import { uniformLayout, type Recorder } from '../../gpu/index.ts';
import { expectDense, windowFor } from '../bind.ts';
import { dispatchOp } from '../dispatch.ts';
import { numel, tempTensor, type Tensor } from '../tensor.ts';
import { groups, laneKernel, targetOf, type Target } from '../wgsl.ts';

const CHUNK = 4096;
const SUM_U = uniformLayout('SumU', { n: 'u32', ox: 'u32', oo: 'u32', scale: 'f32' });

function sumSource(t: Target, final: boolean, accumulate: boolean, decls: string): string {
  return laneKernel(t, SUM_U, decls, /* wgsl */ `
  let c0 = ${final ? '0u' : `wg_index * ${CHUNK}u`};
  let c1 = ${final ? 'u.n' : `min(c0 + ${CHUNK}u, u.n)`};
  var s = 0.0;
  for (var i = c0 + lane; i < c1; i = i + ${t.lanes}u) { s = s + x[u.ox + i]; }
  let total = red_sum(s, lane);
  if (lane == 0u) {
    ${final ? (accumulate ? 'out[u.oo] = out[u.oo] + u.scale * total;' : 'out[u.oo] = u.scale * total;') : 'out[u.oo + wg_index] = total;'}
  }`);
}

/** out[0] (+)= scale * sum(x). x is dense f32 of any shape; out is a tensor of at least one element. */
export function sumAll(rec: Recorder, x: Tensor, out: Tensor, opts: { scale?: number; accumulate?: boolean } = {}): void {
  const op = 'sumAll';
  expectDense(op, 'x', x);
  const n = numel(x.shape);
  const t = targetOf(rec.gpu);
  const acc = !!opts.accumulate;
  const wo = windowFor(rec.gpu, op, 'out', out, 0, 1);
  const slots = [{ name: 'x' }, { name: 'out', write: true }];
  let src = windowFor(rec.gpu, op, 'x', x, 0, Math.max(1, n));
  let count = n;
  if (n > CHUNK) {
    const chunks = Math.ceil(n / CHUNK);
    const part = tempTensor(rec, [chunks], 'f32', 'sum partial');
    const wp = windowFor(rec.gpu, op, 'partial', part);
    dispatchOp(rec, {
      key: `sum.chunks|${t.tag}`, label: 'sumAll', slots, fields: ['x', 'partial'], windows: [src, wp],
      uniform: { layout: SUM_U, values: { n, ox: src.shift, oo: wp.shift, scale: 1 } },
      workgroups: groups(chunks, 1), make: (d) => sumSource(t, false, false, d),
    });
    src = wp;
    count = chunks;
  }
  dispatchOp(rec, {
    key: `sum.final|${t.tag}|${acc ? 'a' : ''}`, label: 'sumAll', slots, fields: ['x', 'out'], windows: [src, wo],
    uniform: { layout: SUM_U, values: { n: count, ox: src.shift, oo: wo.shift, scale: opts.scale ?? 1 } },
    workgroups: [1], make: (d) => sumSource(t, true, acc, d),
  });
}
