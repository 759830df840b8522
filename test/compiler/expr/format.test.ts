import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Expr } from '../../../specs/types/kernel.ts';
import * as X from '../../../compiler/expr/build.ts';
import { equalExpr, evalExpr, formatExpr } from '../../../compiler/expr/index.ts';
import { checkKernel } from '../../../compiler/index.ts';
import { normaliseLiterals, parseExpr } from './support/tiny-parser.ts';
import { randomTime, randomTree, rng } from './support/random.ts';

const a = X.param('a');
const b = X.param('b');
const c = X.param('c');
const x = X.param('x');

test('the four cases of the brief keep their meaning with the fewest parentheses', () => {
  assert.is(formatExpr(X.sub(a, X.sub(b, c))), 'a - (b - c)');
  assert.is(formatExpr(X.sub(X.sub(a, b), c)), 'a - b - c');
  assert.is(formatExpr(X.neg(X.pow(x, 2))), '-x^2');
  assert.is(formatExpr(X.pow(X.neg(x), 2)), '(-x)^2');
  assert.is(formatExpr(X.div(a, X.mul(b, c))), 'a / (b * c)');
  assert.is(formatExpr(X.mul(X.div(a, b), c)), 'a / b * c');
});

test('powers are right-associative; exponents may be unary; negative literals are unary', () => {
  assert.is(formatExpr(X.pow(X.pow(x, 2), 3)), '(x^2)^3');
  assert.is(formatExpr(X.pow(x, X.pow(2, 3))), 'x^2^3');
  assert.is(formatExpr(X.pow(x, -1)), 'x^-1');
  assert.is(formatExpr(X.pow(-2, x)), '(-2)^x');
  assert.is(formatExpr(X.neg(X.neg(x))), '-(-x)');
  assert.is(formatExpr(X.neg(-3)), '-(-3)');
  assert.is(formatExpr(X.sub(a, -3)), 'a - -3');
  assert.is(formatExpr(X.mul(X.add(a, b), X.sub(a, b))), '(a + b) * (a - b)');
  assert.is(formatExpr(X.neg(X.mul(a, b))), '-(a * b)');
});

test('comparisons never chain; logic, if, fields, graph aggregates and numbers print as the grammar reads them', () => {
  const lt: Expr = { k: 'binary', op: '<', a, b };
  assert.is(formatExpr({ k: 'binary', op: '==', a: lt, b: X.num(1) }), '(a < b) == 1');
  assert.is(formatExpr({ k: 'binary', op: '&&', a: lt, b: { k: 'binary', op: '||', a, b } }), 'a < b && (a || b)');
  assert.is(formatExpr({ k: 'unary', op: '!', a: lt }), '!(a < b)');
  assert.is(formatExpr({ k: 'if', cond: lt, then: X.num(1), else: X.t }), 'if(a < b, 1, t)');
  assert.is(formatExpr(X.sub(X.field('logit'), X.mul(0.5, X.graphSum('near', 'count')))), 'logit[v] - 0.5 * near.sum(count)[v]');
  assert.is(formatExpr(X.num(Infinity)), 'inf');
  assert.is(formatExpr(X.mul(2, X.num(-Infinity))), '2 * -inf');
  assert.is(formatExpr(X.num(1e-7)), '1e-7');
  assert.is(formatExpr(X.num(0.1 + 0.2)), '0.30000000000000004');
  assert.is(formatExpr(X.call('clamp', X.t, 0, 1)), 'clamp(t, 0, 1)');
});

test('2000 random trees read back (test parser, same ladder as the grammar) as the same tree and value', () => {
  const r = rng(20240611);
  for (let n = 0; n < 2000; n++) {
    const e = randomTree(r, 5, { vars: ['t', 's'], params: ['p'], discontinuous: true, infinities: true, fields: n % 4 === 0 });
    const text = formatExpr(e);
    const back = parseExpr(text);
    assert.ok(equalExpr(normaliseLiterals(back), normaliseLiterals(e)), `${text}\n${JSON.stringify(e)}\n${JSON.stringify(back)}`);
    if (n % 4 === 0) continue;
    const env = { t: randomTime(r), s: randomTime(r), params: { p: 0.37 } };
    const v1 = evalExpr(e, env);
    const v2 = evalExpr(back, env);
    assert.ok(Object.is(v1, v2) || (v1 === 0 && v2 === 0), `${text}: ${v1} vs ${v2}`);
  }
});

test('no parenthesis is redundant: removing any pair changes the tree or breaks the parse', () => {
  const r = rng(7);
  let checked = 0;
  for (let n = 0; n < 300; n++) {
    const e = randomTree(r, 4, { params: ['p', 'q'], discontinuous: true });
    const text = formatExpr(e);
    const want = normaliseLiterals(e);
    // Every '(' that is not a call's opens a grouping; try dropping each such pair.
    for (let i = 0; i < text.length; i++) {
      if (text[i] !== '(' || /[A-Za-z0-9_]/.test(text[i - 1] ?? '')) continue;
      let depth = 0;
      let j = i;
      for (; j < text.length; j++) {
        if (text[j] === '(') depth++;
        if (text[j] === ')' && --depth === 0) break;
      }
      const dropped = text.slice(0, i) + text.slice(i + 1, j) + text.slice(j + 1);
      let same = false;
      try {
        same = equalExpr(normaliseLiterals(parseExpr(dropped)), want);
      } catch {
        same = false;
      }
      // -(-x) is the one deliberate extra pair: '--x' reads badly.
      const doubleMinus = /[-!]$/.test(text.slice(0, i)) && /^[-!]/.test(text.slice(i + 1));
      assert.ok(!same || doubleMinus, `redundant parentheses in ${text} (dropping gives ${dropped})`);
      checked++;
    }
  }
  assert.ok(checked > 100, `only ${checked} parentheses looked at`);
});

test('120 random trees read back through the real front end (grammar + lowering) as the same tree', () => {
  // A sampler rule admits every kind of node: t, s, step, v, params, fields, graph aggregates.
  const r = rng(77);
  for (let n = 0; n < 120; n++) {
    const e = randomTree(r, 4, { vars: ['t', 's'], params: ['p'], discontinuous: true, infinities: n % 5 === 0 });
    const text = `kernel k "round trip"\nparam p: real = 0.7 in (-inf, inf)\nschedule loglinear\nchannel mask\nloss elbo\nsampler ancestral(steps = 8) {\n  logit[v] += ${formatExpr(e)}\n}\n`;
    const res = checkKernel(text);
    assert.ok(res.spec, `${formatExpr(e)}: ${res.diagnostics.map((d) => d.message).join('; ')}`);
    const rule = res.spec!.sampler.rules[0]!;
    assert.ok(rule.kind === 'logit');
    const back = (rule as { expr: Expr }).expr;
    assert.ok(equalExpr(normaliseLiterals(back), normaliseLiterals(e)), `${formatExpr(e)} came back as ${formatExpr(back)}`);
  }
});

test.run();
