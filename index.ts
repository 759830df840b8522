// dlmk's public face: `import { compileKernel, createKernelRuntime, getGpu, ... } from 'dlmk'`.
// Each folder's index.ts is its own public face; this file gathers what a Node program needs.

// The .kernel language: text -> checked Kernel IR (docs/language.md, docs/ir.md).
export {
  checkKernel,
  compileKernel,
  formatKernel,
  formatDiagnostics,
  KernelSyntaxError,
  KernelCheckError,
  type CompileOptions,
  type CheckResult,
  type Diagnostic,
} from './compiler/index.ts';
export { describeKernel, type KernelSummary } from './compiler/describe.ts';
export { builtinSchedule, exprSchedule, SCHEDULES } from './compiler/schedules.ts';
export type { KernelSpec, Expr } from './specs/types/kernel.ts';
export { assertValid, checkAgainst, SpecValidationError, type SchemaIssue } from './specs/validate.ts';

// WebGPU (Dawn through the `webgpu` package).
export { getGpu, releaseGpu, GpuUnavailableError, ShaderCompileError, type Gpu } from './runtime/gpu/index.ts';

// Compiled kernels on the GPU (docs/math.md, docs/inspect.md).
export { createKernelRuntime, KernelRuntime, KernelRuntimeError, buildKnnGraphGpu } from './runtime/kernel/index.ts';
export { buildRateTables } from './runtime/kernel/tables/index.ts';
export { loadEmbeddings } from './runtime/data/embeddings.ts';

// The denoiser, its autoregressive twin, training steps and checkpoints (docs/nn.md, docs/checkpoint.md).
export * as nn from './runtime/nn/index.ts';
export {
  createDit,
  createAr,
  ditConfig,
  arConfig,
  MODEL_SIZES,
  trainStep,
  saveModelCheckpoint,
  loadModelCheckpoint,
  type ModelConfig,
  type ModelSize,
} from './runtime/nn/models/index.ts';
export { CheckpointError, dlmkVersion } from './runtime/io/index.ts';

// The float64 reference of every kernel quantity (tests, and tiny problems without a GPU).
export * as reference from './reference/kernel/index.ts';

// Plugins: corpora, tokenizers, embedding sources, metrics, registered by name (docs/training.md).
export { registry, Registry, PluginError, PLUGIN_KINDS, type Plugin, type PluginKind, type PluginContext, type JsonSchema } from './runtime/plugins/registry.ts';
import './runtime/plugins/builtin.ts';

// Data: corpora, tokenizers, the token cache and the batcher (docs/data.md); token vectors for graphs (docs/embeddings.md).
export {
  DataError,
  createCorpus,
  createTokenizer,
  tokenizeCorpus,
  Batcher,
  SotuCorpus,
  TextCorpus,
  JsonlCorpus,
  ParquetCorpus,
  type Corpus,
  type Split,
  type Tokenizer,
  type TokenizerBuilder,
  type TokenFile,
} from './runtime/data/index.ts';
export { nearestTokens, writeEmbeddings, computeCorpusEmbeddings, type EmbeddingSource, type EmbeddingMatrix as TokenVectors } from './runtime/data/embed/index.ts';

// Training (docs/training.md).
export {
  train,
  TrainError,
  NonFiniteError,
  composeRunSchema,
  validateRunSpec,
  loadRunSpec,
  listCheckpoints,
  type RunSpec,
  type TrainOptions,
  type TrainResult,
  type StepEvent,
  type ValidationEvent,
  type Likelihood,
} from './runtime/train/index.ts';
export { type Denoiser, ModelDenoiser, modelTime } from './runtime/denoiser/index.ts';

// Sampling (docs/sampling.md): from a trained run, or any Denoiser with a kernel runtime.
export { sample, type SampleOptions, type SampleRun, type GeneratedSample } from './runtime/sample/generate.ts';
export { sampleTokens, SampleError, OracleDenoiser, type SampleTokensOptions, type SampleResult } from './runtime/sample/index.ts';
export { loadRun, type LoadedRun } from './runtime/train/load.ts';

// Evaluation and the kernel comparison (docs/eval.md, docs/compare.md).
export { evaluate, type EvalRecord, type EvaluateOptions } from './runtime/eval/evaluate.ts';
export { sampleQuality, arNlls, type SampleQuality } from './runtime/eval/quality.ts';
export { renderReport, type ReportDocument, type ReportBlock } from './runtime/eval/report/index.ts';
export { compare, planExperiment, type CompareResults, type CompareOutput } from './runtime/compare/index.ts';
