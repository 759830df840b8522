// The Linear reference's gradients against central finite differences.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { linearBackward, linearForward } from '../../../reference/nn/linear.ts';
import { dot, maxRelErr, numericGrad } from '../../../reference/nn/gradcheck.ts';
import { f64, randn } from '../../runtime/nn/helpers.ts';

test('linear: dW, db, dx match finite differences', () => {
  const [R, I, O] = [3, 4, 5];
  const x = f64(randn(R * I, 1));
  const W = f64(randn(I * O, 2));
  const b = f64(randn(O, 3));
  const w = f64(randn(R * O, 4));
  const loss = () => dot(w, linearForward(x, W, b, R, I, O));
  const g = linearBackward(x, W, w, R, I, O);
  assert.ok(maxRelErr(g.dW, numericGrad(loss, W), 1e-8) < 1e-7);
  assert.ok(maxRelErr(g.db, numericGrad(loss, b), 1e-8) < 1e-7);
  assert.ok(maxRelErr(g.dx, numericGrad(loss, x), 1e-8) < 1e-7);
});

test.run();
