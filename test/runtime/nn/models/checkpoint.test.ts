// A checkpoint holds the model in PyTorch's layout (Linear weights [out, in], MDLM's names): the
// float64 reference fed from the FILES (as a PyTorch user would read them, transposing Linear
// weights into y = x W^T) gives the GPU model's logits; and a file changed behind the manifest is
// refused naming the file.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getGpu, Recorder } from '../../../../runtime/gpu/index.ts';
import { CheckpointError, loadCheckpoint } from '../../../../runtime/io/index.ts';
import { createAr, createDit, expectedTensors, loadModelCheckpoint, saveModelCheckpoint, type TransformerModel } from '../../../../runtime/nn/models/index.ts';
import { referenceForward } from '../../../../reference/nn/models/dit.ts';
import { assertClose, maxAbs, randInts, randn, upload } from '../helpers.ts';

async function roundTrip(model: TransformerModel, time?: number[]) {
  const gpu = model.gpu;
  const reg = model.registry;
  const flat = new Float32Array(reg.size);
  reg.list.forEach((p, i) => flat.set(randn(p.count, 50 + i, 0.3), p.offset));
  model.upload(flat);
  const dir = mkdtempSync(join(tmpdir(), 'dlmk-ckpt-model-'));
  try {
    await saveModelCheckpoint(dir, model, {}, { step: 0, seed: 1 });
    const c = await loadCheckpoint(dir, { model: model.cfg, params: expectedTensors(model) });
    for (const t of model.tensors) assert.equal([...c.weights.get(t.name)!.shape], [...t.shape], t.name);
    // The reference takes y = x W + b with W [in, out]: transpose PyTorch's [out, in].
    const params = new Map<string, Float64Array>();
    for (const t of model.tensors) {
      const w = c.weights.get(t.name)!.data;
      if (t.kind !== 'linear') params.set(t.name, Float64Array.from(w));
      else {
        const [o, i] = t.shape as [number, number];
        const x = new Float64Array(w.length);
        for (let r = 0; r < o; r++) for (let k = 0; k < i; k++) x[k * o + r] = w[r * i + k]!;
        params.set(t.name, x);
      }
    }
    const B = 2;
    const L = 9;
    const ids = randInts(B * L, model.inputVocab, 77);
    const rec = new Recorder(gpu);
    const fwd = model.forward(rec, { B, L, ids: upload(gpu, ids, [B, L]), time });
    const got = new Float32Array(B * L * model.cfg.vocabSize);
    rec.read(fwd.logits, got);
    await rec.submit();
    const want = referenceForward(model.cfg, params, { B, L, ids, time }).logits;
    assertClose(got, want, { rtol: 1e-4, atol: 1e-4 * maxAbs(want), what: `${model.cfg.arch} logits from the checkpoint` });

    // Loading restores the same weights into a model with other ones.
    model.upload(new Float32Array(reg.size));
    await loadModelCheckpoint(dir, model);
    const back = new Float32Array(reg.size);
    rec.read(reg.params, back);
    await rec.submit();
    assert.equal(Array.from(back), Array.from(flat));

    // One flipped byte in the weights: refused, naming the file.
    const p = join(dir, 'model.safetensors');
    const b = readFileSync(p);
    b[b.length - 5] = b[b.length - 5]! ^ 0x40;
    writeFileSync(p, b);
    try {
      await loadModelCheckpoint(dir, model);
      assert.unreachable('loaded a corrupt file');
    } catch (err) {
      assert.instance(err, CheckpointError);
      assert.is((err as CheckpointError).file, 'model.safetensors');
      assert.match((err as CheckpointError).reason, /sha256 mismatch/);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    model.destroy();
  }
}

test('DiT checkpoint: PyTorch layout and names; the reference fed from the files gives the GPU logits', async () => {
  await roundTrip(createDit(await getGpu(), { size: 'tiny', vocabSize: 11, overrides: { dropout: 0 } }, { seed: 2 }), [0.3, 0.7]);
});

test('AR checkpoint: the same for the causal twin', async () => {
  await roundTrip(createAr(await getGpu(), { size: 'tiny', vocabSize: 11, overrides: { dropout: 0 } }, { seed: 2 }));
});

test.run();
