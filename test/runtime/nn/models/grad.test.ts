// The whole tiny model's gradient (every parameter) against the float64 reference, at random
// parameters (zero-initialised layers would hide most paths), with dropout on.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { getGpu, Recorder } from '../../../../runtime/gpu/index.ts';
import { crossEntropy, sumAll, tempTensor } from '../../../../runtime/nn/index.ts';
import { arConfig, ditConfig, inputVocab, type ModelConfig } from '../../../../runtime/nn/models/config.ts';
import { TransformerModel } from '../../../../runtime/nn/models/transformer.ts';
import { referenceLoss } from '../../../../reference/nn/models/dit.ts';
import { assertClose, maxAbs, randInts, randn, upload } from '../helpers.ts';

async function compare(cfg: ModelConfig, B: number, L: number, seed: number, time?: number[]) {
  const gpu = await getGpu();
  const model = new TransformerModel(gpu, cfg, { seed: 1 });
  const reg = model.registry;
  // Random parameters, so every path (gates, output layer) carries signal.
  const flat = new Float32Array(reg.size);
  reg.list.forEach((e, index) => {
    const r = randn(e.count, seed + index * 7, 0.35);
    if (e.name.includes('norm')) for (let i = 0; i < r.length; i++) r[i] = r[i]! + 1;
    flat.set(r, e.offset);
  });
  model.upload(flat);
  const N = B * L;
  const ids = randInts(N, inputVocab(cfg), seed + 1);
  const targets = randInts(N, cfg.vocabSize, seed + 2);
  targets[1] = 0xffffffff;
  const rec = new Recorder(gpu);
  const idsT = upload(gpu, ids, [B, L]);
  const tgT = upload(gpu, targets, [N]);
  const dropoutSeed = 4242;
  const fwd = model.forward(rec, { B, L, ids: idsT, time, dropoutSeed });
  const logits = new Float32Array(N * cfg.vocabSize);
  rec.read(fwd.logits, logits);
  const loss = tempTensor(rec, [N], 'f32');
  const total = tempTensor(rec, [1], 'f32');
  crossEntropy(rec, { logits: fwd.logits, targets: tgT, loss, dlogits: fwd.logits, scale: 1 / N });
  sumAll(rec, loss, total, { scale: 1 / N });
  // Gradients accumulate: stale values (NaN here) must be cleared by zeroGrads before backward.
  gpu.device.queue.writeBuffer(reg.grads.buffer, 0, new Float32Array(reg.size).fill(NaN));
  reg.zeroGrads(rec);
  model.backward(rec, fwd, fwd.logits);
  const lossOut = new Float32Array(1);
  rec.read(total, lossOut);
  const grads = new Float32Array(reg.size);
  rec.read(reg.grads, grads);
  await rec.submit();

  const params = new Map<string, Float64Array>();
  for (const e of reg.list) params.set(e.name, Float64Array.from(flat.subarray(e.offset, e.offset + e.count)));
  const want = referenceLoss(cfg, params, { B, L, ids, time, dropoutSeed }, targets);
  assertClose(logits, want.logits, { rtol: 1e-4, atol: 1e-4 * maxAbs(want.logits), what: 'logits' });
  assert.ok(Math.abs(lossOut[0]! - want.loss) < 1e-5 * Math.abs(want.loss), `loss ${lossOut[0]} vs ${want.loss}`);
  assert.is(want.grads.size, reg.list.length);
  for (const e of reg.list) {
    const w = want.grads.get(e.name)!;
    assert.ok(maxAbs(w) > 0, `${e.name}: the reference gradient is zero (test does not exercise it)`);
    assertClose(grads.subarray(e.offset, e.offset + e.count), w, { rtol: 2e-3, atol: 2e-4 * maxAbs(w), what: `d ${e.name}` });
  }
  model.destroy();
}

test('tiny DiT: logits, loss and every parameter gradient match the float64 reference (dropout on, mask token, 2 layers)', async () => {
  await compare(ditConfig('tiny', 13, { dropout: 0.1 }), 2, 37, 100, [0.25, 0.9]);
});

test('tiny AR: the causal twin matches the float64 reference too', async () => {
  await compare(arConfig('tiny', 13, { dropout: 0.1 }), 2, 20, 200);
});

test.run();
