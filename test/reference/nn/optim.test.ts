// The optimizer references: AdamW's first step is lr * sign(g) (the bias corrections at work),
// and the scaled norm survives gradients whose squares overflow.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { adamwStep, globalNorm, clipCoefficient, emaStep } from '../../../reference/nn/optim.ts';

test('AdamW step 1 moves each parameter by lr * sign(g) (eps aside), plus decoupled decay', () => {
  const s = { p: Float64Array.from([1, -2, 3]), m: new Float64Array(3), v: new Float64Array(3) };
  adamwStep(s, [0.5, -3, 1e-3], { lr: 0.1, step: 1, eps: 1e-12, weightDecay: 0.01 });
  const want = [1 * 0.999 - 0.1, -2 * 0.999 + 0.1, 3 * 0.999 - 0.1];
  want.forEach((w, i) => assert.ok(Math.abs(s.p[i]! - w) < 1e-9, `${s.p[i]} vs ${w}`));
});

test('global norm of huge and tiny gradients; clip coefficient', () => {
  assert.ok(Math.abs(globalNorm([[3e200], [4e200]]) / 5e200 - 1) < 1e-15);
  assert.ok(Math.abs(globalNorm([[3e-200, 4e-200]]) / 5e-200 - 1) < 1e-15);
  assert.is(clipCoefficient(10, 0), 1);
  assert.ok(Math.abs(clipCoefficient(10, 1) - 0.1) < 1e-6);
  assert.is(clipCoefficient(0.5, 1), 1);
});

test('EMA converges to a constant', () => {
  const e = new Float64Array([0]);
  for (let i = 0; i < 2000; i++) emaStep(e, [2], 0.99);
  assert.ok(Math.abs(e[0]! - 2) < 1e-8);
});

test.run();
