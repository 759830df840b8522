// The attention reference: gradients against finite differences, causal and not; the causal
// output of row 0 is v_0.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { attentionBackward, attentionForward } from '../../../reference/nn/attention.ts';
import { dot, maxRelErr, numericGrad } from '../../../reference/nn/gradcheck.ts';
import { f64, randn } from '../../runtime/nn/helpers.ts';

for (const causal of [false, true]) {
  test(`attention gradients match finite differences (causal: ${causal})`, () => {
    const [B, H, L, dh] = [1, 2, 4, 3];
    const n = B * H * L * dh;
    const q = f64(randn(n, 1));
    const k = f64(randn(n, 2));
    const v = f64(randn(n, 3));
    const w = f64(randn(n, 4));
    const loss = () => dot(w, attentionForward(q, k, v, B, H, L, dh, { causal }).o);
    const g = attentionBackward(q, k, v, w, B, H, L, dh, { causal });
    assert.ok(maxRelErr(g.dq, numericGrad(loss, q), 1e-6) < 1e-5, 'dq');
    assert.ok(maxRelErr(g.dk, numericGrad(loss, k), 1e-6) < 1e-5, 'dk');
    assert.ok(maxRelErr(g.dv, numericGrad(loss, v), 1e-6) < 1e-5, 'dv');
  });
}

test('causal row 0 attends only to itself', () => {
  const q = f64(randn(6, 5));
  const v = f64(randn(6, 6));
  const { o } = attentionForward(q, f64(randn(6, 7)), v, 1, 1, 3, 2, { causal: true });
  assert.ok(Math.abs(o[0]! - v[0]!) < 1e-15 && Math.abs(o[1]! - v[1]!) < 1e-15);
});

test.run();
