// The exact error decomposition of a comparison (docs/eval.md, "Synthetic source and the error
// decomposition"): every kernel of the experiment trained on the synthetic Markov source (its
// corpus, tokenizer and true embeddings, sentence rows of exactly L tokens) with one model and
// budget, then the distance of its samples from the source split into approximation, sampling and
// forward-kernel parts, each computed (runtime/eval/synthetic decompose).
import { join } from 'node:path';
import { decompose, MarkovCorpus, MarkovOracle, referenceFor, type Decomposition, type MarkovSource } from '../eval/synthetic/index.ts';
import { oracleLoss } from '../../reference/synthetic/index.ts';
import type { ReferenceKernel } from '../../reference/kernel/index.ts';
import { mulberry32 } from '../data/random.ts';
import { loadRun, trainOrReuse } from '../train/index.ts';
import type { CompareHooks } from './run.ts';
import type { Plan } from './spec.ts';

/** The synthetic section's defaults: a source small enough for exact posteriors, a budget for a CPU. */
export const SYNTHETIC_DEFAULTS = {
  source: { seed: 1, V: 24, clusters: 4 },
  L: 8,
  documents: { train: 1024, validation: 64, test: 64 },
  model: { arch: 'dit', size: 'tiny', dropout: 0 },
  optimizer: { lr: 0.003, warmupSteps: 10, decay: 'cosine', minLrRatio: 0.1, clip: 1, emaDecay: 0.99 },
  batchSize: 16,
  budget: { steps: 300 },
  steps: 16,
  samples: 256,
};

/** Posterior difficulty at one t, exact on the source: what the kernel's loss asks the model to learn. */
export interface ExactDifficulty {
  t: number;
  /** Mean entropy (nats) of the x0-prediction target p(x0^i | x_t^{-i}) (the ELBO's minimiser). */
  targetEntropy: number;
  /** The irreducible loss: the ELBO integrand of the exact denoiser at t, nats/token. */
  lossFloor: number;
  /** Standard error of lossFloor across sequences. */
  lossFloorSe: number;
}

export interface SyntheticKernelResult {
  name: string;
  run: string;
  validation: number | null;
  decomposition: Omit<Decomposition, 'tokens'>;
  difficulty: ExactDifficulty[];
}

/** The times of the exact difficulty. */
export const DIFFICULTY_TIMES = [0.1, 0.3, 0.5, 0.7, 0.9];

/**
 * Exact posterior difficulty of a kernel on the source: n sequences from the source, x_t drawn
 * exactly per position, the entropy of the ELBO's target and its loss (the floor any model pays).
 */
export function exactDifficulty(source: MarkovSource, ref: ReferenceKernel, n = 64, seed = 7): ExactDifficulty[] {
  const oracle = new MarkovOracle(source, ref);
  const L = source.L;
  const x0s = source.sampleSeeded(n, seed);
  const u = mulberry32(seed + 1, { open: true });
  return DIFFICULTY_TIMES.map((t) => {
    let ent = 0;
    const losses: number[] = [];
    for (let q = 0; q < n; q++) {
      const x0 = x0s.subarray(q * L, (q + 1) * L);
      const xt = Int32Array.from(x0, (v) => ref.sampleForward(v, t, u));
      const p = oracle.elboOptimal(t, xt);
      for (let i = 0; i < L; i++) {
        for (let v = 0; v < ref.V; v++) {
          const x = p[i * ref.V + v]!;
          if (x > 0) ent -= x * Math.log(x);
        }
      }
      losses.push(oracleLoss(oracle, t, x0, xt) / L);
    }
    const m = losses.reduce((a, b) => a + b, 0) / n;
    const sd = Math.sqrt(losses.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(1, n - 1));
    return { t, targetEntropy: ent / (n * L), lossFloor: m, lossFloorSe: sd / Math.sqrt(n) };
  });
}

export interface SyntheticResults {
  source: Record<string, unknown>;
  L: number;
  entropyRate: number;
  steps: number;
  samples: number;
  kernels: SyntheticKernelResult[];
}

export async function syntheticDecomposition(plan: Plan, out: string, hooks: CompareHooks): Promise<SyntheticResults> {
  const o = { ...SYNTHETIC_DEFAULTS, ...(plan.spec.synthetic as Partial<typeof SYNTHETIC_DEFAULTS>) };
  const source = { ...SYNTHETIC_DEFAULTS.source, ...o.source };
  const log = hooks.log ?? (() => {});
  const phase = hooks.onPhase ?? log;
  const kernels: SyntheticKernelResult[] = [];
  let entropyRate = NaN;
  for (const k of plan.spec.kernels) {
    const spec = {
      format: 'dlmk.run/1',
      name: `synthetic-${k.name}`,
      seed: plan.spec.seeds[0]!,
      data: {
        corpus: { name: 'markov', ...source, L: o.L, ...o.documents },
        tokenizer: { name: 'markov' },
        length: o.L,
        mode: 'sentence',
        cacheDir: join(out, 'cache'),
      },
      model: o.model,
      kernel: { path: k.path, params: k.params },
      embeddings: { name: 'markov', ...source },
      optimizer: o.optimizer,
      batchSize: o.batchSize,
      budget: o.budget,
      validation: { every: 0, rows: 32, grid: 8 },
      checkpoint: { every: 0, keep: 1 },
      log: { every: 10 },
    };
    const dir = join(out, 'synthetic', k.name);
    phase(`synthetic source: training ${k.name}`);
    const tr = await trainOrReuse(spec, { out: dir, baseDir: plan.baseDir, log, onStep: (e) => hooks.onTrainStep?.({ role: 'kernel', label: `synthetic ${k.name}`, seed: spec.seed, spec: spec as never, dir }, e.step, e.totalSteps, e.loss) });
    const run = await loadRun(dir, { log });
    try {
      const markov = (run.data.corpus as MarkovCorpus).source;
      entropyRate = markov.entropyPerToken();
      phase(`synthetic source: decomposing ${k.name} (${o.samples} samples, ${o.steps} steps)`);
      // The predictor alone: no rules, no final argmax (they change the oracle's law too).
      const ref = referenceFor(run.rt!, { unigram: run.data.unigram });
      const d = await decompose({
        source: markov, rt: run.rt!, ref, model: run.denoiser!,
        sampler: { steps: o.steps, rules: [], denoise: 'none' }, samples: o.samples, batch: 128, seed: 1, log,
      });
      const { tokens: _t, ...rest } = d;
      phase(`synthetic source: the exact posterior difficulty of ${k.name}`);
      kernels.push({ name: k.name, run: dir, validation: tr.validation?.nats ?? null, decomposition: rest, difficulty: exactDifficulty(markov, ref) });
    } finally {
      run.model.destroy();
    }
  }
  return { source, L: o.L, entropyRate, steps: o.steps, samples: o.samples, kernels };
}
