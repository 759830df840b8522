// The RoPE reference: its gradient against finite differences, and rotations preserve norms.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ropeBackward, ropeForward } from '../../../reference/nn/rope.ts';
import { dot, maxRelErr, numericGrad } from '../../../reference/nn/gradcheck.ts';
import { f64, randn } from '../../runtime/nn/helpers.ts';

test('rope: the backward is the gradient (finite differences), and norms are preserved', () => {
  const [B, L, H, dh] = [2, 3, 2, 4];
  const x = f64(randn(B * L * H * dh, 1));
  const w = f64(randn(B * L * H * dh, 2));
  const loss = () => dot(w, ropeForward(x, B, L, H, dh, { pos0: 5 }));
  assert.ok(maxRelErr(ropeBackward(w, B, L, H, dh, { pos0: 5 }), numericGrad(loss, x), 1e-8) < 1e-7);
  const y = ropeForward(x, B, L, H, dh);
  const n2 = (v: Float64Array) => v.reduce((a, b) => a + b * b, 0);
  assert.ok(Math.abs(n2(y) - n2(x)) < 1e-9 * n2(x));
  const back = ropeBackward(y, B, L, H, dh);
  assert.ok(maxRelErr(back, x, 1e-12) < 1e-9);
});

test.run();
