// The float64 reference of the whole model: its gradients against central finite differences, at
// random (not zero-initialised) parameters so every path carries signal, with dropout on.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { referenceForward, referenceLoss, type RefBatch } from '../../../../reference/nn/models/dit.ts';
import { arConfig, ditConfig, inputVocab, type ModelConfig } from '../../../../runtime/nn/models/config.ts';
import { modelTensors, registryShape } from '../../../../runtime/nn/models/params.ts';
import { randInts, randn } from '../../../runtime/nn/helpers.ts';

function randomParams(cfg: ModelConfig, seed: number): Map<string, Float64Array> {
  const m = new Map<string, Float64Array>();
  modelTensors(cfg).forEach((p, i) => {
    const n = registryShape(p).reduce((a, b) => a * b, 1);
    const x = Float64Array.from(randn(n, seed + 17 * i, 0.4));
    if (p.name.includes('norm')) for (let j = 0; j < n; j++) x[j] = x[j]! + 1;
    m.set(p.name, x);
  });
  return m;
}

/** Probes a few elements of a parameter: analytic gradient against (f(x+h) - f(x-h)) / 2h. */
function probe(cfg: ModelConfig, params: Map<string, Float64Array>, batch: RefBatch, targets: Uint32Array, name: string, idx: number[]): void {
  const { grads } = referenceLoss(cfg, params, batch, targets);
  const g = grads.get(name);
  assert.ok(g, `no gradient for ${name}`);
  const x = params.get(name)!;
  for (const i of idx) {
    const x0 = x[i]!;
    const h = 1e-5;
    x[i] = x0 + h;
    const up = referenceLoss(cfg, params, batch, targets).loss;
    x[i] = x0 - h;
    const down = referenceLoss(cfg, params, batch, targets).loss;
    x[i] = x0;
    const fd = (up - down) / (2 * h);
    const err = Math.abs(fd - g![i]!) / (1e-7 + Math.abs(fd));
    assert.ok(err < 1e-5, `${name}[${i}]: analytic ${g![i]}, finite difference ${fd} (rel err ${err.toExponential(2)})`);
  }
}

const B = 2;
const L = 5;

test('DiT reference: gradients match finite differences (adaLN, time MLP, rotary attention, dropout)', () => {
  const cfg = ditConfig('tiny', 7, { hidden: 8, heads: 2, layers: 2, condDim: 6, freqDim: 8, dropout: 0.2 });
  const params = randomParams(cfg, 1);
  const ids = randInts(B * L, inputVocab(cfg), 2);
  ids[3] = cfg.vocabSize; // a [MASK]
  const batch: RefBatch = { B, L, ids, time: [0.3, 0.85], dropoutSeed: 1234 };
  const targets = randInts(B * L, cfg.vocabSize, 3);
  targets[4] = 0xffffffff; // an ignored position
  const probes: Array<[string, number[]]> = [
    ['vocab_embed.embedding', [ids[0]! * 8, ids[7]! * 8 + 5]],
    ['sigma_map.mlp.0.weight', [0, 13]],
    ['sigma_map.mlp.2.bias', [4]],
    ['blocks.0.norm1.weight', [2]],
    ['blocks.0.attn_qkv.weight', [3, 8 * 8 + 7, 16 * 8 + 1]], // a q, a k and a v row
    ['blocks.1.attn_out.weight', [10]],
    ['blocks.0.mlp.0.bias', [30]],
    ['blocks.1.mlp.2.weight', [77]],
    ['blocks.1.adaLN_modulation.weight', [5, 6 * 8 * 2 + 1, 6 * 5 * 8 - 1]],
    ['blocks.0.adaLN_modulation.bias', [20, 44]],
    ['output_layer.adaLN_modulation.weight', [9]],
    ['output_layer.norm_final.weight', [7]],
    ['output_layer.linear.weight', [0, 55]],
    ['output_layer.linear.bias', [6]],
  ];
  for (const [name, idx] of probes) probe(cfg, params, batch, targets, name, idx);
});

test('DiT reference: time conditioning off ignores the time; every parameter gets a gradient', () => {
  const cfg = ditConfig('tiny', 7, { hidden: 8, heads: 2, layers: 1, condDim: 6, freqDim: 8, dropout: 0, timeConditioning: false });
  const params = randomParams(cfg, 4);
  const ids = randInts(B * L, 8, 5);
  const a = referenceForward(cfg, params, { B, L, ids, time: [0.1, 0.2] }).logits;
  const b = referenceForward(cfg, params, { B, L, ids, time: [0.9, 0.5] }).logits;
  assert.equal(Array.from(a), Array.from(b));
  const on = { ...cfg, timeConditioning: true };
  const c = referenceForward(on, params, { B, L, ids, time: [0.9, 0.5] }).logits;
  assert.not.equal(Array.from(a), Array.from(c));
  const { grads } = referenceLoss(cfg, params, { B, L, ids, time: [0.1, 0.2] }, randInts(B * L, 7, 6));
  for (const p of modelTensors(cfg)) assert.ok(grads.get(p.name)?.some((v) => v !== 0), `${p.name} has no gradient`);
});

test('AR reference: causal (a later token cannot change an earlier logit); gradients match finite differences', () => {
  const cfg = arConfig('tiny', 6, { hidden: 8, heads: 2, layers: 2, dropout: 0.1 });
  const params = randomParams(cfg, 7);
  const ids = randInts(B * L, 6, 8);
  const base = referenceForward(cfg, params, { B, L, ids }).logits;
  const ids2 = Uint32Array.from(ids);
  ids2[3] = (ids2[3]! + 1) % 6;
  const moved = referenceForward(cfg, params, { B, L, ids: ids2 }).logits;
  assert.equal(Array.from(moved.subarray(0, 3 * 6)), Array.from(base.subarray(0, 3 * 6)));
  assert.not.equal(Array.from(moved.subarray(3 * 6, 4 * 6)), Array.from(base.subarray(3 * 6, 4 * 6)));
  const targets = randInts(B * L, 6, 9);
  const batch = { B, L, ids, dropoutSeed: 99 };
  for (const [name, idx] of [['blocks.0.attn_qkv.weight', [1, 70, 150]], ['blocks.1.norm2.weight', [3]], ['output_layer.linear.weight', [11]], ['vocab_embed.embedding', [ids[2]! * 8 + 1]]] as const) {
    probe(cfg, params, batch, targets, name, [...idx]);
  }
});

test.run();
