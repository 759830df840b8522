/* Generated from specs/checkpoint.schema.json by scripts/gen-types.ts. Do not edit: change the schema and rerun. */

/**
 * The denoiser's architecture: a DiT (diffusion) or its causal twin (autoregressive baseline).
 *
 * This interface was referenced by `CheckpointManifest`'s JSON-Schema
 * via the `definition` "ModelConfig".
 */
export type ModelConfig = DitConfig | ArConfig;
/**
 * This interface was referenced by `CheckpointManifest`'s JSON-Schema
 * via the `definition` "Sha256".
 */
export type Sha256 = string;

/**
 * manifest.json of a dlmk checkpoint directory (docs/checkpoint.md): what model the tensor files hold, how it was trained, and the SHA-256 of every file, so that a truncated or swapped file is refused before it is used.
 */
export interface CheckpointManifest {
  format: 'dlmk.checkpoint/1';
  /**
   * The version of dlmk (package.json) that wrote the checkpoint.
   */
  dlmkVersion: string;
  /**
   * Optimiser steps taken when the checkpoint was written.
   */
  step: number;
  /**
   * The run's seed (initialisation, data order, dropout and corruption draws derive from it and the step).
   */
  seed: number;
  model: ModelConfig;
  /**
   * The transition kernel the denoiser was trained with (null for the autoregressive baseline).
   */
  kernel: null | CheckpointKernel;
  /**
   * The tokenizer the token ids belong to (null when the run fed ids directly).
   */
  tokenizer: null | CheckpointTokenizer;
  /**
   * The optimiser whose state files.optimizer holds (null when no state was saved: weights only).
   */
  optimizer: null | CheckpointOptimizer;
  files: {
    weights: CheckpointFile;
    optimizer?: CheckpointFile;
    ema?: CheckpointFile;
  };
  trainer?: CheckpointTrainer;
}
/**
 * The DiT denoiser of MDLM/DUO: bidirectional rotary attention, adaLN-zero conditioning on the time.
 *
 * This interface was referenced by `CheckpointManifest`'s JSON-Schema
 * via the `definition` "DitConfig".
 */
export interface DitConfig {
  arch: 'dit';
  /**
   * V, the real tokens; the model outputs V logits.
   */
  vocabSize: number;
  /**
   * The input embedding has a row V for [MASK] (V + 1 rows).
   */
  maskToken: boolean;
  /**
   * Model width d; a multiple of heads, with an even head size.
   */
  hidden: number;
  layers: number;
  heads: number;
  /**
   * MLP width / d (4 in MDLM).
   */
  mlpRatio: number;
  /**
   * Width of the time conditioning vector c (128 in MDLM).
   */
  condDim: number;
  /**
   * Width of the sinusoidal time embedding fed to the time MLP (256 in MDLM).
   */
  freqDim: number;
  /**
   * When false the time input is replaced by 0, as MDLM does; the layout is unchanged.
   */
  timeConditioning: boolean;
  ropeBase: number;
  lnEps: number;
  dropout: number;
}
/**
 * The autoregressive baseline: the same blocks with a causal mask, plain pre-LayerNorm residuals and no time input.
 *
 * This interface was referenced by `CheckpointManifest`'s JSON-Schema
 * via the `definition` "ArConfig".
 */
export interface ArConfig {
  arch: 'ar';
  vocabSize: number;
  hidden: number;
  layers: number;
  heads: number;
  mlpRatio: number;
  ropeBase: number;
  lnEps: number;
  dropout: number;
}
/**
 * This interface was referenced by `CheckpointManifest`'s JSON-Schema
 * via the `definition` "KernelRef".
 */
export interface CheckpointKernel {
  name: string;
  /**
   * SHA-256 of the compiled kernel spec (specs/kernel.schema.json) as JSON.
   */
  specSha256: string;
}
/**
 * This interface was referenced by `CheckpointManifest`'s JSON-Schema
 * via the `definition` "TokenizerRef".
 */
export interface CheckpointTokenizer {
  /**
   * The tokenizer plugin's id and variant, e.g. 'bytes' or 'bpe:gpt2'.
   */
  id: string;
  /**
   * SHA-256 of the tokenizer's vocabulary file, when it has one.
   */
  sha256?: string;
}
/**
 * This interface was referenced by `CheckpointManifest`'s JSON-Schema
 * via the `definition` "OptimizerState".
 */
export interface CheckpointOptimizer {
  kind: 'adamw';
  /**
   * AdamW's step counter t (bias corrections use beta^t).
   */
  step: number;
  /**
   * The hyperparameters in force (lr, beta1, beta2, eps, weightDecay, ...), for the record.
   */
  hyper: {
    [k: string]: number | undefined;
  };
}
/**
 * A safetensors file next to the manifest.
 *
 * This interface was referenced by `CheckpointManifest`'s JSON-Schema
 * via the `definition` "FileEntry".
 */
export interface CheckpointFile {
  /**
   * File name relative to the checkpoint directory (no directories).
   */
  path: string;
  bytes: number;
  sha256: Sha256;
}
/**
 * Where the trainer stood when the checkpoint was written (runtime/train): with it, a resumed run continues exactly as an uninterrupted one.
 *
 * This interface was referenced by `CheckpointManifest`'s JSON-Schema
 * via the `definition` "TrainerState".
 */
export interface CheckpointTrainer {
  /**
   * The training batcher's state (epoch and position; runtime/data).
   */
  data: {};
  /**
   * Training tokens consumed.
   */
  tokens: number;
  /**
   * Training time so far (wall clock, validation excluded).
   */
  seconds: number;
  /**
   * SHA-256 of the resolved run spec without its budget, validation, checkpoint and log sections (what must not change on resume).
   */
  runSha256: string;
  /**
   * The content hash of each kernel graph the model was trained with.
   */
  graphs?: {
    [k: string]: string | undefined;
  };
}
