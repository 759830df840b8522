import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Expr } from '../../../specs/types/kernel.ts';
import * as X from '../../../compiler/expr/build.ts';
import { derivative, evalExpr, ExprError, formatExpr, substituteParams, varsUsed, walkExpr, type Fn } from '../../../compiler/expr/index.ts';
import { builtinSchedule, SCHEDULES } from '../../../compiler/schedules.ts';
import { ALL_FNS, randomTree, rng } from './support/random.ts';

const t = X.t;
const D = (e: Expr) => formatExpr(derivative(e, 't'));

/**
 * Central differences with one Richardson step, at two step sizes. Undefined when f is not
 * finite nearby or the two estimates disagree (a kink, a jump, or cancellation): then the point
 * says nothing about the derivative.
 */
function numericDerivative(f: (x: number) => number, x: number): number | undefined {
  const central = (h: number) => (f(x + h) - f(x - h)) / (2 * h);
  const rich = (h: number) => (4 * central(h / 2) - central(h)) / 3;
  // Smaller steps near a singularity; the first pair that agrees wins.
  for (const h0 of [1e-3, 1e-4, 1e-5]) {
    const h = h0 * Math.max(1, Math.abs(x));
    const a = rich(h);
    const b = rich(h / 4);
    if (!Number.isFinite(a) || !Number.isFinite(b)) return undefined;
    if (Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(b))) return b;
  }
  return undefined;
}

/** Some x^y with y depending on the variable has base <= 0 here (documented: the formula uses log x, NaN there). */
function nonPositiveBaseOfVariablePower(e: Expr, env: { t: number; s: number }): boolean {
  let hit = false;
  walkExpr(e, (x) => {
    const base = x.k === 'binary' && x.op === '^' ? x.a : x.k === 'call' && x.fn === 'pow' ? x.args[0]! : undefined;
    const ex = x.k === 'binary' && x.op === '^' ? x.b : x.k === 'call' && x.fn === 'pow' ? x.args[1]! : undefined;
    if (base && ex && varsUsed(ex).size > 0 && !(evalExpr(base, env) > 0)) hit = true;
  });
  return hit;
}

function agrees(symbolic: number, numeric: number): boolean {
  return Math.abs(symbolic - numeric) <= 2e-6 * Math.max(1, Math.abs(numeric));
}

test('derivatives print as a person would write them', () => {
  assert.is(D(X.pow(t, 2)), '2 * t');
  assert.is(D(X.mul(3, t)), '3');
  assert.is(D(X.param('k')), '0');
  assert.is(D(X.mul(X.param('k'), t)), 'k');
  assert.is(D(X.call('exp', X.mul(2, t))), '2 * exp(2 * t)');
  assert.is(D(X.call('log', t)), '1 / t');
  assert.is(D(X.neg(X.call('log', X.sub(1, X.mul(0.999, t))))), '0.999 / (1 - 0.999 * t)');
  assert.is(D(X.call('sin', t)), 'cos(t)');
  assert.is(D(X.call('cos', t)), '-sin(t)');
  assert.is(D(X.pow(2, t)), '0.6931471805599453 * 2^t');
  assert.is(D(X.pow(t, t)), 't^t * (log(t) + 1)');
  assert.is(D(X.call('floor', X.mul(10, t))), '0');
  assert.is(D({ k: 'binary', op: '<', a: t, b: X.num(0.5) }), '0');
  assert.is(D({ k: 'if', cond: { k: 'binary', op: '<', a: t, b: X.num(0.5) }, then: X.pow(t, 2), else: t }), 'if(t < 0.5, 2 * t, 1)');
  assert.is(D(X.call('abs', X.sub(t, 0.5))), 'if(t - 0.5 < 0, -1, 1)');
  assert.is(D(X.call('min', X.mul(2, t), 1)), 'if(2 * t <= 1, 2, 0)');
  assert.is(formatExpr(derivative(X.mul(X.s, t), 's')), 't');
  assert.is(D(X.field('logit')), '0');
  // The product rule never divides by a factor, so nothing is left to cancel.
  assert.is(D(X.pow(X.sub(1, t), -2)), '2 / (1 - t)^3');
  assert.is(D(X.div(t, X.sub(1, t))), '1 / (1 - t) + t / (1 - t)^2');
  assert.is(D(X.mul(t, X.call('exp', t))), 'exp(t) + t * exp(t)');
  assert.is(D(X.neg(X.call('log', X.sub(1, X.mul(X.sub(1, X.param('eps')), X.pow(t, 2)))))), '2 * (1 - eps) * t / (1 - (1 - eps) * t^2)');
});

test('0 * log(t) style terms vanish from derivatives: d(c f)/dt = c f\'', () => {
  // d/dt [2 * log(t)] = 2/t, with no 0 * log(t) left over from the product rule.
  assert.is(D(X.mul(2, X.call('log', t))), '2 / t');
  assert.is(D(X.mul(X.param('k'), X.call('log', t))), 'k / t');
});

test('bad input is an ExprError in words', () => {
  assert.throws(() => derivative({ k: 'call', fn: 'exp', args: [] }, 't'), (e: unknown) => e instanceof ExprError && /exp takes 1 argument, got 0/.test((e as Error).message));
  assert.throws(() => derivative(t, 'step' as 't'), (e: unknown) => e instanceof ExprError && /t or s/.test((e as Error).message));
});

test('the chain rule of every function matches central differences (fn(0.3 + 0.6 t) and variants)', () => {
  const inner = X.add(0.3, X.mul(0.6, t));
  const cases: Array<[Fn, Expr]> = ALL_FNS.map((fn) => {
    switch (fn) {
      case 'pow': return [fn, X.call('pow', inner, X.add(1, t))];
      case 'min':
      case 'max':
        return [fn, X.call(fn, inner, X.sub(1, t), X.mul(0.5, X.call('sin', X.mul(3, t))))];
      case 'clamp': return [fn, X.call('clamp', X.mul(3, X.sub(t, 0.5)), X.mul(-0.5, t), X.sub(1, X.pow(t, 2)))];
      case 'floor':
      case 'ceil':
        return [fn, X.mul(t, X.call(fn, X.mul(4, t)))];
      case 'log1p': return [fn, X.call('log1p', X.mul(-0.9, t))];
      case 'tan': return [fn, X.call('tan', X.mul(1.5, t))];
      case 'abs': return [fn, X.call('abs', X.sub(X.mul(2, t), 1))];
      default: return [fn, X.call(fn, inner)];
    }
  });
  for (const [fn, e] of cases) {
    const de = derivative(e, 't');
    let checked = 0;
    for (let i = 1; i < 50; i++) {
      const x = i / 50 + 0.0037;
      const num = numericDerivative((y) => evalExpr(e, { t: y }), x);
      if (num === undefined) continue;
      const sym = evalExpr(de, { t: x });
      assert.ok(agrees(sym, num), `${fn}: d/dt ${formatExpr(e)} = ${formatExpr(de)} is ${sym} at t = ${x}, numerically ${num}`);
      checked++;
    }
    assert.ok(checked >= 40, `${fn}: only ${checked} of 49 points usable`);
  }
});

test('property: derivative matches central differences on 1000 random trees (seed 1618), in t and in s', () => {
  const r = rng(1618);
  let checked = 0;
  let skipped = 0;
  for (let n = 0; n < 1000; n++) {
    const e = substituteParams(randomTree(r, 5, { vars: ['t', 's'], params: ['p'], discontinuous: n % 3 === 0 }), { p: 0.7 });
    const v = n % 2 === 0 ? 't' : 's';
    const de = derivative(e, v);
    for (let k = 0; k < 6; k++) {
      const x = 0.02 + 0.96 * r();
      const other = 0.02 + 0.96 * r();
      const env = (y: number) => (v === 't' ? { t: y, s: other } : { t: other, s: y });
      const f0 = evalExpr(e, env(x));
      const num = Number.isFinite(f0) ? numericDerivative((y) => evalExpr(e, env(y)), x) : undefined;
      if (num === undefined || Math.abs(f0) > 1e8 || nonPositiveBaseOfVariablePower(e, env(x))) {
        skipped++;
        continue;
      }
      const sym = evalExpr(de, env(x));
      assert.ok(agrees(sym, num), `d/d${v} ${formatExpr(e)}\n = ${formatExpr(de)}\n is ${sym} at ${v} = ${x} (other ${other}), numerically ${num}`);
      checked++;
    }
  }
  assert.ok(checked > 3300, `only ${checked} points compared (${skipped} skipped)`);
});

test('every built-in schedule: sigma = dLambda/dt matches central differences on [0.001, 0.999]', () => {
  const argSets: Record<string, Array<Record<string, number>>> = {
    loglinear: [{}, { eps: 1e-5 }, { eps: 0.5 }],
    linear: [{}, { min: 1, max: 3 }],
    geometric: [{}, { min: 0.1, max: 5 }],
    cosine: [{}, { eps: 0.2 }],
  };
  for (const name of Object.keys(SCHEDULES)) {
    if (name === 'mutual_info') continue;
    for (const args of argSets[name]!) {
      const s = builtinSchedule(name, args);
      for (let i = 0; i <= 100; i++) {
        const x = 0.001 + (0.998 * i) / 100;
        const num = numericDerivative((y) => evalExpr(s.Lambda!, { t: y }), x);
        assert.ok(num !== undefined, `${name}: no clean numeric derivative at ${x}`);
        const sym = evalExpr(s.sigma!, { t: x });
        assert.ok(agrees(sym, num!), `${name}(${JSON.stringify(args)}): sigma = ${formatExpr(s.sigma!)} is ${sym} at t = ${x}, numerically ${num}`);
      }
    }
  }
});

test.run();
