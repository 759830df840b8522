// Public face of the sampler (docs/sampling.md):
//
//   const { tokens, nfe } = await sampleTokens({ rt, denoiser, B, L, seed, predictor?, steps?, options?,
//                                               cache?, denoise?, rules?, params?, clamp?, trace?, onStep? });
//
// sampleTokens runs the kernel's `sampler` block (overridable) with any Denoiser: a trained DiT
// (runtime/denoiser ModelDenoiser) or the exact oracle of a known data law (OracleDenoiser).
export { sampleTokens, prefixClamp, positionsClamp, type SampleTokensOptions, type SampleResult, type StepInfo } from './sampler.ts';
export { resolveSettings, MAX_STEPS, type SamplerOverrides, type SamplerSettings, type Predictor, type DenoiseMode } from './settings.ts';
export { timeGrid, confidencePlan, type BlockStep } from './grid.ts';
export { SampleError } from './errors.ts';
export { OracleDenoiser } from './oracle.ts';
export { StepHarness } from './steps.ts';
