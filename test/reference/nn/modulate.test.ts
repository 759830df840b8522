// The adaLN references' gradients against central finite differences.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as ref from '../../../reference/nn/modulate.ts';
import { dot, maxRelErr, numericGrad } from '../../../reference/nn/gradcheck.ts';
import { f64, randn } from '../../runtime/nn/helpers.ts';

const [B, L, D] = [2, 3, 4];

test('modulate: dx, dshift, dscale match finite differences', () => {
  const x = f64(randn(B * L * D, 1));
  const shift = f64(randn(B * D, 2));
  const scale = f64(randn(B * D, 3));
  const w = f64(randn(B * L * D, 4));
  const loss = () => dot(w, ref.modulateForward(x, shift, scale, B, L, D));
  const g = ref.modulateBackward(x, w, scale, B, L, D);
  assert.ok(maxRelErr(g.dx, numericGrad(loss, x), 1e-8) < 1e-7);
  assert.ok(maxRelErr(g.dshift, numericGrad(loss, shift), 1e-8) < 1e-7);
  assert.ok(maxRelErr(g.dscale, numericGrad(loss, scale), 1e-8) < 1e-7);
});

test('gated residual: dx, dy, dgate match finite differences', () => {
  const x = f64(randn(B * L * D, 5));
  const y = f64(randn(B * L * D, 6));
  const gate = f64(randn(B * D, 7));
  const w = f64(randn(B * L * D, 8));
  const loss = () => dot(w, ref.gatedResidualForward(x, gate, y, B, L, D));
  const g = ref.gatedResidualBackward(y, gate, w, B, L, D);
  assert.ok(maxRelErr(g.dx, numericGrad(loss, x), 1e-8) < 1e-7);
  assert.ok(maxRelErr(g.dy, numericGrad(loss, y), 1e-8) < 1e-7);
  assert.ok(maxRelErr(g.dgate, numericGrad(loss, gate), 1e-8) < 1e-7);
});

test.run();
