// Saving and restoring a model (and its optimiser) through runtime/io's checkpoints: GPU buffers
// are read back in one submit, written as safetensors with the parameter names of params.ts, and
// restored after io has checked every file's hash, header, names and shapes against this model.
// With the optimiser state (moments, step, EMA) restored, training resumes bit-identically.
import { Recorder } from '../../gpu/index.ts';
import { loadCheckpoint, saveCheckpoint, type ExpectedTensor } from '../../io/index.ts';
import type { CheckpointKernel, CheckpointManifest, CheckpointTokenizer } from '../../../specs/types/checkpoint.ts';
import type { AdamWState } from './optimizer.ts';
import type { TransformerModel } from './transformer.ts';

export interface TrainingMeta {
  /** Optimiser steps taken. */
  step: number;
  /** The run's seed. */
  seed: number;
  kernel?: CheckpointKernel | null;
  tokenizer?: CheckpointTokenizer | null;
}

/** The tensors (names and shapes) a checkpoint of this model must hold. */
export function expectedTensors(model: TransformerModel): ExpectedTensor[] {
  return model.registry.entries.map((e) => ({ name: e.name, shape: e.shape }));
}

/** Writes `dir` (manifest last; docs/checkpoint.md). Give `opt` to make the checkpoint resumable. */
export async function saveModelCheckpoint(dir: string, model: TransformerModel, opt: AdamWState | undefined, meta: TrainingMeta): Promise<CheckpointManifest> {
  const reg = model.registry;
  const rec = new Recorder(model.gpu);
  const params = new Float32Array(reg.size);
  reg.read(rec, params);
  const m = opt ? new Float32Array(reg.size) : undefined;
  const v = opt ? new Float32Array(reg.size) : undefined;
  const ema = opt?.ema ? new Float32Array(reg.size) : undefined;
  if (opt && m && v) opt.read(rec, { m, v, ...(ema ? { ema } : {}) });
  await rec.submit();
  return saveCheckpoint(dir, {
    step: meta.step,
    seed: meta.seed,
    model: model.cfg,
    kernel: meta.kernel ?? null,
    tokenizer: meta.tokenizer ?? null,
    weights: reg.toNamed(params),
    ...(opt && m && v ? { optimizer: { kind: 'adamw' as const, step: opt.step, hyper: opt.hyper(), tensors: opt.toNamed(m, v) } } : {}),
    ...(ema ? { ema: reg.toNamed(ema) } : {}),
  });
}

/**
 * Loads `dir` into `model` (and `opt`, which then needs the checkpoint's optimiser state). Refuses,
 * with a CheckpointError naming the file and tensor, a checkpoint of another architecture or one
 * whose files are truncated, corrupt or of the wrong shapes.
 */
export async function loadModelCheckpoint(dir: string, model: TransformerModel, opt?: AdamWState): Promise<CheckpointManifest> {
  const c = await loadCheckpoint(dir, { model: model.cfg, params: expectedTensors(model), optimizer: opt ? true : false });
  const reg = model.registry;
  reg.upload(reg.fromNamed((n) => c.weights.get(n)));
  if (opt && c.optimizer && c.manifest.optimizer) {
    const ema = opt.ema && c.ema ? reg.fromNamed((n) => c.ema!.get(n)) : undefined;
    opt.restore((n) => c.optimizer!.get(n), c.manifest.optimizer.step, ema);
  }
  return c.manifest;
}
