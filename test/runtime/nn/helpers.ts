// Shared by the nn tests: seeded random data, tensors from host arrays, and a closeness check
// that reports the worst element.
import * as assert from 'uvu/assert';
import { readBuffer, storageBuffer, type Gpu } from '../../../runtime/gpu/index.ts';
import { tensor, type DType, type Tensor } from '../../../runtime/nn/tensor.ts';
import { mulberry32 } from '../../../runtime/data/random.ts';

/** mulberry32: a small seeded generator of uniforms in [0, 1). */
export const rng = (seed: number) => mulberry32(seed);

/** n standard normals (Box-Muller) times `scale`, rounded to f32. */
export function randn(n: number, seed: number, scale = 1): Float32Array {
  const u = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = scale * Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
  return out;
}

export function randInts(n: number, max: number, seed: number): Uint32Array {
  const u = rng(seed);
  return Uint32Array.from({ length: n }, () => Math.floor(u() * max));
}

export function f64(x: ArrayLike<number>): Float64Array {
  return Float64Array.from(x as ArrayLike<number>);
}

/** A tensor holding `data` in a fresh buffer (optionally at an element offset, to test offsets). */
export function upload(gpu: Gpu, data: Float32Array | Uint32Array, shape: readonly number[], opts: { offset?: number; dtype?: DType } = {}): Tensor {
  const off = opts.offset ?? 0;
  const host = new (data.constructor as Float32ArrayConstructor)(off + data.length + 3);
  host.set(data as Float32Array, off);
  host.fill(NaN as never, off + data.length);
  return tensor(storageBuffer(gpu, host), shape, { offset: off, dtype: opts.dtype ?? (data instanceof Uint32Array ? 'u32' : 'f32') });
}

/** A zero-filled tensor (optionally offset; guard elements around it hold NaN sentinels). */
export function zeros(gpu: Gpu, shape: readonly number[], offset = 0): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const host = new Float32Array(offset + n + 3).fill(NaN);
  host.fill(0, offset, offset + n);
  return tensor(storageBuffer(gpu, host), shape, { offset });
}

export async function read(gpu: Gpu, t: Tensor, count = t.shape.reduce((a, b) => a * b, 1)): Promise<Float32Array> {
  return new Float32Array(await readBuffer(gpu, t.buffer, count * 4, t.offset * 4));
}

/** Asserts |got - want| <= atol + rtol * |want| elementwise; the message names the worst element. */
export function assertClose(got: ArrayLike<number>, want: ArrayLike<number>, opts: { rtol?: number; atol?: number; what?: string } = {}): void {
  const rtol = opts.rtol ?? 1e-4;
  const atol = opts.atol ?? 1e-6;
  assert.is(got.length, want.length, `${opts.what ?? 'values'}: length`);
  let worst = -1;
  let worstRatio = 0;
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!;
    const w = want[i]!;
    if (Math.abs(g - w) <= atol + rtol * Math.abs(w)) continue;
    const ratio = Math.abs(g - w) / (atol + rtol * Math.abs(w));
    if (worst < 0 || !(ratio <= worstRatio)) {
      worst = i;
      worstRatio = ratio;
    }
  }
  if (worst >= 0) {
    assert.unreachable(`${opts.what ?? 'values'}: element ${worst} is ${got[worst]}, expected ${want[worst]} (rtol ${rtol}, atol ${atol}; ${Number.isFinite(worstRatio) ? worstRatio.toFixed(1) + 'x the tolerance' : 'not finite'})`);
  }
}

/** Largest |x|, for tolerances relative to a tensor's scale. */
export function maxAbs(x: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]!));
  return m;
}

export function bitsEqual(a: Float32Array | Uint32Array, b: Float32Array | Uint32Array): boolean {
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}
