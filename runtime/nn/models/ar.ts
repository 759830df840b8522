// The autoregressive baseline: the DiT's blocks with a causal attention mask, plain pre-LayerNorm
// residuals (no adaLN: there is no time input) and the same untied output layer, as DUO's causal
// DiT. Trained with next-token cross-entropy: the logits at position l predict token l + 1.
import type { Gpu } from '../../gpu/index.ts';
import { NnError, type Tensor } from '../index.ts';
import { arConfig, type ArConfig, type ModelSize } from './config.ts';
import { crossEntropyLoss, type LossFn } from './train-step.ts';
import { TransformerModel } from './transformer.ts';

export function createAr(gpu: Gpu, cfg: ArConfig | { size: ModelSize; vocabSize: number; overrides?: Partial<Omit<ArConfig, 'arch'>> }, opts: { seed?: number } = {}): TransformerModel {
  const c: ArConfig = 'size' in cfg ? arConfig(cfg.size, cfg.vocabSize, cfg.overrides) : cfg;
  if (c.arch !== 'ar') throw new NnError('createAr', 'arch', `expected an AR config, got '${(c as { arch: string }).arch}'`);
  return new TransformerModel(gpu, c, opts);
}

/** The ignored target (no loss at the last position of a sequence). */
export const NO_TARGET = 0xffffffff;

/** targets[b, l] = ids[b, l + 1]; the last position of each sequence has NO_TARGET. */
export function nextTokenTargets(ids: ArrayLike<number>, B: number, L: number): Uint32Array {
  if (ids.length !== B * L) throw new NnError('nextTokenTargets', 'ids', `expected ${B * L} ids, got ${ids.length}`);
  const t = new Uint32Array(B * L);
  for (let b = 0; b < B; b++) {
    for (let l = 0; l < L - 1; l++) t[b * L + l] = ids[b * L + l + 1]!;
    t[b * L + L - 1] = NO_TARGET;
  }
  return t;
}

/** Mean next-token cross-entropy over the B * (L - 1) predicted positions (targets from nextTokenTargets, on the GPU). */
export function nextTokenLoss(targets: Tensor, B: number, L: number): LossFn {
  return crossEntropyLoss(targets, { denominator: B * Math.max(1, L - 1), ignoreIndex: NO_TARGET });
}
