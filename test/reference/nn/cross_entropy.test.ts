// The cross-entropy reference's gradient against central finite differences.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { crossEntropy } from '../../../reference/nn/cross_entropy.ts';
import { maxRelErr, numericGrad } from '../../../reference/nn/gradcheck.ts';
import { f64, randn } from '../../runtime/nn/helpers.ts';

test('cross-entropy: dlogits is the gradient of scale * sum of losses (weights, ignored rows)', () => {
  const V = 6;
  const targets = [2, 0, 5, 9, 3];
  const weights = [0.5, 2, 1, 1, 0];
  const z = f64(randn(targets.length * V, 3, 4));
  const scale = 0.3;
  const loss = () => scale * crossEntropy(z, targets, V, { weights, ignore: 5 }).loss.reduce((a, b) => a + b, 0);
  const g = crossEntropy(z, targets, V, { weights, scale, ignore: 5 }).dlogits;
  assert.ok(maxRelErr(g, numericGrad(loss, z), 1e-8) < 1e-6);
  assert.is(crossEntropy(z, targets, V, { ignore: 5 }).loss[2], 0);
});

test('cross-entropy of uniform logits is log V', () => {
  const r = crossEntropy(new Float64Array(10).fill(3), [1, 4], 5);
  assert.ok(Math.abs(r.loss[0]! - Math.log(5)) < 1e-15);
});

test.run();
