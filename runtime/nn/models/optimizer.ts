// AdamW state over a ParamRegistry's flat buffers: the two moments (same layout as the
// parameters), the step counter, the clip statistics, and optionally an EMA of the weights. One
// `record` call encodes global-norm clipping, AdamW and the EMA update over the whole flat buffer
// (the padding between tensors stays zero); the ops are runtime/nn/ops/optim.ts.
//
// Weight decay applies to every parameter, as PyTorch's AdamW does with one parameter group
// (MDLM and DUO train with weight decay 0).
import type { Gpu, Recorder } from '../../gpu/index.ts';
import type { NamedTensor } from '../../io/index.ts';
import { optimizerTensorNames } from '../../io/index.ts';
import { NnError } from '../errors.ts';
import { adamw, clipGradNorm, emaUpdate } from '../ops/optim.ts';
import type { Tensor } from '../tensor.ts';
import type { ParamRegistry } from './registry.ts';

export interface AdamWOptions {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
  /** Global gradient-norm clip (MDLM: 1.0); 0 or undefined: no clipping. */
  clip?: number;
  /** Keep an EMA of the weights with this decay (MDLM: 0.9999). */
  emaDecay?: number;
}

const STORAGE = 0x80;
const COPY_SRC = 0x04;
const COPY_DST = 0x08;

export class AdamWState {
  readonly m: GPUBuffer;
  readonly v: GPUBuffer;
  /** EMA weights, when an EMA decay was given. */
  readonly ema: GPUBuffer | undefined;
  /** [norm, coef, ok] of the last step's gradients. */
  readonly stats: GPUBuffer;
  /** Steps taken (AdamW's t of the last step). */
  step = 0;
  // The EMA starts at the weights of the first step it sees.
  private emaFresh = true;

  constructor(readonly registry: ParamRegistry, readonly options: AdamWOptions) {
    const gpu: Gpu = registry.gpu;
    const bytes = registry.size * 4;
    const usage = STORAGE | COPY_SRC | COPY_DST;
    this.m = gpu.device.createBuffer({ size: bytes, usage, label: 'adamw m' });
    this.v = gpu.device.createBuffer({ size: bytes, usage, label: 'adamw v' });
    this.stats = gpu.device.createBuffer({ size: 16, usage, label: 'clip stats' });
    if (options.emaDecay !== undefined) {
      if (!(options.emaDecay >= 0 && options.emaDecay < 1)) throw new NnError('AdamWState', 'emaDecay', `must be in [0, 1), got ${options.emaDecay}`);
      this.ema = gpu.device.createBuffer({ size: bytes, usage, label: 'ema weights' });
    } else this.ema = undefined;
  }

  private flat(buffer: GPUBuffer): Tensor {
    return { buffer, offset: 0, shape: [this.registry.size], dtype: 'f32' };
  }

  get statsTensor(): Tensor {
    return { buffer: this.stats, offset: 0, shape: [3], dtype: 'f32' };
  }

  /** Encodes one optimiser step over the gradients in the registry; `lr` overrides the options' (schedules). */
  record(rec: Recorder, lr = this.options.lr): void {
    const o = this.options;
    const reg = this.registry;
    if (this.ema && this.emaFresh) {
      rec.copy({ buffer: reg.params }, { buffer: this.ema }, reg.size);
      this.emaFresh = false;
    }
    this.step++;
    clipGradNorm(rec, { grads: reg.flatGrads(), stats: this.statsTensor, maxNorm: o.clip ?? 0 });
    adamw(rec, {
      params: reg.flatParams(), grads: reg.flatGrads(), m: this.flat(this.m), v: this.flat(this.v), stats: this.statsTensor,
      lr, beta1: o.beta1, beta2: o.beta2, eps: o.eps, weightDecay: o.weightDecay, step: this.step,
    });
    if (this.ema) emaUpdate(rec, { ema: this.flat(this.ema), params: reg.flatParams(), decay: o.emaDecay! });
  }

  /** The hyperparameters, for a checkpoint manifest. */
  hyper(): Record<string, number> {
    const o = this.options;
    return {
      lr: o.lr, beta1: o.beta1 ?? 0.9, beta2: o.beta2 ?? 0.999, eps: o.eps ?? 1e-8, weightDecay: o.weightDecay ?? 0,
      clip: o.clip ?? 0, ...(o.emaDecay !== undefined ? { emaDecay: o.emaDecay } : {}),
    };
  }

  /** Schedules reads of the moments (and EMA) into host images of the flat layout. */
  read(rec: Recorder, into: { m: Float32Array; v: Float32Array; ema?: Float32Array }): void {
    rec.read({ buffer: this.m }, into.m);
    rec.read({ buffer: this.v }, into.v);
    if (into.ema && this.ema) rec.read({ buffer: this.ema }, into.ema);
  }

  /** The moments as named tensors (io's optimizerTensorNames: exp_avg.NAME, exp_avg_sq.NAME). */
  toNamed(m: Float32Array, v: Float32Array): NamedTensor[] {
    const reg = this.registry;
    const a = reg.toNamed(m, (n) => optimizerTensorNames(n).m);
    const b = reg.toNamed(v, (n) => optimizerTensorNames(n).v);
    return a.flatMap((t, i) => [t, b[i]!]);
  }

  /** Restores moments, step (and EMA) from host data. */
  restore(get: (name: string) => NamedTensor | undefined, step: number, ema?: Float32Array): void {
    const reg = this.registry;
    const q = reg.gpu.device.queue;
    const m = reg.fromNamed(get, (n) => optimizerTensorNames(n).m);
    const v = reg.fromNamed(get, (n) => optimizerTensorNames(n).v);
    q.writeBuffer(this.m, 0, m.buffer, m.byteOffset, m.byteLength);
    q.writeBuffer(this.v, 0, v.buffer, v.byteOffset, v.byteLength);
    if (ema && this.ema) q.writeBuffer(this.ema, 0, ema.buffer, ema.byteOffset, ema.byteLength);
    this.emaFresh = !ema;
    this.step = step;
  }

  destroy(): void {
    this.m.destroy();
    this.v.destroy();
    this.stats.destroy();
    this.ema?.destroy();
  }
}
