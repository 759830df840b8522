// The autoregressive baseline: next-token targets, and a tiny AR model overfitting one batch with
// the next-token loss (whose denominator counts only predicted positions).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { getGpu, Recorder } from '../../../../runtime/gpu/index.ts';
import { AdamWOptimizer } from '../../../../runtime/nn/index.ts';
import { createAr, nextTokenLoss, nextTokenTargets, NO_TARGET, trainStep } from '../../../../runtime/nn/models/index.ts';
import { randInts, upload } from '../helpers.ts';

test('nextTokenTargets shifts by one and leaves each last position without a target', () => {
  assert.equal(Array.from(nextTokenTargets([5, 6, 7, 1, 2, 3], 2, 3)), [6, 7, NO_TARGET, 2, 3, NO_TARGET]);
  assert.throws(() => nextTokenTargets([1, 2, 3], 2, 3), /expected 6 ids, got 3/);
});

test('a tiny AR model overfits one batch: next-token loss below 5% of its start', async () => {
  const gpu = await getGpu();
  const V = 20;
  const [B, L] = [4, 16];
  const model = createAr(gpu, { size: 'tiny', vocabSize: V, overrides: { dropout: 0 } }, { seed: 4 });
  const opt = new AdamWOptimizer(model.registry, { lr: 1e-2, maxGradNorm: 1 });
  const rec = new Recorder(gpu);
  const x = randInts(B * L, V, 9);
  const ids = upload(gpu, x, [B, L]);
  const targets = upload(gpu, nextTokenTargets(x, B, L), [B * L]);
  const loss = nextTokenLoss(targets, B, L);
  const first = (await trainStep(rec, model, { opt }, { B, L, ids }, loss)).loss;
  assert.ok(Math.abs(first - Math.log(V)) < 1e-4, `zero-initialised output: the first loss is log V, got ${first}`);
  let last = first;
  for (let s = 0; s < 300 && last >= 0.05 * first; s++) last = (await trainStep(rec, model, { opt }, { B, L, ids }, loss)).loss;
  assert.ok(last < 0.05 * first, `loss ${last} from ${first}`);
  model.destroy();
});

test.run();
