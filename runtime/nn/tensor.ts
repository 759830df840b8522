// The tensor every op takes: a view of 4-byte elements in a GPU buffer. It is a plain record, so
// any code can build one around its own buffer and bind it directly (the matmul API takes the
// same { buffer, offset } shape). Offsets and strides count elements, not bytes.
import type { BufferPool, Recorder } from '../gpu/index.ts';
import { NnError } from './errors.ts';

export type DType = 'f32' | 'u32' | 'i32';

export interface Tensor {
  readonly buffer: GPUBuffer;
  /** Index of the first element in the buffer (elements). */
  readonly offset: number;
  readonly shape: readonly number[];
  readonly dtype: DType;
  /** Elements between neighbours along each dimension; absent means dense row-major. */
  readonly strides?: readonly number[];
}

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function denseStrides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

export function stridesOf(t: Tensor): readonly number[] {
  return t.strides ?? denseStrides(t.shape);
}

export function isContiguous(t: Tensor): boolean {
  if (!t.strides) return true;
  const d = denseStrides(t.shape);
  return t.shape.every((n, i) => n === 1 || t.strides![i] === d[i]);
}

/** Elements from `offset` to one past the last element the view can touch. */
export function extentOf(t: Tensor): number {
  if (numel(t.shape) === 0) return 0;
  const s = stridesOf(t);
  let last = 0;
  for (let i = 0; i < t.shape.length; i++) last += (t.shape[i]! - 1) * s[i]!;
  return last + 1;
}

/** Wraps a buffer region as a tensor. */
export function tensor(buffer: GPUBuffer, shape: readonly number[], opts: { offset?: number; dtype?: DType; strides?: readonly number[] } = {}): Tensor {
  const t: Tensor = { buffer, offset: opts.offset ?? 0, shape: [...shape], dtype: opts.dtype ?? 'f32', ...(opts.strides ? { strides: [...opts.strides] } : {}) };
  if ((t.offset + extentOf(t)) * 4 > buffer.size) {
    throw new NnError('tensor', 'shape', `[${shape}] at offset ${t.offset} needs ${t.offset + extentOf(t)} elements; the buffer holds ${buffer.size / 4}`);
  }
  return t;
}

/** A dense tensor in a pooled buffer that the caller owns (give it back with `freeTensor`). */
export function allocTensor(pool: BufferPool, shape: readonly number[], dtype: DType = 'f32', label?: string): Tensor {
  return { buffer: pool.acquire(numel(shape) * 4, label), offset: 0, shape: [...shape], dtype };
}

export function freeTensor(pool: BufferPool, t: Tensor): void {
  pool.release(t.buffer);
}

/** A dense tensor that lives until the recorder's next submit (or `rec.releaseTemp(t.buffer)`). */
export function tempTensor(rec: Recorder, shape: readonly number[], dtype: DType = 'f32', label?: string): Tensor {
  return { buffer: rec.temp(numel(shape) * 4, label), offset: 0, shape: [...shape], dtype };
}

/** The same elements under another dense shape. */
export function reshape(t: Tensor, shape: readonly number[]): Tensor {
  if (!isContiguous(t)) throw new NnError('reshape', 'tensor', 'a strided view cannot be reshaped');
  if (numel(shape) !== numel(t.shape)) throw new NnError('reshape', 'shape', `[${shape}] has ${numel(shape)} elements, the tensor [${t.shape}] has ${numel(t.shape)}`);
  return { buffer: t.buffer, offset: t.offset, shape: [...shape], dtype: t.dtype };
}

/** Elements [start, start + length) along dimension `dim` (a strided view unless dim is 0 of a dense tensor). */
export function narrow(t: Tensor, dim: number, start: number, length: number): Tensor {
  if (dim < 0 || dim >= t.shape.length) throw new NnError('narrow', 'dim', `${dim} is not a dimension of [${t.shape}]`);
  if (start < 0 || length < 0 || start + length > t.shape[dim]!) {
    throw new NnError('narrow', 'start', `[${start}, ${start + length}) is outside 0..${t.shape[dim]}`);
  }
  const s = stridesOf(t);
  const shape = t.shape.map((n, i) => (i === dim ? length : n));
  const view: Tensor = { buffer: t.buffer, offset: t.offset + start * s[dim]!, shape, dtype: t.dtype, strides: [...s] };
  return isContiguous(view) ? { buffer: view.buffer, offset: view.offset, shape, dtype: t.dtype } : view;
}

/** Splits the last dimension into `parts` equal views (e.g. the 6 adaLN vectors of a [B, 6D] tensor). */
export function chunkLast(t: Tensor, parts: number): Tensor[] {
  const last = t.shape.length - 1;
  const n = t.shape[last]!;
  if (n % parts) throw new NnError('chunkLast', 'parts', `${n} is not divisible by ${parts}`);
  return Array.from({ length: parts }, (_, i) => narrow(t, last, (i * n) / parts, n / parts));
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
