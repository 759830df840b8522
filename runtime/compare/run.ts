// `dlmk compare` (docs/compare.md): train every kernel of an experiment with the same data, model
// and budget (finished runs reused, unfinished ones resumed) and the AR reference, then evaluate
// each with one protocol: likelihood and the three factors (runtime/eval evaluate), samples at
// every step count scored by the reference (gen-PPL next to entropy, diversity and the semantic
// basin on one reference graph), and, when asked, the exact decomposition on the synthetic source.
import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { getGpu } from '../gpu/index.ts';
import { buildKnnGraphGpu, type CsrGraph } from '../kernel/index.ts';
import { detectCommunities } from '../eval/metrics/index.ts';
import { arScorer, sampleQuality, type ReferenceScorer, type SampleQuality } from '../eval/quality.ts';
import { sample } from '../sample/generate.ts';
import { graphVectors, loadRun, trainOrReuse, type LoadedRun, type TrainResult } from '../train/index.ts';
import { dlmkVersion } from '../io/index.ts';
import type { Plan, PlannedRun } from './spec.ts';

/** The reference graph of the basin statistics: the shipped semantic kernels' knn rule on the corpus vectors. */
export const BASIN_GRAPH = { k: 10, bandwidth: 0.3 } as const;

export interface RunCurve {
  train: [number, number][];
  val: [number, number][];
}

export interface SamplingResult {
  steps: number;
  nfe: number;
  seconds: number;
  quality: SampleQuality;
  /** The first `show` samples, decoded. */
  examples: string[];
}

export interface RunResult {
  label: string;
  seed: number;
  dir: string;
  steps: number;
  tokens: number;
  seconds: number;
  tokensPerSec: number;
  reused: boolean;
  validation: TrainResult['validation'];
  curve: RunCurve;
  /** runtime/eval evaluate(): likelihood and the factors (absent for the AR reference). */
  evaluation?: unknown;
  sampling?: SamplingResult[];
}

export interface CompareResults {
  format: 'dlmk.results/1';
  experiment: string;
  created: string;
  dlmkVersion: string;
  adapter: string;
  settings: Record<string, string>;
  kernels: { name: string; path: string; params: Record<string, number | boolean> }[];
  runs: RunResult[];
  /** The same statistics of held-out text (rows of the validation split; the baseline of every diversity number). */
  data?: SampleQuality;
  synthetic?: unknown;
  seconds: number;
}

export interface CompareHooks {
  log?: (line: string) => void;
  /** Training progress of the run being trained. */
  onTrainStep?: (run: PlannedRun, step: number, total: number, loss: number) => void;
  /** Phase changes (one line each: what is being done now). */
  onPhase?: (line: string) => void;
  /** Evaluation of one run (runtime/eval evaluate); null to skip it. */
  evaluate?: ((run: LoadedRun, options: Record<string, unknown>) => Promise<unknown>) | null;
  /** The synthetic-source decomposition (runtime/eval/synthetic); null to skip it. */
  synthetic?: ((plan: Plan, out: string, hooks: CompareHooks) => Promise<unknown>) | null;
}

function curveOf(out: string): RunCurve {
  const c: RunCurve = { train: [], val: [] };
  for (const l of readFileSync(join(out, 'metrics.jsonl'), 'utf8').split('\n')) {
    if (!l.trim()) continue;
    const m = JSON.parse(l) as { step: number; loss?: number; val?: { nats: number } };
    if (m.loss !== undefined) c.train.push([m.step, m.loss]);
    if (m.val) c.val.push([m.step, m.val.nats]);
  }
  return c;
}

/** The experiment's settings in a few lines (the report prints them with the results). */
function settingsOf(plan: Plan): Record<string, string> {
  const k = plan.runs.find((r) => r.role === 'kernel')!.spec;
  const m = k.model;
  const plugin = (x: unknown) => {
    const { name, ...o } = x as { name: string } & Record<string, unknown>;
    const shown = Object.entries(o).filter(([key]) => !/Years$/.test(key)).map(([key, v]) => `${key} ${JSON.stringify(v)}`);
    return shown.length ? `${name} (${shown.join(', ')})` : name;
  };
  return {
    data: `corpus ${plugin(k.data.corpus)}, tokenizer ${plugin(k.data.tokenizer)}, L = ${k.data.length}, ${k.data.mode}`,
    model: `DiT ${m.size}${m.hidden ? `, hidden ${m.hidden}` : ''}${m.layers ? `, ${m.layers} layers` : ''}, dropout ${m.dropout ?? 'preset'}`,
    budget: `${JSON.stringify(k.budget)} x batch ${k.batchSize}`,
    optimizer: `AdamW lr ${k.optimizer!.lr}, ${k.optimizer!.decay}, warm-up ${k.optimizer!.warmupSteps}, EMA ${k.optimizer!.emaDecay}`,
    seeds: plan.spec.seeds.join(', '),
    reference: plan.spec.reference.onnx ? `ONNX ${plan.spec.reference.onnx}${plan.spec.reference.tokenizer ? ` (tokenizer ${plan.spec.reference.tokenizer.name})` : ''}` : 'dlmk AR twin trained on the same data',
    sampling: `steps ${plan.spec.sampling.steps.join(', ')}; ${plan.spec.sampling.samples} samples each; ${plan.spec.sampling.predictor ?? "each kernel's own predictor"}`,
  };
}

export async function runComparison(plan: Plan, out: string, hooks: CompareHooks = {}): Promise<CompareResults> {
  const t0 = performance.now();
  const log = hooks.log ?? (() => {});
  const phase = hooks.onPhase ?? log;
  const gpu = await getGpu();
  const results: RunResult[] = [];
  // 1. Train (or reuse) every run.
  for (const run of plan.runs) {
    phase(`training ${run.label} (seed ${run.seed}) into ${join(out, run.dir)}`);
    const r = await trainOrReuse(run.spec, {
      out: join(out, run.dir),
      baseDir: plan.baseDir,
      log,
      onStep: (e) => hooks.onTrainStep?.(run, e.step, e.totalSteps, e.loss),
    });
    results.push({
      label: run.label, seed: run.seed, dir: r.out, steps: r.step, tokens: r.tokens, seconds: r.seconds,
      tokensPerSec: r.tokens / Math.max(r.seconds, 1e-9), reused: r.reused, validation: r.validation, curve: curveOf(r.out),
    });
  }
  // 2. The reference graph for the basin statistics (one for every kernel) and its communities.
  let graph: CsrGraph | undefined;
  let communities: Int32Array | undefined;
  let dataQuality: SampleQuality | undefined;
  // 3. Evaluate and sample every kernel run, scoring samples with the seed's AR reference.
  for (const seed of plan.spec.seeds) {
    const onnx = plan.spec.reference.onnx;
    const ar = onnx ? null : await loadRun(join(out, `runs/ar-s${seed}`), { log });
    let scorer: ReferenceScorer | undefined = ar ? arScorer(ar.model, ar.data.tokenizer.eos) : undefined;
    try {
      for (const res of results.filter((x) => x.seed === seed && x.label !== 'ar')) {
        const run = await loadRun(res.dir, { log });
        try {
          if (onnx && !scorer) {
            const { OnnxScorer, onnxReference } = await import('../eval/onnx.ts');
            const { createCorpus, createTokenizer } = await import('../data/index.ts');
            const tok = plan.spec.reference.tokenizer;
            const pctx = { baseDir: plan.baseDir, cacheDir: join(out, 'cache'), log };
            const to = tok ? await createTokenizer(tok, pctx, await createCorpus(run.spec.data.corpus as { name: string }, pctx)) : undefined;
            scorer = onnxReference(await OnnxScorer.open(isAbsolute(onnx) ? onnx : join(plan.baseDir, onnx)), { from: run.data.tokenizer, ...(to ? { to } : {}) });
          }
          if (!graph) {
            phase('building the reference knn graph for the basin statistics');
            const v = await graphVectors(run.spec, run.baseDir, run.data, log);
            const V = run.data.tokenizer.vocabSize;
            graph = (await buildKnnGraphGpu(gpu, v.data, V, v.d, { k: BASIN_GRAPH.k, bandwidth: BASIN_GRAPH.bandwidth, symmetric: false, classes: null })).graph;
            communities = detectCommunities({ rowPtr: graph.rowPtr, col: graph.col, w: graph.w } as never, { seed: 0 }).label;
            // The baseline: held-out rows of L tokens, as many as the samples, scored the same way.
            const v0 = run.data.validation;
            const n = Math.min(v0.rows, plan.spec.sampling.samples);
            const rows = Array.from({ length: n }, (_, i) => Array.from(v0.x0.subarray(i * v0.L, (i + 1) * v0.L)));
            dataQuality = await sampleQuality(rows, { ...(scorer ? { scorer } : {}), graph, communities });
          }
          if (hooks.evaluate !== null && hooks.evaluate) {
            phase(`evaluating ${res.label} (seed ${seed}): likelihood and the three factors`);
            res.evaluation = await hooks.evaluate(run, plan.spec.evaluation);
          }
          res.sampling = [];
          for (const steps of plan.spec.sampling.steps) {
            phase(`sampling ${res.label} (seed ${seed}) with ${steps} steps`);
            const s = await sample(run, {
              n: plan.spec.sampling.samples,
              steps,
              seed: plan.spec.sampling.seed,
              ...(plan.spec.sampling.length ? { length: plan.spec.sampling.length } : {}),
              ...(plan.spec.sampling.predictor ? { predictor: plan.spec.sampling.predictor as never } : {}),
            });
            const ids = s.samples.map((x) => x.ids);
            const quality = await sampleQuality(ids, { ...(scorer ? { scorer } : {}), ...(graph ? { graph } : {}), ...(communities ? { communities } : {}) });
            res.sampling.push({ steps, nfe: s.nfe, seconds: s.seconds, quality, examples: s.samples.slice(0, plan.spec.sampling.show).map((x) => x.text) });
          }
        } finally {
          run.model.destroy();
        }
      }
    } finally {
      ar?.model.destroy();
    }
  }
  const synthetic = plan.spec.synthetic.enabled && hooks.synthetic ? await hooks.synthetic(plan, out, hooks) : undefined;
  return {
    format: 'dlmk.results/1',
    experiment: plan.spec.name,
    created: new Date().toISOString(),
    dlmkVersion: dlmkVersion(),
    adapter: gpu.description,
    settings: settingsOf(plan),
    kernels: plan.spec.kernels.map((k) => ({ name: k.name, path: k.path, params: k.params })),
    runs: results,
    ...(dataQuality ? { data: dataQuality } : {}),
    ...(synthetic !== undefined ? { synthetic } : {}),
    seconds: (performance.now() - t0) / 1000,
  };
}
