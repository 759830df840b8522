// The parameter registry: every parameter of a model lives in ONE flat f32 buffer, and its
// gradient at the same offset of a second one. Optimizers, clipping, EMA and checkpoints then
// work on flat ranges (one dispatch each, windowed past the binding limit), while ops bind each
// parameter as a view. Offsets are multiples of 64 elements (256 bytes, the strictest common
// storage-offset alignment), so every view can be bound on any adapter. Parameters with weight
// decay come first, those without after, so AdamW runs as two contiguous ranges.
//
// Gradients ACCUMULATE: call zeroGrads(rec) at the start of a step; every backward adds.
import type { Gpu, Recorder } from '../gpu/index.ts';
import { NnError } from './errors.ts';
import { initValues, type Init } from './init.ts';
import { numel, type Tensor } from './tensor.ts';

const ALIGN = 64;
const STORAGE = 0x80;
const COPY_SRC = 0x04;
const COPY_DST = 0x08;

export interface ParamSpec {
  shape: readonly number[];
  /** Default: zeros. */
  init?: Init;
  /** Subject to AdamW's weight decay (default true for rank >= 2, false for vectors). */
  decay?: boolean;
}

export class Param {
  /** Element offset in the flat buffers; set by finalize(). */
  offset = -1;
  constructor(
    private readonly reg: ParamRegistry,
    readonly name: string,
    readonly shape: readonly number[],
    readonly init: Init,
    readonly decay: boolean,
  ) {}

  get count(): number {
    return numel(this.shape);
  }

  /** The parameter's values: a view of the flat parameter buffer. */
  get value(): Tensor {
    return { buffer: this.reg.params.buffer, offset: this.offset, shape: this.shape, dtype: 'f32' };
  }

  /** Its gradient: the same view of the flat gradient buffer. */
  get grad(): Tensor {
    return { buffer: this.reg.grads.buffer, offset: this.offset, shape: this.shape, dtype: 'f32' };
  }
}

export class ParamRegistry {
  private readonly byName = new Map<string, Param>();
  private readonly order: Param[] = [];
  private flat?: { params: Tensor; grads: Tensor; total: number; decayCount: number };

  constructor(readonly gpu: Gpu, readonly seed = 0) {}

  /** Declares a parameter; its tensors exist after finalize(). */
  add(name: string, spec: ParamSpec): Param {
    if (this.flat) throw new NnError('params', name, 'added after finalize()');
    if (this.byName.has(name)) throw new NnError('params', name, 'is declared twice');
    if (spec.shape.some((d) => !Number.isInteger(d) || d < 1)) throw new NnError('params', name, `bad shape [${spec.shape}]`);
    const p = new Param(this, name, [...spec.shape], spec.init ?? { kind: 'zeros' }, spec.decay ?? spec.shape.length >= 2);
    this.byName.set(name, p);
    this.order.push(p);
    return p;
  }

  get(name: string): Param {
    const p = this.byName.get(name);
    if (!p) throw new NnError('params', name, 'no such parameter');
    return p;
  }

  /** In declaration order. */
  get list(): readonly Param[] {
    return this.order;
  }

  get finalized(): boolean {
    return this.flat !== undefined;
  }

  /** Lays the parameters out, creates the two flat buffers and uploads the initial values. */
  finalize(): void {
    if (this.flat) return;
    let at = 0;
    const place = (p: Param) => {
      p.offset = at;
      at += Math.ceil(p.count / ALIGN) * ALIGN;
    };
    for (const p of this.order) if (p.decay) place(p);
    const decayCount = at;
    for (const p of this.order) if (!p.decay) place(p);
    const total = Math.max(at, ALIGN);
    const mk = (label: string) => this.gpu.device.createBuffer({ size: total * 4, usage: STORAGE | COPY_SRC | COPY_DST, label });
    const params = { buffer: mk('params'), offset: 0, shape: [total], dtype: 'f32' } as const;
    const grads = { buffer: mk('grads'), offset: 0, shape: [total], dtype: 'f32' } as const;
    this.flat = { params, grads, total, decayCount };
    for (const p of this.order) this.write(p.name, initValues(p.init, p.count, this.seed, p.name));
  }

  private need(): NonNullable<ParamRegistry['flat']> {
    if (!this.flat) throw new NnError('params', 'registry', 'finalize() it first');
    return this.flat;
  }

  /** All parameters, flat (padding between them is zero). */
  get params(): Tensor {
    return this.need().params;
  }

  get grads(): Tensor {
    return this.need().grads;
  }

  /** Elements of the flat buffers, padding included. */
  get size(): number {
    return this.need().total;
  }

  /** [start, count] of the parameters with weight decay, then of those without. */
  get ranges(): { decay: [number, number]; noDecay: [number, number] } {
    const f = this.need();
    return { decay: [0, f.decayCount], noDecay: [f.decayCount, f.total - f.decayCount] };
  }

  /** Number of parameters (without padding). */
  get count(): number {
    return this.order.reduce((s, p) => s + p.count, 0);
  }

  /** Zeroes every gradient (one clear of the flat buffer). */
  zeroGrads(rec: Recorder): void {
    const f = this.need();
    rec.clear(f.grads.buffer, 0, f.total * 4);
  }

  /** Replaces a parameter's values (through the queue: before commands recorded but not yet submitted). */
  write(name: string, data: Float32Array): void {
    const p = this.get(name);
    if (data.length !== p.count) throw new NnError('params', name, `${data.length} values for ${p.count} elements`);
    this.gpu.device.queue.writeBuffer(this.need().params.buffer, p.offset * 4, data.buffer, data.byteOffset, data.byteLength);
  }

  /** Schedules a read of every parameter (or gradient) into `into` (by name); filled when rec.submit() resolves. */
  readAll(rec: Recorder, into: Map<string, Float32Array>, which: 'params' | 'grads' = 'params'): void {
    const f = this.need();
    for (const p of this.order) {
      let a = into.get(p.name);
      if (!a) into.set(p.name, (a = new Float32Array(p.count)));
      rec.read({ buffer: (which === 'params' ? f.params : f.grads).buffer, offset: p.offset }, a);
    }
  }
}
