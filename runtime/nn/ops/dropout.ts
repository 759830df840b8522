// Dropout with counter-based random numbers: element i is kept when word (i mod 4) of
// Philox4x32-10(counter = (i / 4, stream, 0, 0), key = seed) is at least round(p * 2^32), and
// kept elements are scaled by 1 / (1 - p). Nothing is stored: the backward regenerates the same
// mask from (seed, stream), and a given (seed, stream, i) gives the same decision on any adapter,
// in any split of the work, and in the TypeScript Philox (reference/nn/dropout.ts).
import { PHILOX_WGSL, runsOf, seedKey, uniformLayout, type Recorder } from '../../gpu/index.ts';
import { expectDense, expectNumel, windowFor } from '../bind.ts';
import { dispatchOp } from '../dispatch.ts';
import { NnError } from '../errors.ts';
import { numel, type Tensor } from '../tensor.ts';
import { groups, WG_INDEX } from '../wgsl.ts';

const DU = uniformLayout('DropU', { n: 'u32', start: 'u32', thresh: 'u32', k0: 'u32', k1: 'u32', stream: 'u32', scale: 'f32', ox: 'u32', oy: 'u32' });

const dropSource = (decls: string) => /* wgsl */ `
${DU.wgsl}
@group(0) @binding(0) var<uniform> u: DropU;
${decls}
${PHILOX_WGSL}
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  ${WG_INDEX}
  // Each invocation owns one Philox block: 4 consecutive elements of the global index space.
  let g = (u.start >> 2u) + wg_index * 64u + lid;
  let r = philox4x32_10(vec4<u32>(g, u.stream, 0u, 0u), vec2<u32>(u.k0, u.k1));
  let words = array<u32, 4>(r.x, r.y, r.z, r.w);
  for (var k = 0u; k < 4u; k = k + 1u) {
    let gi = g * 4u + k;
    if (gi >= u.start && gi < u.start + u.n) {
      let i = gi - u.start;
      y[u.oy + i] = select(0.0, x[u.ox + i] * u.scale, words[k] >= u.thresh);
    }
  }
}`;

export interface DropoutArgs {
  /** Input (dy for the backward). */
  x: Tensor;
  /** Output (dx for the backward); same number of elements; may not overlap x. */
  y: Tensor;
  /** Drop probability in [0, 1). */
  p: number;
  /** Any 53-bit integer: the Philox key. */
  seed: number;
  /** Distinguishes the dropout sites of one step (u32); default 0. */
  stream?: number;
}

/** The u32 threshold: a word w keeps its element when w >= threshold. */
export function dropoutThreshold(p: number): number {
  return Math.min(0xffffffff, Math.round(p * 2 ** 32));
}

function dropout(rec: Recorder, a: DropoutArgs, op: string): void {
  if (!(a.p >= 0 && a.p < 1)) throw new NnError(op, 'p', `must be in [0, 1), got ${a.p}`);
  const stream = a.stream ?? 0;
  if (!Number.isInteger(stream) || stream < 0 || stream > 0xffffffff) throw new NnError(op, 'stream', `must be a u32, got ${stream}`);
  if (!Number.isSafeInteger(a.seed)) throw new NnError(op, 'seed', `must be an integer, got ${a.seed}`);
  expectDense(op, 'x', a.x);
  expectDense(op, 'y', a.y);
  const n = numel(a.x.shape);
  expectNumel(op, 'y', a.y, n);
  if (n >= 2 ** 32 - 4) throw new NnError(op, 'x', 'has too many elements for the 32-bit counter');
  const [k0, k1] = seedKey(a.seed);
  const thresh = dropoutThreshold(a.p);
  const scale = 1 / (1 - a.p);
  // Runs start at multiples of 4 so that each Philox block belongs to one dispatch.
  const runs = runsOf(rec.gpu, Math.ceil(n / 4), 4).map(([s, c]) => [s * 4, Math.min(c * 4, n - s * 4)] as const);
  for (const [start, count] of runs) {
    if (count <= 0) continue;
    const wx = windowFor(rec.gpu, op, 'x', a.x, start, count);
    const wy = windowFor(rec.gpu, op, 'y', a.y, start, count);
    dispatchOp(rec, {
      key: 'dropout',
      label: op,
      slots: [{ name: 'x' }, { name: 'y', write: true }],
      windows: [wx, wy],
      uniform: { layout: DU, values: { n: count, start, thresh, k0, k1, stream, scale, ox: wx.shift, oy: wy.shift } },
      workgroups: groups(Math.ceil(count / 4), 64),
      make: dropSource,
    });
  }
}

/** y = x * mask / (1 - p). */
export function dropoutForward(rec: Recorder, a: DropoutArgs): void {
  dropout(rec, a, 'dropout.fwd');
}

/** dx = dy * mask / (1 - p), the same mask as the forward with the same seed and stream (x = dy, y = dx). */
export function dropoutBackward(rec: Recorder, a: DropoutArgs): void {
  dropout(rec, a, 'dropout.bwd');
}
