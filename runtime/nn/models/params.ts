// The parameters of a denoiser, named as in MDLM's and DUO's PyTorch DiT (so a state_dict loads
// with the same keys; docs/checkpoint.md), with PyTorch's [out, in] weight layout, and their
// initialisation. Zero-initialised, as in MDLM: every adaLN projection (adaLN-zero: gates start
// at 0, so each block starts as the identity) and the output layer (logits start uniform).
import { fanIn, type Init } from './init.ts';
import { inputVocab, type ModelConfig } from './config.ts';

export interface ParamSpec {
  readonly name: string;
  readonly shape: readonly number[];
  readonly init: Init;
}

const zeros: Init = { kind: 'zeros' };
const ones: Init = { kind: 'ones' };

function linear(out: ParamSpec[], name: string, nOut: number, nIn: number, bias: boolean, init: 'default' | 'zero' = 'default'): void {
  out.push({ name: `${name}.weight`, shape: [nOut, nIn], init: init === 'zero' ? zeros : fanIn(nIn) });
  if (bias) out.push({ name: `${name}.bias`, shape: [nOut], init: init === 'zero' ? zeros : fanIn(nIn) });
}

/** Every parameter of the model, in a fixed order (the flat layout's order). */
export function modelParams(cfg: ModelConfig): ParamSpec[] {
  const d = cfg.hidden;
  const F = cfg.mlpRatio * d;
  const out: ParamSpec[] = [];
  out.push({ name: 'vocab_embed.embedding', shape: [inputVocab(cfg), d], init: fanIn(d) });
  const dit = cfg.arch === 'dit';
  if (dit) {
    linear(out, 'sigma_map.mlp.0', cfg.condDim, cfg.freqDim, true);
    linear(out, 'sigma_map.mlp.2', cfg.condDim, cfg.condDim, true);
  }
  for (let i = 0; i < cfg.layers; i++) {
    const p = `blocks.${i}`;
    out.push({ name: `${p}.norm1.weight`, shape: [d], init: ones });
    linear(out, `${p}.attn_qkv`, 3 * d, d, false);
    linear(out, `${p}.attn_out`, d, d, false);
    out.push({ name: `${p}.norm2.weight`, shape: [d], init: ones });
    linear(out, `${p}.mlp.0`, F, d, true);
    linear(out, `${p}.mlp.2`, d, F, true);
    if (dit) linear(out, `${p}.adaLN_modulation`, 6 * d, cfg.condDim, true, 'zero');
  }
  out.push({ name: 'output_layer.norm_final.weight', shape: [d], init: ones });
  linear(out, 'output_layer.linear', cfg.vocabSize, d, true, 'zero');
  if (dit) linear(out, 'output_layer.adaLN_modulation', 2 * d, cfg.condDim, true, 'zero');
  return out;
}

export function paramCount(cfg: ModelConfig): number {
  return modelParams(cfg).reduce((n, p) => n + p.shape.reduce((a, b) => a * b, 1), 0);
}
