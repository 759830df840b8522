// Parameters and gradients live in two flat GPU buffers with one layout: each tensor starts at a
// multiple of 64 elements (256 bytes, the largest storage-offset alignment WebGPU allows), so any
// tensor can be bound on its own on any adapter, and the optimiser can step over the whole flat
// buffer (padding stays zero: zero gradient, zero moments, zero update). The model, the
// optimiser, gradient clipping and checkpoints all address tensors through this registry.
import type { Gpu, Recorder } from '../../gpu/index.ts';
import type { NamedTensor } from '../../io/index.ts';
import { NnError } from '../errors.ts';
import { numel, type Tensor } from '../tensor.ts';
import { initTensor } from './init.ts';
import type { ParamSpec } from './params.ts';

export const PARAM_ALIGN = 64;

const STORAGE = 0x80;
const COPY_SRC = 0x04;
const COPY_DST = 0x08;

export interface ParamEntry extends ParamSpec {
  readonly index: number;
  /** Element offset in the flat buffers. */
  readonly offset: number;
  readonly numel: number;
}

export class ParamRegistry {
  readonly entries: readonly ParamEntry[];
  /** Elements of each flat buffer, padding included. */
  readonly size: number;
  /** Elements that belong to tensors. */
  readonly count: number;
  readonly params: GPUBuffer;
  readonly grads: GPUBuffer;
  private readonly byName = new Map<string, ParamEntry>();

  constructor(readonly gpu: Gpu, specs: readonly ParamSpec[], label = 'model') {
    let offset = 0;
    let count = 0;
    this.entries = specs.map((s, index) => {
      const n = numel(s.shape);
      const e: ParamEntry = { ...s, shape: [...s.shape], index, offset, numel: n };
      if (this.byName.has(s.name)) throw new NnError('ParamRegistry', s.name, 'is declared twice');
      this.byName.set(s.name, e);
      offset += Math.ceil(n / PARAM_ALIGN) * PARAM_ALIGN;
      count += n;
      return e;
    });
    this.size = Math.max(PARAM_ALIGN, offset);
    this.count = count;
    const bytes = this.size * 4;
    if (bytes > gpu.limits.maxBufferSize) {
      throw new NnError('ParamRegistry', label, `${bytes} bytes of parameters exceed this device's maxBufferSize (${gpu.limits.maxBufferSize})`);
    }
    const usage = STORAGE | COPY_SRC | COPY_DST;
    // Fresh buffers are zero-filled by WebGPU, so the padding starts (and stays) zero.
    this.params = gpu.device.createBuffer({ size: bytes, usage, label: `${label} params` });
    this.grads = gpu.device.createBuffer({ size: bytes, usage, label: `${label} grads` });
  }

  entry(name: string): ParamEntry {
    const e = this.byName.get(name);
    if (!e) throw new NnError('ParamRegistry', name, 'is not a parameter of this model');
    return e;
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  param(name: string): Tensor {
    const e = this.entry(name);
    return { buffer: this.params, offset: e.offset, shape: e.shape, dtype: 'f32' };
  }

  grad(name: string): Tensor {
    const e = this.entry(name);
    return { buffer: this.grads, offset: e.offset, shape: e.shape, dtype: 'f32' };
  }

  /** All parameters as one flat tensor (padding included). */
  flatParams(): Tensor {
    return { buffer: this.params, offset: 0, shape: [this.size], dtype: 'f32' };
  }

  flatGrads(): Tensor {
    return { buffer: this.grads, offset: 0, shape: [this.size], dtype: 'f32' };
  }

  /** The flat host image of a fresh initialisation from `seed` (init.ts). */
  initialValues(seed: number): Float32Array {
    const flat = new Float32Array(this.size);
    for (const e of this.entries) initTensor(flat.subarray(e.offset, e.offset + e.numel), e.init, seed, e.name);
    return flat;
  }

  /** Writes a flat host image into the parameters (queue order: before the next submit's commands). */
  upload(flat: Float32Array, which: 'params' | 'grads' = 'params'): void {
    if (flat.length !== this.size) throw new NnError('ParamRegistry', 'upload', `expected ${this.size} elements, got ${flat.length}`);
    this.gpu.device.queue.writeBuffer(which === 'params' ? this.params : this.grads, 0, flat.buffer, flat.byteOffset, flat.byteLength);
  }

  /** Schedules a read of the flat parameters (or gradients) into `into`, filled when rec.submit() resolves. */
  read(rec: Recorder, into: Float32Array, which: 'params' | 'grads' = 'params'): void {
    if (into.length !== this.size) throw new NnError('ParamRegistry', 'read', `expected ${this.size} elements, got ${into.length}`);
    rec.read({ buffer: which === 'params' ? this.params : this.grads, offset: 0 }, into);
  }

  /** Named views (copies) of a flat image, in registry order; `prefix` names optimiser state etc. */
  toNamed(flat: Float32Array, rename: (name: string) => string = (n) => n): NamedTensor[] {
    return this.entries.map((e) => ({ name: rename(e.name), shape: e.shape, data: flat.slice(e.offset, e.offset + e.numel) }));
  }

  /** A flat image from named tensors (every parameter must be there with its shape). */
  fromNamed(get: (name: string) => NamedTensor | undefined, rename: (name: string) => string = (n) => n): Float32Array {
    const flat = new Float32Array(this.size);
    for (const e of this.entries) {
      const t = get(rename(e.name));
      if (!t) throw new NnError('ParamRegistry', rename(e.name), 'is missing');
      if (t.data.length !== e.numel || t.shape.join() !== e.shape.join()) {
        throw new NnError('ParamRegistry', rename(e.name), `has shape [${t.shape}], the model expects [${e.shape}]`);
      }
      flat.set(t.data, e.offset);
    }
    return flat;
  }

  destroy(): void {
    this.params.destroy();
    this.grads.destroy();
  }
}
