// Binding tensors: the window around the elements a dispatch touches, and argument checks that
// name the op and argument at fault.
import { windowOf, type Gpu, type Window } from '../gpu/index.ts';
import { NnError } from './errors.ts';
import { extentOf, isContiguous, numel, sameShape, type DType, type Tensor } from './tensor.ts';

/** The window over elements [start, start + count) of `t` (relative to t.offset; default: all of it). */
export function windowFor(gpu: Gpu, op: string, field: string, t: Tensor, start = 0, count = extentOf(t) - start): Window {
  try {
    return windowOf(gpu, t.buffer, t.offset + start, count, `${op}: ${field}`);
  } catch (err) {
    throw new NnError(op, field, (err as Error).message.replace(`${op}: ${field}: `, ''));
  }
}

export function expectShape(op: string, field: string, t: Tensor, shape: readonly number[]): void {
  if (!sameShape(t.shape, shape)) throw new NnError(op, field, `expected shape [${shape}], got [${t.shape}]`);
}

export function expectDense(op: string, field: string, t: Tensor): void {
  if (!isContiguous(t)) throw new NnError(op, field, 'must be a dense (contiguous) tensor');
}

export function expectDtype(op: string, field: string, t: Tensor, dtype: DType): void {
  if (t.dtype !== dtype) throw new NnError(op, field, `expected dtype ${dtype}, got ${t.dtype}`);
}

export function expectRank(op: string, field: string, t: Tensor, rank: number): void {
  if (t.shape.length !== rank) throw new NnError(op, field, `expected ${rank} dimensions, got [${t.shape}]`);
}

/** Same element count (for flat ops). */
export function expectNumel(op: string, field: string, t: Tensor, n: number): void {
  if (numel(t.shape) !== n) throw new NnError(op, field, `expected ${n} elements, got [${t.shape}]`);
}

/** Two views that would be bound together must not overlap in the same buffer (a write would race a read). */
export function expectDisjoint(op: string, field: string, a: Window, b: Window): void {
  const x = a.range;
  const y = b.range;
  if (x.buffer === y.buffer && x.offset < y.offset + y.size && y.offset < x.offset + x.size) {
    throw new NnError(op, field, 'overlaps another argument in the same buffer (bindings start at aligned offsets); use separate buffers or aligned, disjoint offsets');
  }
}
