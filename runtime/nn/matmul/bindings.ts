// Binding windows, uniform blocks and bind groups, cached so that re-encoding the same step
// every iteration creates no GPU objects after the first time.
import type { Gpu } from '../../gpu/index.ts';
import { MatmulError } from './errors.ts';
import type { MatmulOperand } from './types.ts';

const UNIFORM = 0x40;
const COPY_DST = 0x08;

/** A byte range of a buffer bound as a storage binding, and the operand's element offset within it. */
export interface Window {
  buffer: GPUBuffer;
  byteOffset: number;
  byteSize: number;
  /** Element offset of the operand inside the window. */
  elem: number;
}

/**
 * Binds only the range an operand touches (aligned down to minStorageBufferOffsetAlignment), so
 * that a big pooled buffer can hold A, B and C at once without the bindings aliasing, and so
 * that buffers over the 128 MiB binding limit still work.
 */
export function windowOf(gpu: Gpu, op: MatmulOperand, elems: number, field: string): Window {
  const offset = op.offset ?? 0;
  if (!Number.isInteger(offset) || offset < 0) throw new MatmulError(`offset must be a non-negative integer, got ${offset}`, field);
  const start = offset * 4;
  const end = (offset + elems) * 4;
  if (end > op.buffer.size) {
    throw new MatmulError(`needs elements [${offset}, ${offset + elems}) but its buffer holds ${op.buffer.size / 4}`, field);
  }
  const align = gpu.limits.minStorageBufferOffsetAlignment;
  const byteOffset = Math.floor(start / align) * align;
  const byteSize = end - byteOffset;
  if (byteSize > gpu.limits.maxStorageBufferBindingSize) {
    throw new MatmulError(
      `spans ${byteSize} bytes, over this device's storage binding limit of ${gpu.limits.maxStorageBufferBindingSize}; split the batch`,
      field,
    );
  }
  return { buffer: op.buffer, byteOffset, byteSize, elem: (start - byteOffset) / 4 };
}

export function overlaps(x: Window, y: Window): boolean {
  return x.buffer === y.buffer && x.byteOffset < y.byteOffset + y.byteSize && y.byteOffset < x.byteOffset + x.byteSize;
}

const ids = new WeakMap<object, number>();
let nextId = 1;
export function idOf(o: object): number {
  let id = ids.get(o);
  if (id === undefined) ids.set(o, (id = nextId++));
  return id;
}

/** A small insertion-ordered cache that forgets its oldest entries past `cap`. */
class Lru<V> {
  private map = new Map<string, V>();
  constructor(private cap: number) {}
  get(k: string): V | undefined {
    const v = this.map.get(k);
    if (v !== undefined) {
      this.map.delete(k);
      this.map.set(k, v);
    }
    return v;
  }
  set(k: string, v: V): void {
    this.map.set(k, v);
    if (this.map.size > this.cap) this.map.delete(this.map.keys().next().value as string);
  }
}

const uniforms = new WeakMap<GPUDevice, Lru<GPUBuffer>>();
const groups = new WeakMap<GPUDevice, Lru<GPUBindGroup>>();

/** A uniform buffer holding `data`, shared by every call with the same bytes. */
export function uniformFor(gpu: Gpu, data: ArrayBuffer): { buffer: GPUBuffer; key: string } {
  let cache = uniforms.get(gpu.device);
  if (!cache) uniforms.set(gpu.device, (cache = new Lru(4096)));
  const key = Buffer.from(data).toString('base64');
  let buf = cache.get(key);
  if (!buf) {
    buf = gpu.device.createBuffer({ size: data.byteLength, usage: UNIFORM | COPY_DST, label: 'matmul params' });
    gpu.device.queue.writeBuffer(buf, 0, data);
    cache.set(key, buf);
  }
  return { buffer: buf, key };
}

export type Resource = { window: Window } | { uniform: GPUBuffer } | { texture: GPUTextureView; id: number };

export function bindGroupFor(gpu: Gpu, pipeline: GPUComputePipeline, pipelineKey: string, res: (Resource | undefined)[]): GPUBindGroup {
  let cache = groups.get(gpu.device);
  if (!cache) groups.set(gpu.device, (cache = new Lru(4096)));
  const parts: string[] = [pipelineKey];
  for (const r of res) {
    if (!r) parts.push('-');
    else if ('window' in r) parts.push(`${idOf(r.window.buffer)}@${r.window.byteOffset}+${r.window.byteSize}`);
    else if ('uniform' in r) parts.push(`u${idOf(r.uniform)}`);
    else parts.push(`t${r.id}`);
  }
  const key = parts.join('|');
  let g = cache.get(key);
  if (!g) {
    const entries: GPUBindGroupEntry[] = [];
    res.forEach((r, binding) => {
      if (!r) return;
      if ('window' in r) entries.push({ binding, resource: { buffer: r.window.buffer, offset: r.window.byteOffset, size: r.window.byteSize } });
      else if ('uniform' in r) entries.push({ binding, resource: { buffer: r.uniform } });
      else entries.push({ binding, resource: r.texture });
    });
    g = gpu.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries, label: pipelineKey });
    cache.set(key, g);
  }
  return g;
}
