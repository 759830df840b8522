// Optimisation variance (docs/eval.md, "The three factors"): at fixed weights, K minibatches of the
// run's batch shape, each with fresh times t and fresh x_t ~ q_t(. | x0), give
//
//   the loss estimator's variance   Var(l_k), l_k the minibatch loss the trainer would see;
//   the gradient noise scale        B_noise = tr(Sigma) / |G|^2  (McCandlish et al. 2018),
//
// Sigma the per-sequence gradient covariance and G the mean gradient, from the per-minibatch
// gradients g_k read back from the model's gradient buffer. With minibatches of B sequences,
// Cov(g_k) = Sigma / B, and (the unbiased estimators; McCandlish's two-batch-size estimator of their
// appendix A with B_small = B, B_big = K B is exactly this):
//
//   tr(Sigma) ~= B / (K - 1) * sum_k |g_k - gbar|^2,      |G|^2 ~= |gbar|^2 - tr(Sigma) / (K B),
//
// B_noise is their ratio (a ratio of unbiased estimates, as McCandlish take it; undefined when the
// |G|^2 estimate is <= 0, i.e. the mean gradient is lost in its noise). Two modes: x0 fixed (one
// training minibatch reused: the noise of t and x_t alone, the kernel's share) and x0 fresh (the
// noise the optimiser sees). Each step runs the trainer's own step (runtime/train/step.ts) with a
// scratch AdamW at lr = 0 and no clipping, so the weights do not move and the loss and gradient
// are exactly the training ones; the raw (not EMA) weights, dropout off unless asked.
import type { Recorder } from '../../gpu/index.ts';
import { Recorder as GpuRecorder } from '../../gpu/index.ts';
import type { KernelRuntime } from '../../kernel/index.ts';
import { AdamWOptimizer, allocTensor, freeTensor } from '../../nn/index.ts';
import { Batcher } from '../../data/index.ts';
import { loadModelCheckpoint, type TransformerModel } from '../../nn/models/index.ts';
import { listCheckpoints, mix, sampleTimes } from '../../train/index.ts';
import type { LoadedRun } from '../../train/load.ts';
import { runStep, type MicroBatch, type StepBuffers } from '../../train/step.ts';
import type { RunSpec } from '../../train/spec.ts';
import { EvaluationError } from './errors.ts';

/** Streaming float64 moments of vectors (Welford): the mean vector and sum_k |g_k - mean|^2. */
export class GradientMoments {
  readonly mean: Float64Array;
  /** sum_k |g_k - mean_K|^2 over all coordinates. */
  m2 = 0;
  count = 0;
  /** Sum of |g_k|^2 (for the McCandlish form). */
  sumSq = 0;

  constructor(readonly size: number) {
    this.mean = new Float64Array(size);
  }

  add(g: ArrayLike<number>): void {
    if (g.length !== this.size) throw new EvaluationError(`a gradient of ${g.length} values, expected ${this.size}`);
    this.count++;
    const k = this.count;
    const mean = this.mean;
    let m2 = 0;
    let sq = 0;
    for (let i = 0; i < this.size; i++) {
      const x = g[i]!;
      if (!Number.isFinite(x)) throw new EvaluationError(`gradient ${k}: entry ${i} is ${x} (not finite)`);
      const d = x - mean[i]!;
      mean[i]! += d / k;
      m2 += d * (x - mean[i]!);
      sq += x * x;
    }
    this.m2 += m2;
    this.sumSq += sq;
  }
}

export interface NoiseScale {
  /** K minibatches of B examples. */
  batches: number;
  B: number;
  /** |gbar|^2 (McCandlish's |G_big|^2, B_big = K B), biased up by tr(Sigma) / (K B). */
  meanSqNorm: number;
  /** mean_k |g_k|^2 (their |G_small|^2, B_small = B). */
  smallSqNorm: number;
  /** The unbiased |G|^2. */
  sqNorm: number;
  /** tr(Cov(g_k)) (minibatch) and tr(Sigma) = B tr(Cov(g_k)) (per example), unbiased. */
  traceMinibatch: number;
  trace: number;
  /** tr(Sigma) / |G|^2 in examples, or null when the |G|^2 estimate is <= 0. */
  bNoise: number | null;
}

/** B_noise from the moments of K >= 2 minibatch gradients of B examples each. */
export function noiseScale(m: GradientMoments, B: number): NoiseScale {
  const K = m.count;
  if (K < 2) throw new EvaluationError(`the gradient noise scale needs at least 2 minibatch gradients, got ${K}`);
  let meanSq = 0;
  for (const x of m.mean) meanSq += x * x;
  return finishNoise(K, B, meanSq, m.sumSq / K, m.m2 / (K - 1));
}

/** The float64 reference: two passes over the stored gradients. */
export function noiseScaleReference(grads: readonly ArrayLike<number>[], B: number): NoiseScale {
  const K = grads.length;
  const P = grads[0]?.length ?? 0;
  const mean = new Float64Array(P);
  for (const g of grads) for (let i = 0; i < P; i++) mean[i]! += g[i]! / K;
  let ss = 0;
  for (const g of grads) for (let i = 0; i < P; i++) ss += (g[i]! - mean[i]!) ** 2;
  let meanSq = 0;
  for (const x of mean) meanSq += x * x;
  let small = 0;
  for (const g of grads) for (let i = 0; i < P; i++) small += g[i]! ** 2 / K;
  return finishNoise(K, B, meanSq, small, ss / (K - 1));
}

function finishNoise(K: number, B: number, meanSqNorm: number, smallSqNorm: number, traceMinibatch: number): NoiseScale {
  const sqNorm = meanSqNorm - traceMinibatch / K;
  const trace = B * traceMinibatch;
  return { batches: K, B, meanSqNorm, smallSqNorm, sqNorm, traceMinibatch, trace, bNoise: sqNorm > 0 ? trace / sqNorm : null };
}

export interface LossMoments {
  mean: number;
  /** Unbiased variance across the K minibatch losses, its square root, and the standard error of the mean. */
  variance: number;
  sd: number;
  se: number;
}

export function lossMoments(losses: ArrayLike<number>): LossMoments {
  const K = losses.length;
  if (K < 2) throw new EvaluationError(`a loss variance needs at least 2 minibatches, got ${K}`);
  let m = 0;
  for (let i = 0; i < K; i++) m += losses[i]! / K;
  let ss = 0;
  for (let i = 0; i < K; i++) ss += (losses[i]! - m) ** 2;
  const variance = ss / (K - 1);
  return { mean: m, variance, sd: Math.sqrt(variance), se: Math.sqrt(variance / K) };
}

export interface VarianceComponent {
  loss: LossMoments;
  gradient: NoiseScale & { bNoiseTokens: number | null };
  /** Each minibatch's loss, and its gradient's global norm as the trainer measures it (on the GPU). */
  losses: number[];
  gradNorms: number[];
}

export interface VarianceMeasurement {
  B: number;
  L: number;
  batches: number;
  /** x0 fixed: the variance from t and x_t alone (null for the AR twin, which draws neither). */
  fixedX0: VarianceComponent | null;
  /** x0 fresh for every minibatch: the total. */
  freshX0: VarianceComponent;
  seconds: number;
}

export interface VarianceOptions {
  /** Minibatches per mode (default 8, at least 2). */
  batches?: number;
  seed?: number;
  /** Dropout as in training (default off: the kernel's noise, not the regulariser's). */
  dropout?: boolean;
}

export interface VarianceContext {
  readonly rec: Recorder;
  readonly model: TransformerModel;
  readonly rt: KernelRuntime | null;
  readonly spec: RunSpec;
  /** The source of training minibatches (trainBatches: a batcher of its own over the training split). */
  readonly next: () => MicroBatch;
}

const SALT = { times: 0x81, corrupt: 0x82, dropout: 0x83, data: 0x84 } as const;
const SEED = 0xfa1;

/**
 * Training minibatches in the run's shape from a batcher of their own over the training split (its
 * own seeded order), so that a measurement does not depend on what was drawn before it.
 */
export function trainBatches(run: LoadedRun, seed: number): () => MicroBatch {
  const { spec, data } = run;
  const b = new Batcher(data.trainTokens, { B: spec.batchSize!, L: spec.data.length!, mode: spec.data.mode!, seed: mix(seed, SALT.data), eos: data.tokenizer.eos, pad: data.tokenizer.pad });
  return () => {
    const x = b.next();
    return { x0: x.x0, valid: x.valid };
  };
}

/** Both modes at the model's current weights (left unchanged). */
export async function measureVariance(ctx: VarianceContext, o: VarianceOptions = {}): Promise<VarianceMeasurement> {
  const t0 = performance.now();
  const { rec, model, rt, spec } = ctx;
  const K = o.batches ?? 8;
  if (!(Number.isInteger(K) && K >= 2)) throw new EvaluationError(`variance: batches must be a whole number >= 2, not ${K}`);
  const seed = o.seed ?? SEED;
  const B = spec.batchSize!;
  const L = spec.data.length!;
  const reg = model.registry;
  // lr = 0 and no clipping: the step computes the training loss and gradient and moves nothing.
  const opt = new AdamWOptimizer(reg, { lr: 0, maxGradNorm: 0 });
  // Every buffer a step may use (a loss accumulator included, for step.ts versions that keep one on the GPU).
  const owned = {
    x0: allocTensor(rec.pool, [B * L], 'u32', 'x0'),
    aux: allocTensor(rec.pool, [B * L], 'u32', 'xt / targets'),
    weights: allocTensor(rec.pool, [B * L], 'f32', 'position weights'),
    valid: allocTensor(rec.pool, [B * L], 'f32', 'valid positions'),
    loss: allocTensor(rec.pool, [1], 'f32', 'step loss'),
  };
  const bufs: StepBuffers = owned;
  const host = new Float32Array(reg.size);
  const one = async (mode: number, k: number, mb: MicroBatch): Promise<{ loss: number; gradNorm: number }> => {
    const out = await runStep({ rec, model, opt, ema: null, rt, bufs }, {
      B,
      L,
      corruptSeeds: [mix(seed, mode, k, SALT.corrupt)],
      dropoutSeeds: o.dropout ? [mix(seed, mode, k, SALT.dropout)] : [],
      times: rt ? [sampleTimes(B, { sampling: spec.time!.sampling!, eps: spec.time!.eps! }, mix(seed, mode, SALT.times), k)] : [],
      lr: 0,
      emaDecay: 0,
    }, [mb]);
    if (!Number.isFinite(out.loss) || !out.finite) throw new EvaluationError(`variance: minibatch ${k} gave a ${!Number.isFinite(out.loss) ? `loss of ${out.loss}` : 'non-finite gradient'}`);
    rec.read(reg.grads, host);
    await rec.submit();
    return out;
  };
  const component = async (mode: number, batch: (k: number) => MicroBatch): Promise<VarianceComponent> => {
    const m = new GradientMoments(reg.size);
    const losses: number[] = [];
    const gradNorms: number[] = [];
    for (let k = 0; k < K; k++) {
      const r = await one(mode, k, batch(k));
      losses.push(r.loss);
      gradNorms.push(r.gradNorm);
      m.add(host);
    }
    const g = noiseScale(m, B);
    return { loss: lossMoments(losses), gradient: { ...g, bNoiseTokens: g.bNoise === null ? null : g.bNoise * L }, losses, gradNorms };
  };
  try {
    const fixed = rt ? ctx.next() : null;
    const fixedX0 = fixed ? await component(0, () => fixed) : null;
    const freshX0 = await component(1, () => ctx.next());
    return { B, L, batches: K, fixedX0, freshX0, seconds: (performance.now() - t0) / 1000 };
  } finally {
    for (const t of Object.values(owned)) freeTensor(rec.pool, t);
    opt.m.buffer.destroy();
    opt.v.buffer.destroy();
    opt.stats.buffer.destroy();
    reg.zeroGrads(rec);
    await rec.submit({ wait: true });
  }
}

export interface VarianceAtCheckpoint extends VarianceMeasurement {
  step: number;
  checkpoint: string;
}

/**
 * measureVariance at each kept checkpoint of a loaded run (oldest first; `which: 'last'` for the
 * newest only), with each checkpoint's raw weights; the model's weights are restored afterwards.
 */
export async function varianceOverTraining(
  run: LoadedRun, o: VarianceOptions & { rec?: Recorder; which?: 'all' | 'last'; log?: (l: string) => void } = {},
): Promise<VarianceAtCheckpoint[]> {
  const rec = o.rec ?? new GpuRecorder(run.gpu);
  const all = listCheckpoints(run.out);
  const list = o.which === 'last' ? all.slice(-1) : all;
  if (!list.length) throw new EvaluationError(`${run.out} has no complete checkpoint to measure`);
  const reg = run.model.registry;
  const backup = allocTensor(rec.pool, [reg.size], 'f32', 'params backup');
  rec.copy(reg.params, backup, reg.size);
  await rec.submit({ wait: true });
  const out: VarianceAtCheckpoint[] = [];
  try {
    for (const c of list) {
      await loadModelCheckpoint(c.dir, run.model);
      // The same minibatches, times and draws at every checkpoint (common random numbers).
      const m = await measureVariance({ rec, model: run.model, rt: run.rt, spec: run.spec, next: trainBatches(run, o.seed ?? SEED) }, o);
      o.log?.(`variance at step ${c.step}: loss sd ${m.freshX0.loss.sd.toPrecision(3)}, B_noise ${m.freshX0.gradient.bNoise?.toPrecision(3) ?? 'undefined'} (${m.seconds.toFixed(1)} s)`);
      out.push({ step: c.step, checkpoint: c.dir, ...m });
    }
  } finally {
    rec.copy(backup, reg.params, reg.size);
    await rec.submit({ wait: true });
    freeTensor(rec.pool, backup);
  }
  return out;
}
