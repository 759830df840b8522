// User-facing errors of the models: each names the op and the argument at fault.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { getGpu, Recorder } from '../../../../runtime/gpu/index.ts';
import { NnError } from '../../../../runtime/nn/index.ts';
import { arConfig, checkModelConfig, createAr, createDit, ditConfig, modelTensors, paramCount } from '../../../../runtime/nn/models/index.ts';
import { randInts, upload } from '../helpers.ts';

function refuses(f: () => unknown, op: string, field: string, re: RegExp): void {
  try {
    f();
  } catch (err) {
    assert.instance(err, NnError, String(err));
    assert.is((err as NnError).op, op);
    assert.is((err as NnError).field, field);
    assert.match((err as NnError).message, re);
    return;
  }
  assert.unreachable(`accepted; expected ${op}: ${field}: ${re}`);
}

test('configs the schema cannot check are refused by name', () => {
  refuses(() => ditConfig('tiny', 10, { heads: 3 }), 'model config', 'heads', /hidden 32 is not divisible by 3 heads/);
  refuses(() => ditConfig('tiny', 10, { hidden: 36, heads: 4 }), 'model config', 'heads', /the head size 9 must be even/);
  refuses(() => arConfig('tiny', 1), 'model config', 'vocabSize', /must be an integer >= 2, got 1/);
  refuses(() => ditConfig('tiny', 10, { freqDim: 15 }), 'model config', 'freqDim', /must be even, got 15/);
  refuses(() => checkModelConfig({ ...arConfig('tiny', 10), dropout: 1 }), 'model config', 'dropout', /must be in \[0, 1\), got 1/);
});

test('presets: MDLM-sized base DiT has the expected tensors and parameter count', () => {
  const cfg = ditConfig('base', 50257);
  const t = modelTensors(cfg);
  assert.is(t.length, 1 + 4 + 12 * 10 + 1 + 2 + 2);
  // embedding (V+1) d + time MLP + 12 blocks + final layer
  const d = 768;
  const block = 2 * d + 3 * d * d + d * d + (4 * d * d + 4 * d) + (4 * d * d + d) + (6 * d * 128 + 6 * d);
  const want = 50258 * d + (128 * 256 + 128 + 128 * 128 + 128) + 12 * block + d + (50257 * d + 50257) + (2 * d * 128 + 2 * d);
  assert.is(paramCount(cfg), want);
});

test('forward refuses wrong ids, a missing time, and a config of the other kind', async () => {
  const gpu = await getGpu();
  const model = createDit(gpu, { size: 'tiny', vocabSize: 10 });
  const rec = new Recorder(gpu);
  const ids = upload(gpu, randInts(12, 11, 1), [12]);
  refuses(() => model.forward(rec, { B: 2, L: 5, ids, time: [0, 1] }), 'model', 'ids', /expected 10 token ids \(B 2 x L 5\), got \[12\]/);
  refuses(() => model.forward(rec, { B: 3, L: 4, ids }), 'model', 'time', /expected 3 times \(one per sequence\), got none/);
  const f32 = upload(gpu, new Float32Array(12), [12]);
  refuses(() => model.forward(rec, { B: 3, L: 4, ids: f32, time: [0, 1, 2] }), 'model', 'ids', /expected u32 ids, got f32/);
  rec.abandon();
  refuses(() => createDit(gpu, arConfig('tiny', 10) as never), 'createDit', 'arch', /expected a DiT config, got 'ar'/);
  refuses(() => createAr(gpu, ditConfig('tiny', 10) as never), 'createAr', 'arch', /expected an AR config, got 'dit'/);
  model.destroy();
});

test.run();

test("a batch whose logits exceed the adapter's storage binding is refused before anything is recorded", async () => {
  const gpu = await getGpu();
  const model = createDit(gpu, { size: 'tiny', vocabSize: 30522 }, { seed: 1 });
  const L = 128;
  const max = model.maxSequences(L);
  assert.is(max, Math.floor(gpu.limits.maxStorageBufferBindingSize / (4 * L * 30522)));
  const rec = new Recorder(gpu);
  let err: unknown;
  try {
    await model.prepare(rec, max + 1, L);
  } catch (e) {
    err = e;
  }
  assert.instance(err, NnError, String(err));
  assert.match((err as Error).message, new RegExp(`${max + 1} sequences of length ${L} make \\[${(max + 1) * L}, 30522\\] logits .* at most ${max} sequences of length ${L} per model call`));
  model.destroy();
});
