// evaluate(): one call from a run folder (or a checkpoint in one) to the record `dlmk eval` and
// `dlmk compare` print and plot (docs/eval.md): the test likelihood by both estimators, and the three
// kernel-dependent factors (optimisation variance at every kept checkpoint, posterior difficulty,
// exposure bias and repair). Defaults are small enough for a CPU adapter; every size is an option,
// and any part can be switched off with `false`. The record holds plain numbers, arrays and strings.
import { Recorder } from '../gpu/index.ts';
import { dlmkVersion } from '../io/index.ts';
import { loadRun, type LoadedRun } from '../train/load.ts';
import { EvaluationError } from './factors/errors.ts';
import { measurePosterior, type PosteriorOptions, type PosteriorRecord } from './factors/posterior.ts';
import { measureRepair, type RepairOptions, type RepairRecord } from './factors/repair.ts';
import { varianceOverTraining, type VarianceAtCheckpoint, type VarianceOptions } from './factors/variance.ts';
import { heldOutRows, runLikelihood, type LikelihoodOptions, type LikelihoodRecord } from './likelihood.ts';

export interface EvaluateOptions {
  /** Held-out split (default 'test'; the validation split when the corpus has no test split). */
  split?: 'test' | 'validation';
  /** Load the EMA weights for the likelihood, posterior and repair (default true; the variance always uses the raw weights). */
  ema?: boolean;
  /** Sequences per GPU batch of the likelihood and posterior passes (default 16). */
  B?: number;
  likelihood?: (LikelihoodOptions & { rows?: number }) | false;
  variance?: (VarianceOptions & { which?: 'all' | 'last' }) | false;
  posterior?: (PosteriorOptions & { rows?: number }) | false;
  repair?: (RepairOptions & { rows?: number }) | false;
  log?: (line: string) => void;
}

/** Defaults of evaluate(): sized for a CPU adapter (a tiny model on the embedded corpus in minutes). */
export const EVALUATE_DEFAULTS = {
  likelihood: { rows: 32 },
  variance: { batches: 8, which: 'all' as const },
  posterior: { rows: 16 },
  repair: { rows: 16, steps: 32 },
};

export interface EvalRecord {
  format: 'dlmk.eval/1';
  dlmkVersion: string;
  run: {
    out: string;
    checkpoint: string;
    step: number;
    model: 'dit' | 'ar';
    /** The kernel's name (DiT) or null (AR). */
    kernel: string | null;
    /** Weights of the likelihood, posterior and repair. */
    weights: 'ema' | 'raw';
    V: number;
    L: number;
    batchSize: number;
  };
  split: 'test' | 'validation';
  likelihood: LikelihoodRecord | null;
  factors: {
    /** One entry per kept checkpoint (oldest first), raw weights. */
    variance: VarianceAtCheckpoint[] | null;
    /** DiT only. */
    posterior: PosteriorRecord | null;
    repair: RepairRecord | null;
  };
  /** Wall-clock seconds of each part. */
  seconds: { load: number; likelihood: number; variance: number; posterior: number; repair: number; total: number };
}

/** Evaluates a run (its newest checkpoint) or one checkpoint of it; `run` may be an already loaded run. */
export async function evaluate(run: string | LoadedRun, o: EvaluateOptions = {}): Promise<EvalRecord> {
  const t0 = performance.now();
  const log = o.log ?? (() => {});
  const r = typeof run === 'string' ? await loadRun(run, { ema: o.ema ?? true, log }) : run;
  const seconds = { load: (performance.now() - t0) / 1000, likelihood: 0, variance: 0, posterior: 0, repair: 0, total: 0 };
  const rec = new Recorder(r.gpu);
  const B = o.B ?? 16;
  const split0 = o.split ?? 'test';
  const time = async <T>(k: keyof typeof seconds, f: () => Promise<T>): Promise<T> => {
    const s = performance.now();
    try {
      return await f();
    } finally {
      seconds[k] = (performance.now() - s) / 1000;
    }
  };
  const dit = r.rt !== null && r.denoiser !== null;
  let split: 'test' | 'validation' = split0;

  let likelihood: LikelihoodRecord | null = null;
  if (o.likelihood !== false) {
    const lo = { ...EVALUATE_DEFAULTS.likelihood, ...(o.likelihood ?? {}) };
    if (!(Number.isInteger(lo.rows) && lo.rows >= 2)) throw new EvaluationError(`likelihood: rows must be a whole number >= 2 (the error bar is the spread across rows), not ${lo.rows}`);
    likelihood = await time('likelihood', () => runLikelihood(r, { ...lo, B: lo.B ?? B, split: split0, rec, log }));
    split = likelihood.split;
    const e = likelihood.quadrature ?? likelihood.exact;
    if (e) log(`likelihood (${likelihood.split}, ${likelihood.rows} rows, ${likelihood.tokens} tokens): ${e.nats.toFixed(4)} ± ${e.se.toFixed(4)} nats/token`);
  }

  let posterior: PosteriorRecord | null = null;
  if (dit && o.posterior !== false) {
    const po = { ...EVALUATE_DEFAULTS.posterior, ...(o.posterior ?? {}) };
    posterior = await time('posterior', async () => {
      const h = await heldOutRows(r, split0, po.rows, log);
      split = h.split;
      return measurePosterior({ rec, model: r.model, rt: r.rt! }, h.data, { ...po, B: po.B ?? B });
    });
    log(`posterior difficulty at ${posterior.points.length} times (${seconds.posterior.toFixed(1)} s)`);
  }

  let repair: RepairRecord | null = null;
  if (dit && o.repair !== false) {
    const ro = { ...EVALUATE_DEFAULTS.repair, ...(o.repair ?? {}) };
    repair = await time('repair', async () => {
      const h = await heldOutRows(r, split0, ro.rows, log);
      return measureRepair({ rt: r.rt!, denoiser: r.denoiser!, unigram: r.data.unigram }, h.data, ro);
    });
    log(`repair and drift at t = ${repair.repair.map((p) => p.t).join(', ')} (${seconds.repair.toFixed(1)} s)`);
  }

  // Last: it loads each checkpoint's raw weights (and puts the evaluated weights back).
  let variance: VarianceAtCheckpoint[] | null = null;
  if (o.variance !== false) {
    const vo = { ...EVALUATE_DEFAULTS.variance, ...(o.variance ?? {}) };
    variance = await time('variance', () => varianceOverTraining(r, { ...vo, rec, log }));
  }

  seconds.total = (performance.now() - t0) / 1000;
  const m = r.checkpoint.manifest;
  return {
    format: 'dlmk.eval/1',
    dlmkVersion: dlmkVersion(),
    run: {
      out: r.out,
      checkpoint: r.checkpoint.dir,
      step: m.step,
      model: dit ? 'dit' : 'ar',
      kernel: r.kernelSpec?.name ?? null,
      weights: r.weights,
      V: r.data.tokenizer.vocabSize,
      L: r.spec.data.length!,
      batchSize: r.spec.batchSize!,
    },
    split,
    likelihood,
    factors: { variance, posterior, repair },
    seconds,
  };
}
