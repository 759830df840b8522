// A whole training step of a small model (embedding -> LayerNorm -> Linear -> GELU -> Linear ->
// weighted cross-entropy, backward, clipping, AdamW, EMA) recorded into ONE command buffer with
// one submit and one readback: gradients against a float64 composition of the references, the
// loss going down, and two runs from the same seed agreeing bit for bit.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Recorder, getGpu } from '../../../runtime/gpu/index.ts';
import {
  AdamWOptimizer, EmaWeights, Linear, ParamRegistry, crossEntropy, embeddingBackward, embeddingForward, geluBackward, geluForward,
  layerNormBackward, layerNormForward, sumAll, tempTensor, type Tensor,
} from '../../../runtime/nn/index.ts';
import * as R from '../../../reference/nn/index.ts';
import { assertClose, bitsEqual, maxAbs, randInts, randn, upload } from './helpers.ts';

const [N, V, D, F] = [24, 37, 16, 40];

function build(gpu: Awaited<ReturnType<typeof getGpu>>, seed: number) {
  const reg = new ParamRegistry(gpu, seed);
  const table = reg.add('embed', { shape: [V, D], init: { kind: 'normal', std: 1 }, decay: false });
  const gamma = reg.add('ln.gamma', { shape: [D], init: { kind: 'ones' } });
  const l1 = new Linear(reg, 'fc1', D, F);
  const l2 = new Linear(reg, 'fc2', F, V);
  reg.finalize();
  return { reg, table, gamma, l1, l2 };
}

type Model = ReturnType<typeof build>;

/** Records forward + backward; returns the activations it used (for the reference). */
function record(rec: Recorder, m: Model, ids: Tensor, targets: Tensor, weights: Tensor, lossOut: Tensor) {
  m.reg.zeroGrads(rec);
  const t = (shape: number[]) => tempTensor(rec, shape);
  const e = t([N, D]);
  embeddingForward(rec, { ids, table: m.table.value, out: e });
  const ln = t([N, D]);
  const saved = layerNormForward(rec, { x: e, y: ln, gamma: m.gamma.value, eps: 1e-5 });
  const h = t([N, F]);
  m.l1.forward(rec, ln, h);
  const a = t([N, F]);
  geluForward(rec, h, a);
  const z = t([N, V]);
  m.l2.forward(rec, a, z);
  const loss = t([N]);
  const dz = t([N, V]);
  crossEntropy(rec, { logits: z, targets, weights, loss, dlogits: dz, scale: 1 / N });
  sumAll(rec, loss, lossOut, { scale: 1 / N });
  const da = t([N, F]);
  m.l2.backward(rec, { x: a, dy: dz, dx: da });
  const dh = t([N, F]);
  geluBackward(rec, h, da, dh);
  const dln = t([N, D]);
  m.l1.backward(rec, { x: ln, dy: dh, dx: dln });
  const de = t([N, D]);
  layerNormBackward(rec, { x: e, dy: dln, dx: de, saved, gamma: m.gamma.value, dgamma: m.gamma.grad, accumulateGamma: true });
  embeddingBackward(rec, { ids, dout: de, dtable: m.table.grad, accumulate: true });
}

function data(gpu: Awaited<ReturnType<typeof getGpu>>) {
  const idh = randInts(N, V, 1);
  const th = randInts(N, V, 2);
  const wh = randn(N, 3).map(Math.abs);
  return {
    idh, th, wh,
    ids: upload(gpu, idh, [N]), targets: upload(gpu, th, [N]), weights: upload(gpu, wh, [N]),
  };
}

test('one recorded step: gradients of every parameter match a float64 composition (rtol 1e-4)', async () => {
  const gpu = await getGpu();
  const rec = new Recorder(gpu);
  const m = build(gpu, 7);
  const d = data(gpu);
  const lossT = upload(gpu, new Float32Array(1), [1]);
  record(rec, m, d.ids, d.targets, d.weights, lossT);
  const grads = new Map<string, Float32Array>();
  const params = new Map<string, Float32Array>();
  m.reg.readAll(rec, grads, 'grads');
  m.reg.readAll(rec, params, 'params');
  const lossH = new Float32Array(1);
  rec.read(lossT, lossH);
  await rec.submit();

  const P = (n: string) => params.get(n)!;
  const e = R.embeddingForward(d.idh, P('embed'), V, D);
  const ln = R.layerNormForward(e, D, P('ln.gamma'), 1e-5);
  const h = R.linearForward(ln.y, P('fc1.weight'), P('fc1.bias'), N, D, F);
  const a = R.geluForward(h);
  const z = R.linearForward(a, P('fc2.weight'), P('fc2.bias'), N, F, V);
  const ce = R.crossEntropy(z, d.th, V, { weights: d.wh, scale: 1 / N });
  const g2 = R.linearBackward(a, P('fc2.weight'), ce.dlogits, N, F, V);
  const dh = R.geluBackward(h, g2.dx);
  const g1 = R.linearBackward(ln.y, P('fc1.weight'), dh, N, D, F);
  const lb = R.layerNormBackward(e, g1.dx, D, P('ln.gamma'), 1e-5);
  const dtable = R.embeddingBackward(d.idh, lb.dx, V, D);
  const want: Record<string, Float64Array> = {
    'fc2.weight': g2.dW, 'fc2.bias': g2.db, 'fc1.weight': g1.dW, 'fc1.bias': g1.db, 'ln.gamma': lb.dgamma, embed: dtable,
  };
  for (const [name, w] of Object.entries(want)) {
    assertClose(grads.get(name)!, w, { rtol: 1e-4, atol: 1e-4 * maxAbs(w), what: `d${name}` });
  }
  assertClose(lossH, [ce.loss.reduce((x, y) => x + y, 0) / N], { rtol: 1e-5, what: 'loss' });
});

async function train(seed: number, steps: number) {
  const gpu = await getGpu();
  const rec = new Recorder(gpu);
  const m = build(gpu, seed);
  const d = data(gpu);
  const opt = new AdamWOptimizer(m.reg, { lr: 3e-2, weightDecay: 0.01, maxGradNorm: 1 });
  const ema = new EmaWeights(m.reg, 0.9, rec);
  const lossT = upload(gpu, new Float32Array(1), [1]);
  const losses: number[] = [];
  const lossH = new Float32Array(1);
  const stats = new Float32Array(3);
  for (let s = 0; s < steps; s++) {
    record(rec, m, d.ids, d.targets, d.weights, lossT);
    opt.encodeStep(rec, { lr: 3e-2 * (1 - s / (2 * steps)) });
    ema.encodeUpdate(rec);
    rec.read(lossT, lossH);
    rec.read(opt.stats, stats);
    assert.ok(rec.dispatchCount > 20);
    await rec.submit(); // one submit per step
    losses.push(lossH[0]!);
    assert.is(stats[2], 1);
  }
  const final = new Map<string, Float32Array>();
  m.reg.readAll(rec, final, 'params');
  const emaH = new Float32Array(m.reg.size);
  rec.read(ema.values, emaH);
  await rec.submit();
  return { losses, final, emaH };
}

test('AdamW steps lower the loss; two runs from the same seed agree bit for bit', async () => {
  const a = await train(3, 12);
  assert.ok(a.losses[11]! < 0.7 * a.losses[0]!, `losses ${a.losses.map((x) => x.toFixed(3)).join(' ')}`);
  const b = await train(3, 12);
  assert.equal(a.losses, b.losses);
  for (const [name, v] of a.final) assert.ok(bitsEqual(v, b.final.get(name)!), name);
  assert.ok(bitsEqual(a.emaH, b.emaH));
});

test.run();
