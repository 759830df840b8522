import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Expr } from '../../../specs/types/kernel.ts';
import * as X from '../../../compiler/expr/build.ts';
import {
  evalExpr,
  ExprError,
  fieldsUsed,
  formatExpr,
  graphsUsed,
  isConstantIn,
  paramsUsed,
  substituteParams,
  varsUsed,
} from '../../../compiler/expr/index.ts';

// SemDLM+'s penalty, with a time-dependent strength and an if.
const penalty: Expr = X.mul(
  { k: 'if', cond: { k: 'binary', op: '>', a: X.t, b: X.param('t0') }, then: X.param('gamma'), else: X.num(0) },
  X.add(X.field('count'), X.mul(X.param('beta'), X.graphSum('near', 'count'))),
);
const withLogit: Expr = X.sub(X.field('logit', X.add(X.v, X.step)), { k: 'graph_agg', graph: 'far', agg: 'max', of: 'prob', index: X.v });

test('paramsUsed, varsUsed, fieldsUsed, graphsUsed see into every node, indices included', () => {
  assert.equal([...paramsUsed(penalty)].sort(), ['beta', 'gamma', 't0']);
  assert.equal([...varsUsed(penalty)].sort(), ['t', 'v']);
  assert.equal([...fieldsUsed(penalty)], ['count']);
  assert.equal([...graphsUsed(penalty)], ['near']);
  assert.equal([...varsUsed(withLogit)].sort(), ['step', 'v']);
  assert.equal([...fieldsUsed(withLogit)].sort(), ['logit', 'prob']);
  assert.equal([...graphsUsed(withLogit)], ['far']);
  assert.equal(paramsUsed(X.num(1)).size, 0);
});

test('substituteParams replaces what has a value (booleans as 1 and 0) and keeps the rest', () => {
  const e = substituteParams(penalty, { gamma: 0.5, beta: true });
  assert.equal([...paramsUsed(e)], ['t0']);
  assert.is(formatExpr(e), 'if(t > t0, 0.5, 0) * (count[v] + 1 * near.sum(count)[v])');
  const env = { t: 0.9, v: 1, params: { t0: 0.5 }, fields: { count: [0, 2, 1] }, graphs: { near: { rowPtr: [0, 1, 2, 3], col: [1, 2, 0] } } };
  assert.is(evalExpr(e, env), 0.5 * (2 + 1));
  assert.is(formatExpr(substituteParams(X.mul(X.param('x'), X.param('y')), { x: Infinity, y: -Infinity })), 'inf * -inf');
  assert.throws(() => substituteParams(X.param('x'), { x: NaN }), (err: unknown) => err instanceof ExprError && /parameter 'x' is NaN/.test((err as Error).message));
  // The input is not modified.
  assert.equal([...paramsUsed(penalty)].sort(), ['beta', 'gamma', 't0']);
});

test('isConstantIn looks at the simplified expression', () => {
  assert.ok(isConstantIn(X.mul(2, X.param('k')), 't'));
  assert.ok(!isConstantIn(X.mul(2, X.t), 't'));
  assert.ok(isConstantIn(X.sub(X.t, X.t), 't')); // t - t is 0 for every time t
  assert.ok(!isConstantIn(X.sub(X.call('log', X.t), X.call('log', X.t)), 't')); // NaN at t = 0
  assert.ok(isConstantIn(X.mul(X.t, 3), 's'));
  assert.ok(!isConstantIn(penalty, 't'));
  assert.ok(isConstantIn(penalty, 'step'));
});

test.run();
