/* Generated from specs/experiment.schema.json by scripts/gen-types.ts. Do not edit: change the schema and rerun. */

/**
 * A kernel comparison (docs/compare.md): kernels trained with the same data, model and budget (the `base` run spec), evaluated with one protocol, sampled at several step counts and scored by an autoregressive reference trained on the same data.
 */
export interface ExperimentSpec {
  format: 'dlmk.experiment/1';
  /**
   * The experiment's name (default output folder experiments/NAME).
   */
  name?: string;
  /**
   * A run spec (specs/run.schema.json) without `format` and `kernel`: what every kernel's run shares. Each run is base + the kernel + the seed; it is validated as a run spec.
   */
  base: {};
  /**
   * @minItems 1
   * @maxItems 32
   */
  kernels: [
    {
      /**
       * The label in tables and plots (default: the kernel's name).
       */
      name?: string;
      /**
       * A .kernel file or a shipped kernel's name.
       */
      path: string;
      /**
       * Parameter overrides.
       */
      params?: {
        [k: string]: number | boolean | undefined;
      };
    },
    ...{
      /**
       * The label in tables and plots (default: the kernel's name).
       */
      name?: string;
      /**
       * A .kernel file or a shipped kernel's name.
       */
      path: string;
      /**
       * Parameter overrides.
       */
      params?: {
        [k: string]: number | boolean | undefined;
      };
    }[]
  ];
  /**
   * Each kernel is trained once per seed; tables show the mean and, with several seeds, the spread.
   *
   * @minItems 1
   * @maxItems 16
   */
  seeds?:
    | [number]
    | [number, number]
    | [number, number, number]
    | [number, number, number, number]
    | [number, number, number, number, number]
    | [number, number, number, number, number, number]
    | [number, number, number, number, number, number, number]
    | [number, number, number, number, number, number, number, number]
    | [number, number, number, number, number, number, number, number, number]
    | [number, number, number, number, number, number, number, number, number, number]
    | [number, number, number, number, number, number, number, number, number, number, number]
    | [number, number, number, number, number, number, number, number, number, number, number, number]
    | [number, number, number, number, number, number, number, number, number, number, number, number, number]
    | [number, number, number, number, number, number, number, number, number, number, number, number, number, number]
    | [
        number,
        number,
        number,
        number,
        number,
        number,
        number,
        number,
        number,
        number,
        number,
        number,
        number,
        number,
        number
      ]
    | [
        number,
        number,
        number,
        number,
        number,
        number,
        number,
        number,
        number,
        number,
        number,
        number,
        number,
        number,
        number,
        number
      ];
  /**
   * The reference that scores samples (generative perplexity): dlmk's AR twin trained on the same data (default), or a causal LM exported to ONNX (`onnx`, with its `tokenizer`; needs onnxruntime-node).
   */
  reference?: {
    /**
     * Model fields for the AR run (default: the base model's size).
     */
    model?: {};
    /**
     * Its budget (default: the base budget).
     */
    budget?: {};
    /**
     * Its optimiser (default: the base optimiser).
     */
    optimizer?: {};
    /**
     * A causal LM exported to ONNX (input_ids -> logits), relative to the experiment file; no AR run is trained then.
     */
    onnx?: string;
    /**
     * The ONNX model's tokenizer plugin (e.g. {"name": "gpt2"}); samples are re-encoded with it (default: the runs' tokenizer).
     */
    tokenizer?: {
      name: string;
    };
  };
  sampling?: {
    /**
     * Sampling step counts evaluated (gen-PPL against entropy across them).
     *
     * @minItems 1
     * @maxItems 16
     */
    steps?:
      | [number]
      | [number, number]
      | [number, number, number]
      | [number, number, number, number]
      | [number, number, number, number, number]
      | [number, number, number, number, number, number]
      | [number, number, number, number, number, number, number]
      | [number, number, number, number, number, number, number, number]
      | [number, number, number, number, number, number, number, number, number]
      | [number, number, number, number, number, number, number, number, number, number]
      | [number, number, number, number, number, number, number, number, number, number, number]
      | [number, number, number, number, number, number, number, number, number, number, number, number]
      | [number, number, number, number, number, number, number, number, number, number, number, number, number]
      | [number, number, number, number, number, number, number, number, number, number, number, number, number, number]
      | [
          number,
          number,
          number,
          number,
          number,
          number,
          number,
          number,
          number,
          number,
          number,
          number,
          number,
          number,
          number
        ]
      | [
          number,
          number,
          number,
          number,
          number,
          number,
          number,
          number,
          number,
          number,
          number,
          number,
          number,
          number,
          number,
          number
        ];
    /**
     * Samples per kernel, seed and step count.
     */
    samples?: number;
    /**
     * Tokens per sample (default: the base data.length).
     */
    length?: number;
    seed?: number;
    /**
     * Override every kernel's predictor (default: each kernel's own sampler block).
     */
    predictor?: 'ancestral' | 'tau_leap' | 'remask' | 'confidence' | 'self_correct';
    /**
     * Samples per kernel shown side by side in the report.
     */
    show?: number;
  };
  /**
   * Options of the evaluation protocol (runtime/eval evaluate(): likelihood, the three factors); docs/eval.md.
   */
  evaluation?: {
    [k: string]: unknown | undefined;
  };
  /**
   * The exact error decomposition on the synthetic Markov source (docs/eval.md): each kernel trained on it with this model and budget, then approximation, sampling and forward-kernel errors.
   */
  synthetic?: {
    enabled?: boolean;
    [k: string]: unknown | undefined;
  };
}
