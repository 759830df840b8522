import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Expr } from '../../../specs/types/kernel.ts';
import * as X from '../../../compiler/expr/build.ts';
import { checkConstantSum, checkFinite, checkNonNegative, explainNonFinite, ExprError } from '../../../compiler/expr/index.ts';
import { builtinSchedule } from '../../../compiler/schedules.ts';

const t = X.t;
const lt = (a: Expr, b: Expr | number): Expr => ({ k: 'binary', op: '<', a, b: typeof b === 'number' ? X.num(b) : b });

test('non-negativity proven by intervals, including where the function touches 0', () => {
  assert.equal(checkNonNegative(t), { ok: true, how: 'symbolic' });
  assert.equal(checkNonNegative(X.mul(t, X.sub(1, t))), { ok: true, how: 'symbolic' });
  assert.equal(checkNonNegative(X.pow(X.sub(t, 0.5), 2)), { ok: true, how: 'symbolic' });
  // 2t - t^2 is 0 at t = 0 and intervals alone never prove [0, d] (2[0,d] - [0,d^2] dips below
  // 0): the leaf is proven by a derivative >= 0 and the value 0 at its left end.
  assert.equal(checkNonNegative(X.sub(X.mul(2, t), X.pow(t, 2))), { ok: true, how: 'symbolic' });
  assert.equal(checkNonNegative(X.call('sin', X.mul(Math.PI, t))), { ok: true, how: 'symbolic' });
  assert.equal(checkNonNegative({ k: 'if', cond: lt(t, 0.5), then: t, else: X.sub(1, t) }), { ok: true, how: 'symbolic' });
  for (const [name, args] of [['loglinear', {}], ['linear', {}], ['geometric', {}], ['cosine', {}], ['loglinear', { eps: 1e-6 }]] as const) {
    assert.equal(checkNonNegative(builtinSchedule(name, args).sigma!), { ok: true, how: 'symbolic' }, name);
  }
  // Parameters are substituted first; +inf counts as >= 0 (sigma of loglinear(0) at t = 1).
  assert.equal(checkNonNegative(X.mul(X.param('k'), t), { params: { k: 2 } }), { ok: true, how: 'symbolic' });
  assert.equal(checkNonNegative(X.div(1, X.sub(1, t))).ok, true);
});

test('no proof but no negative value: the grid says so', () => {
  // floor(2t) (t - 0.5) >= 0 (it is -0 below 1/2); intervals cannot decide the leaf at 1/2.
  assert.equal(checkNonNegative(X.mul(X.call('floor', X.mul(2, t)), X.sub(t, 0.5))), { ok: true, how: 'grid' });
});

test('a negative value is found and reported at its worst t, also between grid points', () => {
  const r = checkNonNegative(X.sub(t, 0.3));
  assert.equal(r, { ok: false, t: 0, value: -0.3 });
  // sin(6t) < 0 on (pi/6, pi/3): worst at pi/4... of -cos: d/dt sin(6t) = 6 cos(6t), worst -6 at t = pi/6.
  const w = checkNonNegative(X.mul(6, X.call('cos', X.mul(6, t))));
  assert.ok(!w.ok && Math.abs(w.t - Math.PI / 6) < 1e-6 && Math.abs(w.value + 6) < 1e-9, JSON.stringify(w));
  // (t - c)^2 - 1e-12 is negative only within 1e-6 of c = 0.30001, far narrower than the grid
  // step (1/4096): the refinement around local minima must find it.
  const c = 0.30001;
  const dip = checkNonNegative(X.sub(X.pow(X.sub(t, c), 2), 1e-12));
  assert.ok(!dip.ok && Math.abs(dip.t - c) < 1e-6 && dip.value < 0, JSON.stringify(dip));
  // NaN is not >= 0.
  const nan = checkNonNegative(X.call('sqrt', X.sub(t, 0.5)));
  assert.ok(!nan.ok && Number.isNaN(nan.value) && nan.t < 0.5, JSON.stringify(nan));
  // Another range of t. simplify assumes t in [0, 1] (min(t, 1) is t there), so beyond it the
  // expression is checked as written: 1 - min(t, 1) >= 0 on [0, 2], while 1 - t is not.
  assert.equal(checkNonNegative(X.sub(t, 0.3), { t: [0.3, 2] }), { ok: true, how: 'symbolic' });
  assert.equal(checkNonNegative(X.sub(1, X.call('min', t, 1)), { t: [0, 2] }).ok, true);
  assert.equal(checkNonNegative(X.sub(1, t), { t: [0, 2] }), { ok: false, t: 2, value: -1 });
});

test('what a check cannot evaluate is an ExprError that says why', () => {
  assert.throws(() => checkNonNegative(X.mul(X.param('gamma'), t)), (e: unknown) => e instanceof ExprError && /parameter 'gamma' with no value/.test((e as Error).message));
  assert.throws(() => checkNonNegative(X.mul(X.s, t)), (e: unknown) => e instanceof ExprError && /depend only on t, but s \* t reads s/.test((e as Error).message));
  assert.throws(() => checkNonNegative(X.field('prob')), (e: unknown) => e instanceof ExprError && /per-token fields \(prob\)/.test((e as Error).message));
  assert.throws(() => checkNonNegative(t, { t: [1, 0] }), (e: unknown) => e instanceof ExprError && /not a finite interval/.test((e as Error).message));
});

test('weights that sum to 1: symbolic when the sum simplifies to 1, else intervals or the grid', () => {
  const g = X.param('global');
  assert.equal(checkConstantSum([X.sub(1, g), g], 1, { params: { global: 0.2 } }), { ok: true, how: 'symbolic' });
  // Without a value g may be inf (inf - inf is NaN), so nothing is proven and the check asks for it.
  assert.throws(() => checkConstantSum([X.sub(1, g), g], 1), (e: unknown) => e instanceof ExprError && /a weight uses parameter 'global' with no value/.test((e as Error).message));
  assert.equal(checkConstantSum([t, X.sub(1, t)], 1), { ok: true, how: 'symbolic' });
  assert.equal(checkConstantSum([X.num(0.3), X.num(0.7)], 1), { ok: true, how: 'symbolic' });
  const sq = (e: Expr) => X.pow(e, 2);
  assert.equal(checkConstantSum([sq(X.call('sin', X.mul(3, t))), sq(X.call('cos', X.mul(3, t)))], 1), { ok: true, how: 'grid' });
  assert.equal(checkConstantSum([X.num(0.3), X.num(0.6)], 1), { ok: false, t: 0, value: 0.8999999999999999 });
  const drift = checkConstantSum([X.mul(0.5, t), X.num(0.5)], 1);
  assert.ok(!drift.ok && drift.t === 0 && drift.value === 0.5, JSON.stringify(drift));
  const bump = checkConstantSum([X.sub(1, t), X.mul(t, X.sub(1, X.mul(1e-3, X.call('sin', X.mul(9, t)))))], 1);
  // The sum is 1 - 1e-3 t sin(9t): farthest from 1 where sin(9t) + 9t cos(9t) = 0, t = 0.8865.
  assert.ok(!bump.ok && Math.abs(bump.t - 0.8865) < 1e-3 && Math.abs(bump.value - 0.99912036) < 1e-8, JSON.stringify(bump));
});

test('finiteness: proven, infinite at an end, or a pole between grid points', () => {
  assert.equal(checkFinite(builtinSchedule('loglinear').Lambda!), { ok: true, how: 'symbolic' });
  assert.equal(checkFinite(X.call('tan', X.mul(1.5, t))), { ok: true, how: 'symbolic' });
  assert.equal(checkFinite(X.neg(X.call('log', X.sub(1, t)))), { ok: false, t: 1, value: Infinity });
  const pole = checkFinite(X.div(1, X.sub(t, 0.3)));
  assert.ok(!pole.ok && Math.abs(pole.t - 0.3) < 1e-9, JSON.stringify(pole));
  const squarePole = checkFinite(X.div(1, X.pow(X.sub(t, 0.3), 2)));
  assert.ok(!squarePole.ok && Math.abs(squarePole.t - 0.3) < 1e-6, JSON.stringify(squarePole));
});

test('explainNonFinite names the sub-expression and the value that broke it', () => {
  const m = (e: Expr, at: number) => explainNonFinite(e, { t: at })?.message;
  assert.is(m(X.neg(X.call('log', X.sub(1, t))), 1), 'log of a value <= 0 at t = 1 (1 - t = 0)');
  assert.is(m(X.call('log', X.sub(t, 0.5)), 0), 'log of a negative value at t = 0 (t - 0.5 = -0.5)');
  assert.is(m(X.mul(2, X.div(1, X.sub(1, t))), 1), 'division by zero at t = 1 (1 - t = 0)');
  assert.is(m(X.call('sqrt', X.sub(t, 1)), 0.5), 'sqrt of a negative value at t = 0.5 (t - 1 = -0.5)');
  assert.is(m(X.call('exp', X.mul(1000, t)), 1), 'exp overflows at t = 1: its argument 1000 * t = 1000 is above 709.78');
  assert.is(m(X.pow(X.sub(t, 1), -1), 1), '0 raised to a negative power at t = 1 (t - 1 = 0 raised to -1 = -1)');
  assert.is(m(X.call('log1p', X.neg(t)), 1), 'log1p of a value <= -1 at t = 1 (-t = -1)');
  assert.is(explainNonFinite(X.mul(X.param('k'), X.call('log', t)), { t: 0, params: { k: 2 } })?.message, 'log of a value <= 0 at t = 0 (t = 0)');
  assert.is(m(X.add(t, 1), 0.5), undefined);
});

test.run();
