// Binding windows. A storage binding may span at most maxStorageBufferBindingSize bytes (128 MiB
// on lavapipe) and must start at a multiple of minStorageBufferOffsetAlignment, while tensors live
// at any element offset of buffers of any size. A window binds the aligned range around the
// elements a dispatch touches; the shader adds `shift` (elements) to its indices. Work over a
// bigger tensor is split into several dispatches, each with its own windows (see `runsOf`).
import type { Gpu } from './device.ts';

/** A byte range bound as one storage binding. */
export interface BufferRange {
  readonly buffer: GPUBuffer;
  readonly offset: number;
  readonly size: number;
}

export interface Window {
  readonly range: BufferRange;
  /** Elements from the start of the binding to the first element asked for. */
  readonly shift: number;
}

let override: number | undefined;

/** Tests shrink the binding limit to exercise the split paths on small tensors; undefined restores it. */
export function setMaxBindingBytesForTests(bytes: number | undefined): void {
  override = bytes;
}

export function maxBindingBytes(gpu: Gpu): number {
  const lim = gpu.limits.maxStorageBufferBindingSize;
  return override === undefined ? lim : Math.min(lim, override);
}

/** The window holding elements [elemOffset, elemOffset + count) of 4-byte elements of `buffer`. */
export function windowOf(gpu: Gpu, buffer: GPUBuffer, elemOffset: number, count: number, what = 'tensor'): Window {
  if (!Number.isInteger(elemOffset) || elemOffset < 0) throw new RangeError(`${what}: offset must be a non-negative integer, got ${elemOffset}`);
  const align = gpu.limits.minStorageBufferOffsetAlignment;
  const start = elemOffset * 4;
  const end = (elemOffset + Math.max(1, count)) * 4;
  if (end > buffer.size) {
    throw new RangeError(`${what}: needs elements [${elemOffset}, ${elemOffset + count}) but its buffer holds ${buffer.size / 4}`);
  }
  const offset = Math.floor(start / align) * align;
  const size = end - offset;
  const max = maxBindingBytes(gpu);
  if (size > max) throw new RangeError(`${what}: a window of ${size} bytes exceeds the ${max}-byte binding limit; split the work`);
  return { range: { buffer, offset, size }, shift: (start - offset) / 4 };
}

/**
 * Splits `items` items of `elemsPerItem` elements each into runs [start, count) whose span fits one
 * binding window (allowing for alignment), so each run can be one dispatch.
 */
export function runsOf(gpu: Gpu, items: number, elemsPerItem: number): Array<[number, number]> {
  const usable = maxBindingBytes(gpu) - gpu.limits.minStorageBufferOffsetAlignment;
  const per = Math.max(1, Math.floor(usable / (Math.max(1, elemsPerItem) * 4)));
  if (elemsPerItem * 4 > usable) throw new RangeError(`one item of ${elemsPerItem} elements exceeds the binding limit`);
  const out: Array<[number, number]> = [];
  for (let s = 0; s < items; s += per) out.push([s, Math.min(per, items - s)]);
  if (out.length === 0) out.push([0, 0]);
  return out;
}
