// Sentence mode: the tiny DiT (and the AR twin) with a key padding mask against the float64
// reference (logits at every position, every parameter gradient of a loss masked at padding by
// positionMask), and the invariance that defines padding: other token ids at padded positions
// change neither the logits of real positions nor any parameter gradient. ModelDenoiser passes the
// mask on.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { getGpu, Recorder, type Gpu } from '../../../../runtime/gpu/index.ts';
import { crossEntropy, positionMask, sumAll, tempTensor } from '../../../../runtime/nn/index.ts';
import { arConfig, ditConfig, inputVocab, type ModelConfig } from '../../../../runtime/nn/models/config.ts';
import { TransformerModel } from '../../../../runtime/nn/models/transformer.ts';
import { referenceLoss } from '../../../../reference/nn/models/dit.ts';
import { ModelDenoiser, modelTimes } from '../../../../runtime/denoiser/index.ts';
import { createKernelRuntime } from '../../../../runtime/kernel/index.ts';
import * as IR from '../../../helpers/ir.ts';
import { assertClose, bitsEqual, maxAbs, randInts, randn, upload } from '../helpers.ts';

/** [B, L]: sequence b has real length lens[b], then padding. */
function maskOf(L: number, lens: readonly number[]): Float32Array {
  const m = new Float32Array(lens.length * L);
  lens.forEach((n, b) => m.fill(1, b * L, b * L + n));
  return m;
}

function randomParams(model: TransformerModel, seed: number): Float32Array {
  const reg = model.registry;
  const flat = new Float32Array(reg.size);
  reg.list.forEach((e, index) => {
    const r = randn(e.count, seed + index * 7, 0.35);
    if (e.name.includes('norm')) for (let i = 0; i < r.length; i++) r[i] = r[i]! + 1;
    flat.set(r, e.offset);
  });
  return flat;
}

interface Step {
  logits: Float32Array;
  loss: number;
  grads: Float32Array;
}

/** One masked step: forward, cross-entropy, positionMask on loss rows and dlogits, backward. */
async function step(gpu: Gpu, model: TransformerModel, B: number, L: number, ids: Uint32Array, targets: Uint32Array, mask: Float32Array, time?: number[]): Promise<Step> {
  const N = B * L;
  const V = model.cfg.vocabSize;
  const rec = new Recorder(gpu);
  const idsT = upload(gpu, ids, [B, L]);
  const tgT = upload(gpu, targets, [N]);
  const keyMask = upload(gpu, mask, [B, L]);
  const fwd = model.forward(rec, { B, L, ids: idsT, time, dropoutSeed: 4242, keyMask });
  const out: Step = { logits: new Float32Array(N * V), loss: 0, grads: new Float32Array(model.registry.size) };
  rec.read(fwd.logits, out.logits);
  const loss = tempTensor(rec, [N], 'f32');
  const total = tempTensor(rec, [1], 'f32');
  crossEntropy(rec, { logits: fwd.logits, targets: tgT, loss, dlogits: fwd.logits, scale: 1 / N });
  positionMask(rec, { mask: keyMask, loss, grad: fwd.logits });
  sumAll(rec, loss, total, { scale: 1 / N });
  model.registry.zeroGrads(rec);
  model.backward(rec, fwd, fwd.logits);
  const lossOut = new Float32Array(1);
  rec.read(total, lossOut);
  rec.read(model.registry.grads, out.grads);
  await rec.submit();
  for (const t of [idsT, tgT, keyMask]) t.buffer.destroy();
  out.loss = lossOut[0]!;
  return out;
}

const worst: Record<string, number> = {};

async function compare(cfg: ModelConfig, B: number, L: number, lens: number[], seed: number, time?: number[]) {
  const gpu = await getGpu();
  const model = new TransformerModel(gpu, cfg, { seed: 1 });
  const flat = randomParams(model, seed);
  model.upload(flat);
  const N = B * L;
  const ids = randInts(N, inputVocab(cfg), seed + 1);
  const targets = randInts(N, cfg.vocabSize, seed + 2);
  const mask = maskOf(L, lens);
  const got = await step(gpu, model, B, L, ids, targets, mask, time);
  const reg = model.registry;
  const params = new Map<string, Float64Array>();
  for (const e of reg.list) params.set(e.name, Float64Array.from(flat.subarray(e.offset, e.offset + e.count)));
  const want = referenceLoss(cfg, params, { B, L, ids, time, dropoutSeed: 4242, keyMask: mask }, targets, mask);
  const what = `${cfg.arch} lens ${lens}`;
  assertClose(got.logits, want.logits, { rtol: 1e-4, atol: 1e-4 * maxAbs(want.logits), what: `logits ${what}` });
  assert.ok(Math.abs(got.loss - want.loss) < 1e-5 * Math.abs(want.loss), `loss ${got.loss} vs ${want.loss}`);
  let gErr = 0;
  for (const e of reg.list) {
    const w = want.grads.get(e.name)!;
    assert.ok(maxAbs(w) > 0, `${e.name}: the reference gradient is zero (test does not exercise it)`);
    const g = got.grads.subarray(e.offset, e.offset + e.count);
    assertClose(g, w, { rtol: 2e-3, atol: 2e-4 * maxAbs(w), what: `d ${e.name} ${what}` });
    let err = 0;
    for (let i = 0; i < w.length; i++) err = Math.max(err, Math.abs(g[i]! - w[i]!));
    gErr = Math.max(gErr, err / maxAbs(w));
  }
  let lErr = 0;
  for (let i = 0; i < want.logits.length; i++) lErr = Math.max(lErr, Math.abs(got.logits[i]! - want.logits[i]!));
  worst[`${cfg.arch} logits`] = lErr / maxAbs(want.logits);
  worst[`${cfg.arch} gradients`] = gErr;
  model.destroy();
}

test('tiny DiT with a key mask: logits and every parameter gradient (loss masked at padding) match float64 (rtol 1e-4 / 2e-3 as unmasked)', async () => {
  // The last sequence is all padding: its rows see no key (O = 0) and contribute nothing.
  await compare(ditConfig('tiny', 13, { dropout: 0.1 }), 4, 24, [20, 24, 7, 0], 300, [0.25, 0.9, 1.7, 0.5]);
});

test('tiny AR with a key mask (causal and padded): matches float64 too', async () => {
  await compare(arConfig('tiny', 13, { dropout: 0.1 }), 2, 20, [13, 20], 400);
});

test('padding is invisible: other ids at padded positions leave real logits and every parameter gradient unchanged (bits)', async () => {
  const gpu = await getGpu();
  const cfg = ditConfig('tiny', 13, { dropout: 0.1 });
  const model = new TransformerModel(gpu, cfg, { seed: 1 });
  model.upload(randomParams(model, 500));
  const [B, L] = [3, 24];
  const lens = [20, 24, 7];
  const mask = maskOf(L, lens);
  const ids = randInts(B * L, inputVocab(cfg), 501);
  const targets = randInts(B * L, cfg.vocabSize, 502);
  const other = ids.slice();
  const junk = randInts(B * L, inputVocab(cfg), 503);
  for (let i = 0; i < other.length; i++) if (mask[i] === 0) other[i] = junk[i]!;
  const otherTargets = targets.map((t, i) => (mask[i] === 0 ? (t + 5) % cfg.vocabSize : t));
  assert.ok(other.some((x, i) => x !== ids[i]), 'the test changes some padded ids');
  const time = [0.3, 1.1, 2.0];
  const a = await step(gpu, model, B, L, ids, targets, mask, time);
  const b = await step(gpu, model, B, L, other, otherTargets, mask, time);
  const V = cfg.vocabSize;
  for (let n = 0; n < B * L; n++) {
    if (mask[n] === 0) continue;
    assert.ok(bitsEqual(a.logits.subarray(n * V, (n + 1) * V), b.logits.subarray(n * V, (n + 1) * V)), `logits of real position ${n}`);
  }
  assert.is(a.loss, b.loss);
  // Values, not bits: a parameter that only padding touches may get +0 in one run and -0 in the other.
  const diff = a.grads.findIndex((x, i) => x !== b.grads[i]);
  assert.is(diff, -1, `gradient element ${diff}: ${a.grads[diff]} vs ${b.grads[diff]}`);
  // The same ids with no mask do change the real logits (the check has teeth).
  const rec = new Recorder(gpu);
  const outs = [ids, other].map(() => new Float32Array(B * L * V));
  const idsT = [ids, other].map((x) => upload(gpu, x, [B, L]));
  idsT.forEach((t, k) => rec.read(model.forward(rec, { B, L, ids: t, time }).logits, outs[k]!));
  await rec.submit();
  for (const t of idsT) t.buffer.destroy();
  assert.not.ok(bitsEqual(outs[0]!.subarray(0, V), outs[1]!.subarray(0, V)), 'without the mask, padding leaks into position 0');
  model.destroy();
});

test('ModelDenoiser passes its inputs\' keyMask on: its logits are the masked model\'s', async () => {
  const gpu = await getGpu();
  const V = 13;
  const model = new TransformerModel(gpu, ditConfig('tiny', V, { dropout: 0 }), { seed: 1 });
  model.upload(randomParams(model, 600));
  const den = new ModelDenoiser(model, await createKernelRuntime(gpu, IR.masking(), { V }));
  const [B, L] = [2, 12];
  const xt = upload(gpu, randInts(B * L, V + 1, 601), [B, L]);
  const keyMask = upload(gpu, maskOf(L, [5, 12]), [B, L]);
  const rec = new Recorder(gpu);
  const t = [0.4, 0.7];
  const out = [new Float32Array(B * L * V), new Float32Array(B * L * V), new Float32Array(B * L * V)];
  rec.read(den.logits(rec, { B, L, xt, t, keyMask }), out[0]!);
  rec.read(den.logits(rec, { B, L, xt, t }), out[1]!);
  rec.read(model.forward(rec, { B, L, ids: xt, keyMask, time: modelTimes(den.rt, t) }).logits, out[2]!);
  await rec.submit();
  assert.ok(bitsEqual(out[0]!, out[2]!), 'denoiser logits with the mask = the masked model\'s');
  assert.not.ok(bitsEqual(out[0]!, out[1]!), 'the mask changes the logits');
  for (const x of [xt, keyMask]) x.buffer.destroy();
  model.destroy();
});

test('(measured errors against float64, max |gpu - ref| / max |ref|)', () => {
  console.log(`  key-masked models: ${Object.entries(worst).map(([k, v]) => `${k} ${v.toExponential(1)}`).join(', ')}`);
});

test.run();
