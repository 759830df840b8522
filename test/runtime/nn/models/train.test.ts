// Training behaviour of the tiny DiT: it overfits one batch; two runs with one seed give the same
// bits; a run resumed from a checkpoint (weights, AdamW moments, step, EMA) continues bit-identically.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getGpu, Recorder } from '../../../../runtime/gpu/index.ts';
import { ditConfig, type DitConfig } from '../../../../runtime/nn/models/config.ts';
import { loadModelCheckpoint, saveModelCheckpoint } from '../../../../runtime/nn/models/checkpoint.ts';
import { AdamWOptimizer, EmaWeights, type AdamWOptions } from '../../../../runtime/nn/index.ts';
import { crossEntropyLoss, trainStep } from '../../../../runtime/nn/models/train-step.ts';
import { TransformerModel } from '../../../../runtime/nn/models/transformer.ts';
import { CheckpointError } from '../../../../runtime/io/index.ts';
import type { Tensor } from '../../../../runtime/nn/index.ts';
import { bitsEqual, randInts, rng, upload } from '../helpers.ts';

const V = 24;
const B = 4;
const L = 16;

/** A batch of step `s`: clean tokens, a masked copy (about half masked), per-sequence times. */
function batch(seed: number, maskRate = 0.5) {
  const x0 = randInts(B * L, V, seed);
  const u = rng(seed + 1);
  const xt = x0.map((v) => (u() < maskRate ? V : v));
  const time = Array.from({ length: B }, () => u());
  return { x0, xt, time };
}

async function setup(cfg: DitConfig, seed: number, opts: AdamWOptions, emaDecay?: number) {
  const gpu = await getGpu();
  const model = new TransformerModel(gpu, cfg, { seed });
  const opt = new AdamWOptimizer(model.registry, opts);
  const rec = new Recorder(gpu);
  const ema = emaDecay === undefined ? undefined : new EmaWeights(model.registry, emaDecay, rec);
  // EmaWeights records its initial copy; submit it now, so a checkpoint loaded next is not overwritten by it.
  await rec.submit({ wait: true });
  return { gpu, model, opt, ema, rec };
}

function release(s: Awaited<ReturnType<typeof setup>>): void {
  s.model.destroy();
  for (const t of [s.opt.m, s.opt.v, s.opt.stats, ...(s.ema ? [s.ema.values] : [])]) t.buffer.destroy();
}

async function stepOn(s: Awaited<ReturnType<typeof setup>>, b: ReturnType<typeof batch>, dropoutSeed?: number) {
  const ids = upload(s.gpu, b.xt, [B, L]);
  const targets = upload(s.gpu, b.x0, [B * L]);
  const r = await trainStep(s.rec, s.model, { opt: s.opt, ema: s.ema }, { B, L, ids, time: b.time, dropoutSeed }, crossEntropyLoss(targets));
  ids.buffer.destroy();
  targets.buffer.destroy();
  return r;
}

async function snapshot(s: Awaited<ReturnType<typeof setup>>) {
  const reg = s.model.registry;
  const read = (t: Tensor) => {
    const a = new Float32Array(reg.size);
    s.rec.read(t, a);
    return a;
  };
  const out = { p: read(reg.params), m: read(s.opt.m), v: read(s.opt.v), ema: read(s.ema!.values) };
  await s.rec.submit();
  return out;
}

test('a tiny DiT overfits one batch: the loss falls below 5% of its start', async () => {
  const s = await setup(ditConfig('tiny', V, { dropout: 0 }), 3, { lr: 1e-2, maxGradNorm: 1 });
  const b = batch(11);
  const t0 = Date.now();
  const first = await stepOn(s, b);
  assert.ok(Math.abs(first.loss - Math.log(V)) < 1e-4, `zero-initialised output: the first loss is log V, got ${first.loss}`);
  let last = first.loss;
  let steps = 1;
  while (steps < 400 && last >= 0.05 * first.loss) {
    last = (await stepOn(s, b)).loss;
    steps++;
  }
  const ms = Date.now() - t0;
  assert.ok(last < 0.05 * first.loss, `after ${steps} steps the loss is ${last}, start ${first.loss}`);
  console.log(`  overfit: ${first.loss.toFixed(3)} -> ${last.toFixed(4)} in ${steps} steps, ${ms} ms`);
  release(s);
});

const opts: AdamWOptions = { lr: 3e-3, maxGradNorm: 1, weightDecay: 0.01 };
const EMA = 0.9;

async function run(seed: number, steps: number, from = 0, s?: Awaited<ReturnType<typeof setup>>) {
  s ??= await setup(ditConfig('tiny', V, { dropout: 0.1 }), seed, opts, EMA);
  for (let k = from; k < from + steps; k++) await stepOn(s, batch(100 + k), 7000 + k);
  return s;
}

test('same seed, same result: two runs give bit-identical weights, moments and EMA after 5 steps (dropout on)', async () => {
  const a = await run(5, 5);
  const b = await run(5, 5);
  const c = await run(6, 5);
  const [sa, sb, sc] = [await snapshot(a), await snapshot(b), await snapshot(c)];
  assert.ok(bitsEqual(sa.p, sb.p), 'weights differ');
  assert.ok(bitsEqual(sa.m, sb.m) && bitsEqual(sa.v, sb.v), 'moments differ');
  assert.ok(bitsEqual(sa.ema, sb.ema), 'EMA differs');
  assert.not.ok(bitsEqual(sa.p, sc.p), 'another seed gave the same weights');
  for (const s of [a, b, c]) release(s);
});

test('resume from a checkpoint continues bit-identically (weights, AdamW moments and step, EMA)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dlmk-resume-'));
  try {
    const straight = await run(9, 6);
    const want = await snapshot(straight);
    const first = await run(9, 3);
    const manifest = await saveModelCheckpoint(dir, first.model, { opt: first.opt, ema: first.ema }, { step: 3, seed: 9 });
    assert.is(manifest.optimizer?.step, 3);
    assert.ok(manifest.files.optimizer && manifest.files.ema);
    // A fresh model with other weights: everything must come from the checkpoint.
    const resumed = await setup(ditConfig('tiny', V, { dropout: 0.1 }), 12345, opts, EMA);
    const m2 = await loadModelCheckpoint(dir, resumed.model, { opt: resumed.opt, ema: resumed.ema });
    assert.is(m2.step, 3);
    assert.is(resumed.opt.step, 3);
    await run(9, 3, 3, resumed);
    const got = await snapshot(resumed);
    assert.ok(bitsEqual(got.p, want.p), 'weights differ after resuming');
    assert.ok(bitsEqual(got.m, want.m) && bitsEqual(got.v, want.v), 'moments differ after resuming');
    assert.ok(bitsEqual(got.ema, want.ema), 'EMA differs after resuming');
    // A model of another shape is refused, naming the manifest's field.
    const other = await setup(ditConfig('tiny', V, { dropout: 0.1, hidden: 64 }), 1, opts);
    try {
      await loadModelCheckpoint(dir, other.model, { opt: other.opt });
      assert.unreachable('loaded a checkpoint of another width');
    } catch (err) {
      assert.instance(err, CheckpointError);
      assert.match((err as CheckpointError).message, /manifest\.json: model mismatch: hidden 32 \(expected 64\)/);
    }
    for (const s of [straight, first, resumed, other]) release(s);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
