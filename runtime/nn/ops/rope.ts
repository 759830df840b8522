// Rotary position embedding, half-split (GPT-NeoX) layout: within each head, element i < dh/2 and
// element i + dh/2 form a pair rotated by theta = pos * base^(-2i/dh):
//   y[i] = x[i] cos - x[i+h] sin,    y[i+h] = x[i+h] cos + x[i] sin      (h = dh/2)
// The backward is the inverse rotation (theta -> -theta) of dy. cos/sin come from a table made in
// float64 on the host (an f32 angle pos * freq is off by ~pos * 6e-8 rad; the table is exact to f32).
// x and y are [B, L, H, dh] views with any strides (dh dense), e.g. the q or k part of a fused
// [B, L, 3, H, dh] projection, written to a [B, H, L, dh] layout for attention.
import { maxBindingBytes, uniformLayout, type BufferPool, type Recorder } from '../../gpu/index.ts';
import { windowFor } from '../bind.ts';
import { dispatchOp } from '../dispatch.ts';
import { NnError } from '../errors.ts';
import { extentOf, narrow, stridesOf, type Tensor } from '../tensor.ts';
import { groups, WG_INDEX } from '../wgsl.ts';

/** [maxLen, dh] table: row p holds cos(p * f_i) for i < dh/2, then sin(p * f_i). */
export function ropeTableData(maxLen: number, headDim: number, base = 10000): Float32Array {
  if (headDim % 2) throw new NnError('rope', 'headDim', `must be even, got ${headDim}`);
  const h = headDim / 2;
  const out = new Float32Array(maxLen * headDim);
  for (let p = 0; p < maxLen; p++) {
    for (let i = 0; i < h; i++) {
      const a = p * Math.pow(base, (-2 * i) / headDim);
      out[p * headDim + i] = Math.cos(a);
      out[p * headDim + h + i] = Math.sin(a);
    }
  }
  return out;
}

/** The table as a tensor in a pooled buffer (uploaded through the queue). */
export function createRopeTable(pool: BufferPool, maxLen: number, headDim: number, base = 10000): Tensor {
  const data = ropeTableData(maxLen, headDim, base);
  const buffer = pool.acquire(data.byteLength, 'rope table');
  pool.gpu.device.queue.writeBuffer(buffer, 0, data);
  return { buffer, offset: 0, shape: [maxLen, headDim], dtype: 'f32' };
}

const RU = uniformLayout('RopeU', {
  B: 'u32', L: 'u32', H: 'u32', half: 'u32', dh: 'u32', pos0: 'u32', sign: 'f32',
  ox: 'u32', sx0: 'u32', sx1: 'u32', sx2: 'u32', oy: 'u32', sy0: 'u32', sy1: 'u32', sy2: 'u32', ot: 'u32',
});

const ropeSource = (inplace: boolean) => (decls: string) => /* wgsl */ `
${RU.wgsl}
@group(0) @binding(0) var<uniform> u: RopeU;
${decls}
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  ${WG_INDEX}
  let idx = wg_index * 64u + lid;
  if (idx >= u.B * u.L * u.H * u.half) { return; }
  let i = idx % u.half;
  var r = idx / u.half;
  let h = r % u.H; r = r / u.H;
  let l = r % u.L;
  let b = r / u.L;
  let xb = u.ox + b * u.sx0 + l * u.sx1 + h * u.sx2;
  let yb = ${inplace ? 'xb' : 'u.oy + b * u.sy0 + l * u.sy1 + h * u.sy2'};
  let tb = u.ot + (u.pos0 + l) * u.dh;
  let c = tab[tb + i];
  let s = u.sign * tab[tb + u.half + i];
  let x1 = x[xb + i];
  let x2 = x[xb + u.half + i];
  ${inplace ? 'x' : 'y'}[yb + i] = x1 * c - x2 * s;
  ${inplace ? 'x' : 'y'}[yb + u.half + i] = x2 * c + x1 * s;
}`;

export interface RopeArgs {
  /** [B, L, H, dh] views (dh dense); y may be x itself (in place). */
  x: Tensor;
  y: Tensor;
  /** From createRopeTable, with at least pos0 + L rows and dh columns. */
  table: Tensor;
  /** Position of the first element (default 0). */
  pos0?: number;
}

function rope(rec: Recorder, a: RopeArgs, sign: 1 | -1, op: string): void {
  if (a.x.shape.length !== 4) throw new NnError(op, 'x', `expected [B, L, H, dh], got [${a.x.shape}]`);
  const [B, L, H, dh] = a.x.shape as [number, number, number, number];
  if (a.y.shape.join() !== a.x.shape.join()) throw new NnError(op, 'y', `expected shape [${a.x.shape}], got [${a.y.shape}]`);
  if (dh % 2) throw new NnError(op, 'x', `head dimension must be even, got ${dh}`);
  const pos0 = a.pos0 ?? 0;
  if (a.table.shape[1] !== dh || (a.table.shape[0] ?? 0) < pos0 + L) {
    throw new NnError(op, 'table', `needs at least ${pos0 + L} rows of ${dh}, got [${a.table.shape}]`);
  }
  const sx = stridesOf(a.x);
  const sy = stridesOf(a.y);
  if (sx[3] !== 1 || sy[3] !== 1) throw new NnError(op, sx[3] !== 1 ? 'x' : 'y', 'the head dimension must be dense (stride 1)');
  const inplace = a.x.buffer === a.y.buffer && a.x.offset === a.y.offset && sx.join() === sy.join();
  // Batch runs whose views fit one binding window each.
  const cap = Math.floor((maxBindingBytes(rec.gpu) - rec.gpu.limits.minStorageBufferOffsetAlignment) / 4);
  let nb = B;
  while (nb > 1 && [a.x, a.y].some((t) => extentOf(narrow(t, 0, 0, nb)) > cap)) nb = Math.ceil(nb / 2);
  for (let b0 = 0; b0 < B; b0 += nb) {
    const n = Math.min(nb, B - b0);
    const x = narrow(a.x, 0, b0, n);
    const y = narrow(a.y, 0, b0, n);
    const wx = windowFor(rec.gpu, op, 'x', x);
    const wy = inplace ? wx : windowFor(rec.gpu, op, 'y', y);
    const wt = windowFor(rec.gpu, op, 'table', a.table, pos0 * dh, L * dh);
    dispatchOp(rec, {
      key: `rope${inplace ? '.inplace' : ''}`,
      label: op,
      slots: [{ name: 'x', write: inplace }, { name: 'tab' }, ...(inplace ? [] : [{ name: 'y', write: true }])],
      fields: ['x', 'table', 'y'],
      windows: inplace ? [wx, wt] : [wx, wt, wy],
      uniform: {
        layout: RU,
        values: {
          B: n, L, H, half: dh / 2, dh, pos0: 0, sign,
          ox: wx.shift, sx0: sx[0]!, sx1: sx[1]!, sx2: sx[2]!, oy: wy.shift, sy0: sy[0]!, sy1: sy[1]!, sy2: sy[2]!, ot: wt.shift,
        },
      },
      workgroups: groups((n * L * H * dh) / 2, 64),
      make: ropeSource(inplace),
    });
  }
}

/** y = rotate(x) by each position's angles. */
export function ropeForward(rec: Recorder, a: RopeArgs): void {
  rope(rec, a, 1, 'rope.fwd');
}

/** dx = rotate(dy) by minus the angles (pass dy as `x` and dx as `y`). */
export function ropeBackward(rec: Recorder, a: RopeArgs): void {
  rope(rec, a, -1, 'rope.bwd');
}
