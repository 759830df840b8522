// AdamW over a ParamRegistry (with optional global-norm clipping read on the GPU) and an EMA
// of the weights. Both keep their state in flat buffers laid out like the parameters.
import type { Recorder } from '../gpu/index.ts';
import { NnError } from './errors.ts';
import { adamw, clipGradNorm, emaUpdate } from './ops/optim.ts';
import type { ParamRegistry } from './params.ts';
import { narrow, type Tensor } from './tensor.ts';

const STORAGE = 0x80;
const COPY_SRC = 0x04;
const COPY_DST = 0x08;

function flatBuffer(reg: ParamRegistry, label: string, elements: number): Tensor {
  const buffer = reg.gpu.device.createBuffer({ size: Math.max(4, elements * 4), usage: STORAGE | COPY_SRC | COPY_DST, label });
  return { buffer, offset: 0, shape: [elements], dtype: 'f32' };
}

export interface AdamWOptions {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Decoupled weight decay, applied to parameters declared with decay. */
  weightDecay?: number;
  /** Clip the global gradient norm to this (0 or absent: no clipping; the norm is still measured). */
  maxGradNorm?: number;
}

export class AdamWOptimizer {
  readonly m: Tensor;
  readonly v: Tensor;
  /** [norm, coef, ok] of the last step's gradients (see ops/optim.ts). */
  readonly stats: Tensor;
  /** Steps taken (encoded) so far. */
  step = 0;

  constructor(readonly reg: ParamRegistry, public opts: AdamWOptions) {
    reg.finalize();
    this.m = flatBuffer(reg, 'adamw m', reg.size);
    this.v = flatBuffer(reg, 'adamw v', reg.size);
    this.stats = flatBuffer(reg, 'clip stats', 3);
    // Fresh GPU buffers are zeroed by WebGPU; m and v start at zero.
  }

  /**
   * Encodes one step: the gradient norm (and clip coefficient), then AdamW on the decayed and
   * non-decayed ranges. `lr` overrides opts.lr for this step (a schedule; no recompile).
   */
  encodeStep(rec: Recorder, over: { lr?: number } = {}): void {
    const lr = over.lr ?? this.opts.lr;
    if (!Number.isFinite(lr)) throw new NnError('adamw', 'lr', `must be finite, got ${lr}`);
    this.step++;
    const { decay, noDecay } = this.reg.ranges;
    clipGradNorm(rec, { grads: this.reg.grads, stats: this.stats, maxNorm: this.opts.maxGradNorm ?? 0 });
    const h = { lr, beta1: this.opts.beta1, beta2: this.opts.beta2, eps: this.opts.eps, step: this.step };
    for (const [[s, n], wd] of [[decay, this.opts.weightDecay ?? 0], [noDecay, 0]] as const) {
      if (n === 0) continue;
      const cut = (t: Tensor) => narrow(t, 0, s, n);
      adamw(rec, { ...h, weightDecay: wd, params: cut(this.reg.params), grads: cut(this.reg.grads), m: cut(this.m), v: cut(this.v), stats: this.stats });
    }
  }
}

export class EmaWeights {
  readonly values: Tensor;

  /** Starts as a copy of the current parameters (encoded into `rec`). */
  constructor(readonly reg: ParamRegistry, public decay: number, rec: Recorder) {
    reg.finalize();
    this.values = flatBuffer(reg, 'ema', reg.size);
    rec.copy(reg.params, this.values, reg.size);
  }

  encodeUpdate(rec: Recorder, decay = this.decay): void {
    emaUpdate(rec, { ema: this.values, params: this.reg.params, decay });
  }
}
