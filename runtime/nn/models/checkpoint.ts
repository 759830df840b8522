// Saving and restoring a model (and its optimiser and EMA) through runtime/io's checkpoints: GPU
// buffers are read back in one submit, written as safetensors in PyTorch's layout with MDLM's
// names (layout.ts, params.ts), and restored after io has checked every file's hash, header,
// names and shapes against this model. With the optimiser state (moments, step) and the EMA
// restored, training resumes bit-identically.
import { Recorder } from '../../gpu/index.ts';
import { loadCheckpoint, optimizerTensorNames, saveCheckpoint, type ExpectedTensor, type NamedTensor } from '../../io/index.ts';
import type { CheckpointKernel, CheckpointManifest, CheckpointTokenizer, CheckpointTrainer } from '../../../specs/types/checkpoint.ts';
import type { AdamWOptimizer, EmaWeights, Tensor } from '../index.ts';
import { fromCheckpointTensors, toCheckpointTensors } from './layout.ts';
import type { TransformerModel } from './transformer.ts';

export interface TrainingMeta {
  /** Optimiser steps taken. */
  step: number;
  /** The run's seed. */
  seed: number;
  kernel?: CheckpointKernel | null;
  tokenizer?: CheckpointTokenizer | null;
  /** The trainer's state (runtime/train), for an exact resume. */
  trainer?: CheckpointTrainer;
}

/** The tensors (names and PyTorch shapes) a checkpoint of this model must hold. */
export function expectedTensors(model: TransformerModel): ExpectedTensor[] {
  return model.tensors.map((t) => ({ name: t.name, shape: t.shape }));
}

function writeFlat(model: TransformerModel, t: Tensor, flat: Float32Array): void {
  model.gpu.device.queue.writeBuffer(t.buffer, t.offset * 4, flat.buffer, flat.byteOffset, flat.byteLength);
}

/** Writes `dir` (manifest last; docs/checkpoint.md). Give `opt` (and `ema`) to make it resumable. */
export async function saveModelCheckpoint(
  dir: string, model: TransformerModel, state: { opt?: AdamWOptimizer; ema?: EmaWeights }, meta: TrainingMeta,
): Promise<CheckpointManifest> {
  const reg = model.registry;
  const { opt, ema } = state;
  const rec = new Recorder(model.gpu);
  const read = (t: Tensor) => {
    const a = new Float32Array(reg.size);
    rec.read(t, a);
    return a;
  };
  const params = read(reg.params);
  const m = opt ? read(opt.m) : undefined;
  const v = opt ? read(opt.v) : undefined;
  const e = ema ? read(ema.values) : undefined;
  await rec.submit();
  let moments: NamedTensor[] = [];
  if (m && v) {
    const mt = toCheckpointTensors(reg, model.tensors, m, (n) => optimizerTensorNames(n).m);
    const vt = toCheckpointTensors(reg, model.tensors, v, (n) => optimizerTensorNames(n).v);
    moments = mt.flatMap((t, i) => [t, vt[i]!]);
  }
  return saveCheckpoint(dir, {
    step: meta.step,
    seed: meta.seed,
    model: model.cfg,
    kernel: meta.kernel ?? null,
    tokenizer: meta.tokenizer ?? null,
    ...(meta.trainer ? { trainer: meta.trainer } : {}),
    weights: toCheckpointTensors(reg, model.tensors, params),
    ...(opt ? { optimizer: { kind: 'adamw' as const, step: opt.step, hyper: adamwHyper(opt, ema), tensors: moments } } : {}),
    ...(e ? { ema: toCheckpointTensors(reg, model.tensors, e) } : {}),
  });
}

function adamwHyper(opt: AdamWOptimizer, ema: EmaWeights | undefined): Record<string, number> {
  const o = opt.opts;
  return {
    lr: o.lr, beta1: o.beta1 ?? 0.9, beta2: o.beta2 ?? 0.999, eps: o.eps ?? 1e-8, weightDecay: o.weightDecay ?? 0,
    maxGradNorm: o.maxGradNorm ?? 0, ...(ema ? { emaDecay: ema.decay } : {}),
  };
}

/**
 * Loads `dir` into `model` (and `opt` / `ema`, which then need the checkpoint's optimiser state /
 * EMA file). The writes go through the queue: submit any recording that still holds an
 * `EmaWeights` constructor's initial copy BEFORE loading, or that copy lands after them. Refuses, with a CheckpointError naming the file and tensor, a checkpoint of another
 * architecture or one whose files are truncated, corrupt or of the wrong shapes.
 */
export async function loadModelCheckpoint(dir: string, model: TransformerModel, state: { opt?: AdamWOptimizer; ema?: EmaWeights } = {}): Promise<CheckpointManifest> {
  const { opt, ema } = state;
  const c = await loadCheckpoint(dir, { model: model.cfg, params: expectedTensors(model), optimizer: !!opt });
  const reg = model.registry;
  writeFlat(model, reg.params, fromCheckpointTensors(reg, model.tensors, (n) => c.weights.get(n)));
  if (opt && c.optimizer && c.manifest.optimizer) {
    writeFlat(model, opt.m, fromCheckpointTensors(reg, model.tensors, (n) => c.optimizer!.get(n), (n) => optimizerTensorNames(n).m));
    writeFlat(model, opt.v, fromCheckpointTensors(reg, model.tensors, (n) => c.optimizer!.get(n), (n) => optimizerTensorNames(n).v));
    opt.step = c.manifest.optimizer.step;
  }
  if (ema) {
    // Without a saved EMA, the EMA restarts from the loaded weights.
    const src = c.ema ?? c.weights;
    writeFlat(model, ema.values, fromCheckpointTensors(reg, model.tensors, (n) => src.get(n)));
  }
  return c.manifest;
}
