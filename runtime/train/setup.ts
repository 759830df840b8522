// From a validated run spec to the pieces a training loop needs: the corpus tokenised (cached),
// the batchers, the kernel bound to the tokenizer's vocabulary (graphs from token embeddings), the
// model and its optimiser on the GPU. Each failure is one paragraph that says what to change.
import os from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import type { CheckpointKernel, CheckpointTokenizer, DitConfig, ModelConfig } from '../../specs/types/checkpoint.ts';
import { getGpu, Recorder, type Gpu } from '../gpu/index.ts';
import type { KernelRuntime, EmbeddingMatrix } from '../kernel/index.ts';
import { AdamWOptimizer, EmaWeights } from '../nn/index.ts';
import { arConfig, ditConfig, maxSequencesPerCall, TransformerModel } from '../nn/models/index.ts';
import { maskOnly } from '../denoiser/index.ts';
import { registry as globalRegistry, type PluginContext, type Registry } from '../plugins/registry.ts';
import { Batcher, createCorpus, createTokenizer, tokenizeCorpus, type Corpus, type Tokenizer, type TokenFile } from '../data/index.ts';
import { tokenVectors, type PluginSpec } from './embed.ts';
import { TrainError } from './errors.ts';
import type { HeldOut } from './heldout.ts';
import { setupKernel } from './kernel.ts';
import type { MicroBatch } from './step.ts';
import type { RunSpec } from './spec.ts';

export interface TrainBatches {
  next(): MicroBatch;
  state(): unknown;
  restore(state: unknown): void;
}

export interface RunData {
  readonly corpus: Corpus;
  readonly tokenizer: Tokenizer;
  readonly train: TrainBatches;
  readonly trainTokens: TokenFile;
  readonly validation: HeldOut;
  /** The unigram law of the training split (counts / total). */
  readonly unigram: Float64Array;
}

export interface RunPieces {
  readonly spec: RunSpec;
  readonly baseDir: string;
  readonly gpu: Gpu;
  readonly rec: Recorder;
  readonly data: RunData;
  readonly model: TransformerModel;
  readonly opt: AdamWOptimizer;
  readonly ema: EmaWeights | null;
  /** The kernel runtime (DiT) or null (AR). */
  readonly rt: KernelRuntime | null;
  readonly kernelRef: CheckpointKernel | null;
  readonly tokenizerRef: CheckpointTokenizer;
  readonly graphHashes: Record<string, string> | null;
  /** The bound kernel spec (DiT). */
  readonly kernelSpec: import('../../specs/types/kernel.ts').KernelSpec | null;
}

/** Where caches go: data.cacheDir (relative to the spec's folder), else .dlmk-cache there. */
export function cacheDirOf(spec: RunSpec, baseDir: string): string {
  const c = spec.data.cacheDir;
  return c ? (isAbsolute(c) ? c : resolve(baseDir, c)) : join(baseDir, '.dlmk-cache');
}

function pluginCtx(baseDir: string, cacheDir: string, log: (l: string) => void): PluginContext {
  return { baseDir, cacheDir, log };
}

/** The corpus, tokenizer, token files and batchers of a run. */
export async function setupData(spec: RunSpec, baseDir: string, o: { log: (l: string) => void; registry?: Registry }): Promise<RunData> {
  const reg = o.registry ?? globalRegistry;
  const cacheDir = cacheDirOf(spec, baseDir);
  const ctx = pluginCtx(baseDir, cacheDir, o.log);
  const corpus = await createCorpus(spec.data.corpus as { name: string }, ctx, reg);
  const tokenizer = await createTokenizer(spec.data.tokenizer as { name: string }, ctx, corpus, reg);
  const L = spec.data.length!;
  const B = spec.batchSize!;
  const mode = spec.data.mode!;
  const trainTokens = await tokenizeCorpus(corpus, tokenizer, 'train', { cacheDir, log: o.log });
  const valTokens = await tokenizeCorpus(corpus, tokenizer, 'validation', { cacheDir, log: o.log });
  const train = new Batcher(trainTokens, { B, L, mode, seed: spec.seed!, eos: tokenizer.eos, pad: tokenizer.pad });
  const val = new Batcher(valTokens, { B, L, mode, seed: spec.seed!, eos: tokenizer.eos, pad: tokenizer.pad });
  const rows = val.evalRows(spec.validation!.rows!);
  const unigram = unigramLaw(trainTokens, tokenizer, mode);
  return {
    corpus,
    tokenizer,
    trainTokens,
    train: { next: () => train.next(), state: () => train.state(), restore: (s) => train.restore(s as never) },
    validation: { x0: rows.x0, valid: rows.valid, rows: rows.rows, L },
    unigram,
  };
}

/** Pseudo-count added to every token's training count in the run's unigram law (docs/training.md). */
export const UNIGRAM_PSEUDOCOUNT = 0.5;

/**
 * The run's unigram law: training counts (with the separators packed mode inserts: one EOS per
 * document) plus UNIGRAM_PSEUDOCOUNT for every token, normalised. The pseudo-count keeps every
 * token reachable by reset(unigram) and the prior's p0 positive, so that a held-out token unseen in
 * training has a finite likelihood bound.
 */
export function unigramLaw(tf: TokenFile, tokenizer: Tokenizer, mode: 'packed' | 'sentence'): Float64Array {
  const counts = Float64Array.from(tf.unigram());
  if (mode === 'packed') counts[tokenizer.eos]! += tf.docOffsets.length - 1;
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += (counts[i]! += UNIGRAM_PSEUDOCOUNT);
  for (let i = 0; i < counts.length; i++) counts[i]! /= total;
  return counts;
}

/** Token vectors for the kernel's knn(embeddings) graphs: the run's embedding source (default: the corpus). */
export async function graphVectors(spec: RunSpec, baseDir: string, data: RunData, log: (l: string) => void, reg: Registry = globalRegistry): Promise<EmbeddingMatrix> {
  const ctx = pluginCtx(baseDir, cacheDirOf(spec, baseDir), log);
  const m = await tokenVectors((spec.embeddings ?? { name: 'corpus' }) as PluginSpec, data.trainTokens, data.tokenizer, ctx, reg);
  log(`embeddings: ${m.report.summary}`);
  return { data: m.data, d: m.d };
}

/** The model config a run asks for (presets plus overrides; the DiT's time input and mask row from the kernel). */
export function modelConfigOf(spec: RunSpec, V: number, kernel: { hasMask: boolean; maskOnly: boolean } | null): ModelConfig {
  const { arch = 'dit', size = 'tiny', timeConditioning = 'auto', ...over } = spec.model;
  const fields = Object.fromEntries(Object.entries(over).filter(([, v]) => v !== undefined));
  if (arch === 'ar') return arConfig(size, V, fields);
  const tc = timeConditioning === 'auto' ? !kernel!.maskOnly : timeConditioning;
  return ditConfig(size, V, { ...(fields as Partial<DitConfig>), maskToken: kernel!.hasMask, timeConditioning: tc });
}

/** Rough bytes of one training step's activations (for a clear refusal before the GPU runs out). */
export function stepBytes(cfg: ModelConfig, B: number, L: number): number {
  const N = B * L;
  const d = cfg.hidden;
  const F = cfg.mlpRatio * d;
  // Per block: x, h1, h1m, qkv (3d), o, attn out, x1, h2, h2m, u, g (2F), mlp out, dropouts: ~14 d + 2 F per position.
  const perBlock = N * (14 * d + 2 * F);
  // Logits and their gradient, the backward's transient copies.
  const head = 3 * N * cfg.vocabSize;
  return 4 * (cfg.layers * perBlock + head + 8 * N * d);
}

export interface SetupOptions {
  log: (line: string) => void;
  registry?: Registry;
  /** Test hook: an embedding source used instead of the spec's. */
  embeddings?: EmbeddingMatrix;
}

/** Everything a run needs, on the GPU. */
export async function setupRun(spec: RunSpec, baseDir: string, o: SetupOptions): Promise<RunPieces> {
  const gpu = await getGpu();
  const reg = o.registry ?? globalRegistry;
  const data = await setupData(spec, baseDir, o);
  const V = data.tokenizer.vocabSize;
  o.log(`data: ${data.corpus.describe()}; tokenizer ${data.tokenizer.id} (V = ${V}); ${data.trainTokens.tokens.length} training tokens, ${data.validation.rows} validation rows of ${spec.data.length}`);
  let rt: KernelRuntime | null = null;
  let kernelRef: CheckpointKernel | null = null;
  let graphHashes: Record<string, string> | null = null;
  let kernelSpec = null;
  if (spec.kernel) {
    const k = await setupKernel(gpu, spec.kernel.path, (spec.kernel.params ?? {}) as Record<string, number | boolean>, baseDir, {
      V,
      unigram: data.unigram,
      log: o.log,
      embeddings: () => (o.embeddings ? Promise.resolve(o.embeddings) : graphVectors(spec, baseDir, data, o.log, reg)),
    });
    rt = k.rt;
    kernelRef = k.ref;
    graphHashes = k.graphHashes;
    kernelSpec = k.spec;
    o.log(`kernel: ${k.spec.name} (${k.file})`);
  }
  const cfg = modelConfigOf(spec, V, kernelSpec ? { hasMask: kernelSpec.hasMask, maskOnly: maskOnly(kernelSpec) } : null);
  const B = spec.batchSize!;
  const L = spec.data.length!;
  const need = stepBytes(cfg, B, L);
  const room = gpu.isSoftware ? os.totalmem() * 0.7 : Math.max(gpu.limits.maxBufferSize * 4, 8 * 2 ** 30);
  if (need > room) {
    throw new TrainError(
      `one step at batchSize ${B} and length ${L} needs about ${(need / 2 ** 30).toFixed(1)} GiB of activations with this model ` +
        `(hidden ${cfg.hidden}, ${cfg.layers} layers, V ${cfg.vocabSize}), more than the ${(room / 2 ** 30).toFixed(1)} GiB available: ` +
        'lower batchSize (and raise optimizer.accumulate to keep the batch), or data.length, or the model size',
    );
  }
  const maxB = maxSequencesPerCall(gpu.limits, cfg, L);
  if (B > maxB) {
    const K = spec.optimizer!.accumulate!;
    const fit = maxB >= 1 ? `batchSize ${maxB} with optimizer.accumulate ${Math.ceil((B * K) / maxB)} keeps about ${B * K} sequences per optimiser step` : `no batch fits at this length: lower data.length`;
    throw new TrainError(
      `batchSize ${B} at length ${L} makes [${B * L}, ${cfg.vocabSize}] logits per micro-batch (${((4 * B * L * cfg.vocabSize) / 2 ** 20).toFixed(0)} MiB), ` +
        `over this adapter's storage-binding limit of ${(gpu.limits.maxStorageBufferBindingSize / 2 ** 20).toFixed(0)} MiB: ${fit}`,
    );
  }
  const model = new TransformerModel(gpu, cfg, { seed: spec.seed! });
  const o2 = spec.optimizer!;
  const opt = new AdamWOptimizer(model.registry, { lr: o2.lr!, beta1: o2.beta1!, beta2: o2.beta2!, eps: o2.eps!, weightDecay: o2.weightDecay!, maxGradNorm: o2.clip! });
  const rec = new Recorder(gpu);
  const ema = o2.emaDecay! > 0 ? new EmaWeights(model.registry, o2.emaDecay!, rec) : null;
  await rec.submit({ wait: true });
  await model.prepare(rec, B, L);
  return {
    spec,
    baseDir,
    gpu,
    rec,
    data,
    model,
    opt,
    ema,
    rt,
    kernelRef,
    tokenizerRef: { id: data.tokenizer.id, sha256: data.tokenizer.sha256 },
    graphHashes,
    kernelSpec,
  };
}
