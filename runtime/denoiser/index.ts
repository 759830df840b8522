// The denoiser as the trainer, the sampler and the evaluator see it: something that records the
// logits over the V real tokens for a batch of noisy sequences x_t at per-sequence times t. A
// trained DiT (ModelDenoiser) and the exact oracle of a known data law (runtime/sample) both
// implement it, so samplers and metrics run unchanged on either.
//
// The model's time input. dlmk's DiT is conditioned, as MDLM's, on the kernel's noise level
// sigma = sum_c Lambda_c(t) (the total cumulative rate of every channel at t; docs/math.md §1),
// not on t itself: two kernels with different schedules then present the network with the same
// scale of inputs, and the sinusoidal embedding sees values of order 1-10 instead of [0, 1].
// A kernel whose every channel is `mask` has an x0-posterior that does not depend on t given x_t
// (the number of masks carries the information), so by default its DiT is not time-conditioned
// (MDLM's choice); that is also what makes the sampler's `cache` rule valid.
import type { KernelSpec } from '../../specs/types/kernel.ts';
import type { Recorder } from '../gpu/index.ts';
import type { KernelRuntime } from '../kernel/index.ts';
import type { Tensor } from '../nn/index.ts';
import type { TransformerModel } from '../nn/models/index.ts';

export interface DenoiserInputs {
  readonly B: number;
  readonly L: number;
  /** u32 ids [B*L] of x_t ([MASK] = V when the kernel has a mask channel). */
  readonly xt: Tensor;
  /** The kernel's t of each sequence (length B), in [0, 1]. */
  readonly t: ArrayLike<number>;
  /** Optional f32 [B*L]: 1 for a real position, 0 for padding (keys at padding are not attended to). */
  readonly keyMask?: Tensor;
  /** Turns dropout on (training only): the Philox key of this call's masks. */
  readonly dropoutSeed?: number;
}

export interface Denoiser {
  /** Real tokens: the logits of one position are V numbers. */
  readonly V: number;
  /** False when the logits do not depend on t (then a sampler may reuse them while x_t is unchanged). */
  readonly timeConditioned: boolean;
  /** Records (or computes and uploads) the logits [B, L, V] f32 of x0 given x_t; a temp of `rec`'s recording. */
  logits(rec: Recorder, inp: DenoiserInputs): Tensor | Promise<Tensor>;
}

/** The model's time input at the kernel's time t: sigma = sum_c Lambda_c(t). */
export function modelTime(rt: KernelRuntime, t: number): number {
  let s = 0;
  for (const x of rt.co.lambdas(t)) s += x;
  return s;
}

/** modelTime for each sequence. */
export function modelTimes(rt: KernelRuntime, t: ArrayLike<number>): Float64Array {
  const out = new Float64Array(t.length);
  for (let i = 0; i < t.length; i++) out[i] = modelTime(rt, t[i]!);
  return out;
}

/** True when every channel of the kernel is `mask`: its DiT needs no time input by default (MDLM). */
export function maskOnly(spec: KernelSpec): boolean {
  return spec.channels.length > 0 && spec.channels.every((c) => c.operator.op === 'mask');
}

/** A trained (or training) DiT as a denoiser for the kernel runtime `rt`. */
export class ModelDenoiser implements Denoiser {
  readonly V: number;
  readonly timeConditioned: boolean;

  constructor(readonly model: TransformerModel, readonly rt: KernelRuntime) {
    if (model.cfg.arch !== 'dit') throw new Error(`a denoiser needs a DiT, got an '${model.cfg.arch}' model`);
    this.V = model.cfg.vocabSize;
    this.timeConditioned = model.cfg.timeConditioning;
  }

  logits(rec: Recorder, inp: DenoiserInputs): Tensor {
    const fwd = this.model.forward(rec, {
      B: inp.B,
      L: inp.L,
      ids: inp.xt,
      time: modelTimes(this.rt, inp.t),
      ...(inp.dropoutSeed !== undefined ? { dropoutSeed: inp.dropoutSeed } : {}),
      ...(inp.keyMask ? { keyMask: inp.keyMask } : {}),
    });
    return fwd.logits;
  }
}
