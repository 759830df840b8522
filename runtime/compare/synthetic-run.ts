// The exact error decomposition of a comparison (docs/eval.md, "Synthetic source and the error
// decomposition"): every kernel of the experiment trained on the synthetic Markov source (its
// corpus, tokenizer and true embeddings, sentence rows of exactly L tokens) with one model and
// budget, then the distance of its samples from the source split into approximation, sampling and
// forward-kernel parts, each computed (runtime/eval/synthetic decompose).
import { join } from 'node:path';
import { decompose, MarkovCorpus, referenceFor, type Decomposition } from '../eval/synthetic/index.ts';
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

export interface SyntheticKernelResult {
  name: string;
  run: string;
  validation: number | null;
  decomposition: Omit<Decomposition, 'tokens'>;
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
      const d = await decompose({
        source: markov, rt: run.rt!, ref: referenceFor(run.rt!, { unigram: run.data.unigram }), model: run.denoiser!,
        sampler: { steps: o.steps, rules: [], denoise: 'none' }, samples: o.samples, batch: 128, seed: 1, log,
      });
      const { tokens: _t, ...rest } = d;
      kernels.push({ name: k.name, run: dir, validation: tr.validation?.nats ?? null, decomposition: rest });
    } finally {
      run.model.destroy();
    }
  }
  return { source, L: o.L, entropyRate, steps: o.steps, samples: o.samples, kernels };
}
