// The tensors of a denoiser as checkpoints hold them: named as in MDLM's and DUO's PyTorch DiT
// (so a state_dict loads with the same keys, docs/checkpoint.md) with PyTorch's shapes (Linear
// weights [out, in]). On the GPU, runtime/nn's Linear keeps weights as [in, out] (y = x W + b);
// `registryShape` gives that layout and layout.ts converts between the two.
import { inputVocab, type ModelConfig } from './config.ts';

export type TensorKind = 'embedding' | 'linear' | 'bias' | 'norm';

export interface TensorSpec {
  readonly name: string;
  /** PyTorch's shape (checkpoint layout). */
  readonly shape: readonly number[];
  readonly kind: TensorKind;
}

function linear(out: TensorSpec[], name: string, nOut: number, nIn: number, bias: boolean): void {
  out.push({ name: `${name}.weight`, shape: [nOut, nIn], kind: 'linear' });
  if (bias) out.push({ name: `${name}.bias`, shape: [nOut], kind: 'bias' });
}

/** Every tensor of the model, in a fixed order (the checkpoint's order). */
export function modelTensors(cfg: ModelConfig): TensorSpec[] {
  const d = cfg.hidden;
  const F = cfg.mlpRatio * d;
  const out: TensorSpec[] = [];
  out.push({ name: 'vocab_embed.embedding', shape: [inputVocab(cfg), d], kind: 'embedding' });
  const dit = cfg.arch === 'dit';
  if (dit) {
    linear(out, 'sigma_map.mlp.0', cfg.condDim, cfg.freqDim, true);
    linear(out, 'sigma_map.mlp.2', cfg.condDim, cfg.condDim, true);
  }
  for (let i = 0; i < cfg.layers; i++) {
    const p = `blocks.${i}`;
    out.push({ name: `${p}.norm1.weight`, shape: [d], kind: 'norm' });
    linear(out, `${p}.attn_qkv`, 3 * d, d, false);
    linear(out, `${p}.attn_out`, d, d, false);
    out.push({ name: `${p}.norm2.weight`, shape: [d], kind: 'norm' });
    linear(out, `${p}.mlp.0`, F, d, true);
    linear(out, `${p}.mlp.2`, d, F, true);
    if (dit) linear(out, `${p}.adaLN_modulation`, 6 * d, cfg.condDim, true);
  }
  out.push({ name: 'output_layer.norm_final.weight', shape: [d], kind: 'norm' });
  linear(out, 'output_layer.linear', cfg.vocabSize, d, true);
  if (dit) linear(out, 'output_layer.adaLN_modulation', 2 * d, cfg.condDim, true);
  return out;
}

/** The shape the GPU registry holds: Linear weights transposed to [in, out]. */
export function registryShape(t: TensorSpec): number[] {
  return t.kind === 'linear' ? [t.shape[1]!, t.shape[0]!] : [...t.shape];
}

export function paramCount(cfg: ModelConfig): number {
  return modelTensors(cfg).reduce((n, p) => n + p.shape.reduce((a, b) => a * b, 1), 0);
}
