// The DiT denoiser of MDLM and DUO (Sahoo et al. 2024, 2025): token embedding (V real tokens plus
// a [MASK] row when the kernel has one), the sinusoidal embedding of each sequence's time through
// an MLP with SiLU, adaLN-zero modulation (shift, scale, gate for attention and MLP) in every
// block, bidirectional rotary attention, a 4x GELU MLP, and a final adaLN + LayerNorm + untied,
// zero-initialised output layer giving logits over the V real tokens only. The blocks are shared
// with the autoregressive twin (transformer.ts); the float64 twin is reference/nn/models/dit.ts.
import type { Gpu } from '../../gpu/index.ts';
import { NnError } from '../index.ts';
import { ditConfig, type DitConfig, type ModelSize } from './config.ts';
import { TransformerModel } from './transformer.ts';

/**
 * A DiT from a config, or from a preset size and V (then `overrides` adjust the preset). The
 * forward pass takes each sequence's time (sigma or t, as the kernel defines it) in
 * `inputs.time`; with `timeConditioning: false` the time is replaced by 0, as in MDLM.
 */
export function createDit(gpu: Gpu, cfg: DitConfig | { size: ModelSize; vocabSize: number; overrides?: Partial<Omit<DitConfig, 'arch'>> }, opts: { seed?: number } = {}): TransformerModel {
  const c: DitConfig = 'size' in cfg ? ditConfig(cfg.size, cfg.vocabSize, cfg.overrides) : cfg;
  if (c.arch !== 'dit') throw new NnError('createDit', 'arch', `expected a DiT config, got '${(c as { arch: string }).arch}'`);
  return new TransformerModel(gpu, c, opts);
}
