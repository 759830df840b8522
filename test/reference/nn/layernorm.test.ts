// The LayerNorm reference's gradients against central finite differences.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { layerNormBackward, layerNormForward } from '../../../reference/nn/layernorm.ts';
import { dot, maxRelErr, numericGrad } from '../../../reference/nn/gradcheck.ts';
import { f64, randn } from '../../runtime/nn/helpers.ts';

test('LayerNorm gradients (x and gamma) match finite differences', () => {
  for (const [rows, D] of [[3, 5], [2, 16]] as const) {
    const x = f64(randn(rows * D, 1 + D, 2));
    const gamma = f64(randn(D, 2 + D));
    const w = f64(randn(rows * D, 3 + D));
    const eps = 1e-5;
    const loss = () => dot(w, layerNormForward(x, D, gamma, eps).y);
    const { dx, dgamma } = layerNormBackward(x, w, D, gamma, eps);
    assert.ok(maxRelErr(dx, numericGrad(loss, x), 1e-6) < 1e-6, 'dx');
    assert.ok(maxRelErr(dgamma, numericGrad(loss, gamma), 1e-6) < 1e-6, 'dgamma');
    const noScale = () => dot(w, layerNormForward(x, D, undefined, eps).y);
    assert.ok(maxRelErr(layerNormBackward(x, w, D, undefined, eps).dx, numericGrad(noScale, x), 1e-6) < 1e-6, 'dx without gamma');
  }
});

test('LayerNorm output rows have mean 0 and variance 1 - eps-ish', () => {
  const D = 32;
  const { y } = layerNormForward(f64(randn(D * 4, 9, 3)), D, undefined, 0);
  for (let r = 0; r < 4; r++) {
    const row = y.subarray(r * D, r * D + D);
    const m = row.reduce((a, b) => a + b, 0) / D;
    const v = row.reduce((a, b) => a + (b - m) ** 2, 0) / D;
    assert.ok(Math.abs(m) < 1e-12 && Math.abs(v - 1) < 1e-12);
  }
});

test.run();
