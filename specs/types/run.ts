/* Generated from specs/run.schema.json by scripts/gen-types.ts. Do not edit: change the schema and rerun. */

/**
 * A training run (docs/training.md): data, model, kernel, optimiser, budget. Plugin objects (corpus, tokenizer, embeddings) name a registered plugin in `name`; their other fields are that plugin's options. specs/run.schema.json is this file with the built-in plugins' schemas composed in (scripts/gen-types.ts); at run time the schema is composed from the plugins registered then.
 */
export interface RunSpec {
  format: 'dlmk.run/1';
  /**
   * The run's name: the default output folder is runs/NAME.
   */
  name?: string;
  /**
   * Initialisation, data order, time draws, corruption and dropout all derive from the seed and the step.
   */
  seed?: number;
  data: Data;
  model: Model;
  kernel?: Kernel;
  embeddings?: EmbeddingsPlugin;
  optimizer?: Optimizer;
  /**
   * Sequences per optimiser step (per micro-batch when optimizer.accumulate > 1).
   */
  batchSize?: number;
  /**
   * How long to train: optimiser steps, or training tokens (rounded up to whole steps).
   */
  budget: {
    steps?: number;
    tokens?: number;
  };
  time?: {
    /**
     * How the B times of a batch are drawn on [eps, 1]: antithetic (MDLM's low-discrepancy t_i = (u + i / B) mod 1), stratified (one uniform per stratum i/B), or independent uniforms.
     */
    sampling?: 'antithetic' | 'stratified' | 'uniform';
    /**
     * Training times lie in [eps, 1] (MDLM's sampling_eps).
     */
    eps?: number;
  };
  validation?: {
    /**
     * Steps between validation passes (0: only at the end).
     */
    every?: number;
    /**
     * Held-out rows of L tokens scored each pass (the first rows of the validation split, in order).
     */
    rows?: number;
    /**
     * Times per row: the midpoints of `grid` equal intervals of (0, 1].
     */
    grid?: number;
    /**
     * Seed of the corruption draws (fixed, so passes are comparable).
     */
    seed?: number;
  };
  checkpoint?: {
    /**
     * Steps between checkpoints (0: only at the end and on a signal).
     */
    every?: number;
    /**
     * The newest checkpoints kept; older ones are deleted.
     */
    keep?: number;
  };
  log?: {
    /**
     * Steps between metric lines (metrics.jsonl) and plain progress lines.
     */
    every?: number;
  };
}
/**
 * This interface was referenced by `RunSpec`'s JSON-Schema
 * via the `definition` "Data".
 */
export interface Data {
  corpus: CorpusPlugin;
  tokenizer: TokenizerPlugin;
  /**
   * L: tokens per sequence.
   */
  length?: number;
  /**
   * packed: documents concatenated with the tokenizer's separator and cut into rows of L; sentence: one document per row, padded (padding is masked out of attention and loss).
   */
  mode?: 'packed' | 'sentence';
  /**
   * Where token files, vocabularies and corpus embeddings are cached (default: .dlmk-cache beside the run spec).
   */
  cacheDir?: string;
}
/**
 * This interface was referenced by `RunSpec`'s JSON-Schema
 * via the `definition` "CorpusPlugin".
 */
export interface CorpusPlugin {
  name: string;
}
/**
 * This interface was referenced by `RunSpec`'s JSON-Schema
 * via the `definition` "TokenizerPlugin".
 */
export interface TokenizerPlugin {
  name: string;
}
/**
 * This interface was referenced by `RunSpec`'s JSON-Schema
 * via the `definition` "Model".
 */
export interface Model {
  /**
   * dit: the denoiser of MDLM/DUO; ar: its causal twin trained with next-token cross-entropy (the reference LM for generative perplexity).
   */
  arch?: 'dit' | 'ar';
  /**
   * A preset (docs/checkpoint.md); the fields below override it.
   */
  size?: 'tiny' | 'small' | 'base';
  hidden?: number;
  layers?: number;
  heads?: number;
  mlpRatio?: number;
  condDim?: number;
  freqDim?: number;
  dropout?: number;
  ropeBase?: number;
  lnEps?: number;
  /**
   * Condition the DiT on the kernel's noise level; auto: off for a kernel whose every channel is mask (MDLM), on otherwise.
   */
  timeConditioning?: 'auto' | true | false;
}
/**
 * This interface was referenced by `RunSpec`'s JSON-Schema
 * via the `definition` "Kernel".
 */
export interface Kernel {
  /**
   * A .kernel file, or a compiled spec (.spec.json); relative to the run spec's folder, or a shipped kernel's name (masking, uniform, semdlm, semdlm_plus, hybrid).
   */
  path: string;
  /**
   * Parameter overrides (the kernel's `param` lines), checked against their types and ranges.
   */
  params?: {
    [k: string]: number | boolean | undefined;
  };
}
/**
 * Where token vectors for the kernel's knn(embeddings, ...) graphs come from (default: computed from the training corpus).
 */
export interface EmbeddingsPlugin {
  name: string;
}
/**
 * This interface was referenced by `RunSpec`'s JSON-Schema
 * via the `definition` "Optimizer".
 */
export interface Optimizer {
  /**
   * Peak learning rate.
   */
  lr?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
  /**
   * Linear warm-up from 0 to lr.
   */
  warmupSteps?: number;
  /**
   * After warm-up: constant (MDLM), or cosine / linear decay to minLrRatio * lr at the last step.
   */
  decay?: 'constant' | 'cosine' | 'linear';
  minLrRatio?: number;
  /**
   * Global gradient-norm clipping (0: off).
   */
  clip?: number;
  /**
   * EMA of the weights (0: off). The decay in force at step n is min(emaDecay, (1 + n) / (10 + n)), so short runs get a useful average.
   */
  emaDecay?: number;
  /**
   * Micro-batches per optimiser step (gradient accumulation).
   */
  accumulate?: number;
}
/**
 * This interface was referenced by `RunSpec`'s JSON-Schema
 * via the `definition` "EmbeddingsPlugin".
 */
export interface EmbeddingsPlugin1 {
  name: string;
}
