// One training step of a denoiser as ONE command buffer: zero the gradients, forward, loss (and its
// gradient with respect to the logits), backward, gradient clipping and AdamW (runtime/nn's
// AdamWOptimizer), EMA; one submit, one readback of [loss, grad norm, clip coef, ok]. The loss is
// a plug-in: the diffusion trainer passes the kernel's ELBO; `crossEntropyLoss` serves the AR
// baseline, the tests and the benchmark.
import type { Recorder } from '../../gpu/index.ts';
import { crossEntropy, numel, sumAll, tempTensor, type AdamWOptimizer, type EmaWeights, type Tensor } from '../index.ts';
import type { ForwardPass, ModelInputs, TransformerModel } from './transformer.ts';

export interface LossRecord {
  /** The gradient of the loss with respect to the logits ([B, L, V]; may be the logits, overwritten). */
  readonly dlogits: Tensor;
  /** The loss, one f32. */
  readonly loss: Tensor;
}

/** Records a loss of the forward pass's logits and its gradient. */
export type LossFn = (rec: Recorder, fwd: ForwardPass) => LossRecord;

/**
 * Mean softmax cross-entropy against u32 `targets` (one per position; `ignoreIndex`, default
 * 0xffffffff, and ids >= V contribute nothing), divided by `denominator` (default B * L). The
 * gradient overwrites the logits in place.
 */
export function crossEntropyLoss(targets: Tensor, opts: { denominator?: number; weights?: Tensor; ignoreIndex?: number } = {}): LossFn {
  return (rec, fwd) => {
    const N = numel(targets.shape);
    const denom = opts.denominator ?? N;
    const rows = tempTensor(rec, [N], 'f32', 'loss rows');
    const loss = tempTensor(rec, [1], 'f32', 'loss');
    crossEntropy(rec, {
      logits: fwd.logits, targets, loss: rows, dlogits: fwd.logits, scale: 1 / denom,
      ...(opts.weights ? { weights: opts.weights } : {}), ignoreIndex: opts.ignoreIndex ?? 0xffffffff,
    });
    sumAll(rec, rows, loss, { scale: 1 / denom });
    return { dlogits: fwd.logits, loss };
  };
}

export interface StepState {
  readonly opt: AdamWOptimizer;
  readonly ema?: EmaWeights;
  /** Learning rate of this step (a schedule's value); default the optimiser's. */
  readonly lr?: number;
}

/** Records a whole step; returns the loss tensor (a temp of this recording). */
export function recordTrainStep(rec: Recorder, model: TransformerModel, state: StepState, inputs: ModelInputs, lossFn: LossFn): Tensor {
  model.registry.zeroGrads(rec);
  const fwd = model.forward(rec, inputs);
  const { dlogits, loss } = lossFn(rec, fwd);
  model.backward(rec, fwd, dlogits);
  state.opt.encodeStep(rec, state.lr === undefined ? {} : { lr: state.lr });
  state.ema?.encodeUpdate(rec);
  return loss;
}

export interface StepResult {
  loss: number;
  /** Global gradient norm before clipping (Infinity when a gradient was not finite). */
  gradNorm: number;
  /** False when a gradient was inf/NaN: the parameters and moments were left untouched. */
  finite: boolean;
}

/** Records, submits and reads back one step. */
export async function trainStep(rec: Recorder, model: TransformerModel, state: StepState, inputs: ModelInputs, lossFn: LossFn): Promise<StepResult> {
  const loss = recordTrainStep(rec, model, state, inputs, lossFn);
  const out = new Float32Array(4);
  rec.read(loss, out.subarray(0, 1));
  rec.read(state.opt.stats, out.subarray(1, 4));
  await rec.submit();
  return { loss: out[0]!, gradNorm: out[1]!, finite: out[3] !== 0 };
}
