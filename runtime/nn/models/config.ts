// Model configurations: the types come from specs/checkpoint.schema.json (ModelConfig = DitConfig |
// ArConfig), so a checkpoint's manifest, the run spec and the model agree on one definition.
// Presets follow MDLM/DUO (their "small" DiT is our `base`: d 768, 12 layers, 12 heads, c 128).
import type { ArConfig, DitConfig, ModelConfig } from '../../../specs/types/checkpoint.ts';
import { NnError } from '../errors.ts';

export type { ArConfig, DitConfig, ModelConfig };

export type ModelSize = 'tiny' | 'small' | 'base';

interface SizePreset {
  hidden: number;
  layers: number;
  heads: number;
  condDim: number;
  freqDim: number;
}

export const MODEL_SIZES: Readonly<Record<ModelSize, SizePreset>> = {
  /** For tests: seconds on a software adapter. */
  tiny: { hidden: 32, layers: 2, heads: 2, condDim: 16, freqDim: 32 },
  small: { hidden: 384, layers: 6, heads: 6, condDim: 128, freqDim: 256 },
  /** MDLM's and DUO's "small" DiT (about 85M parameters without the embeddings). */
  base: { hidden: 768, layers: 12, heads: 12, condDim: 128, freqDim: 256 },
};

/** A DiT config of a preset size; `overrides` replace any field. */
export function ditConfig(size: ModelSize, vocabSize: number, overrides: Partial<Omit<DitConfig, 'arch'>> = {}): DitConfig {
  const p = MODEL_SIZES[size];
  const cfg: DitConfig = {
    arch: 'dit',
    vocabSize,
    maskToken: true,
    hidden: p.hidden,
    layers: p.layers,
    heads: p.heads,
    mlpRatio: 4,
    condDim: p.condDim,
    freqDim: p.freqDim,
    timeConditioning: true,
    ropeBase: 10000,
    lnEps: 1e-5,
    dropout: 0.1,
    ...overrides,
  };
  checkModelConfig(cfg);
  return cfg;
}

/** The autoregressive twin of a preset size. */
export function arConfig(size: ModelSize, vocabSize: number, overrides: Partial<Omit<ArConfig, 'arch'>> = {}): ArConfig {
  const p = MODEL_SIZES[size];
  const cfg: ArConfig = {
    arch: 'ar',
    vocabSize,
    hidden: p.hidden,
    layers: p.layers,
    heads: p.heads,
    mlpRatio: 4,
    ropeBase: 10000,
    lnEps: 1e-5,
    dropout: 0.1,
    ...overrides,
  };
  checkModelConfig(cfg);
  return cfg;
}

/** What the schema cannot say: d divisible by heads, an even head size for rotary pairs. */
export function checkModelConfig(cfg: ModelConfig): void {
  const int = (f: string, v: number, min: number) => {
    if (!Number.isInteger(v) || v < min) throw new NnError('model config', f, `must be an integer >= ${min}, got ${v}`);
  };
  int('vocabSize', cfg.vocabSize, 2);
  int('hidden', cfg.hidden, 2);
  int('layers', cfg.layers, 1);
  int('heads', cfg.heads, 1);
  int('mlpRatio', cfg.mlpRatio, 1);
  if (cfg.hidden % cfg.heads) throw new NnError('model config', 'heads', `hidden ${cfg.hidden} is not divisible by ${cfg.heads} heads`);
  if ((cfg.hidden / cfg.heads) % 2) throw new NnError('model config', 'heads', `the head size ${cfg.hidden / cfg.heads} must be even (rotary pairs)`);
  if (!(cfg.dropout >= 0 && cfg.dropout < 1)) throw new NnError('model config', 'dropout', `must be in [0, 1), got ${cfg.dropout}`);
  if (!(cfg.lnEps > 0)) throw new NnError('model config', 'lnEps', `must be positive, got ${cfg.lnEps}`);
  if (!(cfg.ropeBase > 1)) throw new NnError('model config', 'ropeBase', `must be > 1, got ${cfg.ropeBase}`);
  if (cfg.arch === 'dit') {
    int('condDim', cfg.condDim, 1);
    int('freqDim', cfg.freqDim, 2);
    if (cfg.freqDim % 2) throw new NnError('model config', 'freqDim', `must be even, got ${cfg.freqDim}`);
  }
}

/** Rows of the input embedding: V, plus the [MASK] row V when the kernel has one. */
export function inputVocab(cfg: ModelConfig): number {
  return cfg.arch === 'dit' && cfg.maskToken ? cfg.vocabSize + 1 : cfg.vocabSize;
}
