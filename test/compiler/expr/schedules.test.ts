import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import type { Expr, Schedule } from '../../../specs/types/kernel.ts';
import * as X from '../../../compiler/expr/build.ts';
import { equalExpr, evalExpr, ExprError, formatExpr } from '../../../compiler/expr/index.ts';
import {
  builtinSchedule,
  checkSchedule,
  describeSchedule,
  exprSchedule,
  formatRange,
  inRange,
  SCHEDULES,
  scheduleArgs,
} from '../../../compiler/schedules.ts';
import { checkAgainst } from '../../../specs/validate.ts';
import * as IR from '../../helpers/ir.ts';

const at = (e: Expr | null, t: number) => evalExpr(e!, { t });
const grid = Array.from({ length: 101 }, (_, i) => i / 100);
const close = (a: number, b: number, rel = 1e-13) => Math.abs(a - b) <= rel * Math.max(1, Math.abs(b));

test('loglinear and mutual_info are the hand-built IR of test/helpers/ir.ts; linear agrees with it numerically', () => {
  for (const eps of [1e-3, 1e-5, 0.3]) {
    const mine = builtinSchedule('loglinear', { eps });
    const theirs = IR.loglinear(eps);
    assert.ok(equalExpr(mine.Lambda!, theirs.Lambda!), `${formatExpr(mine.Lambda!)} vs ${formatExpr(theirs.Lambda!)}`);
    assert.ok(equalExpr(mine.sigma!, theirs.sigma!), `${formatExpr(mine.sigma!)} vs ${formatExpr(theirs.sigma!)}`);
    assert.equal(mine.args, theirs.args);
  }
  assert.equal(builtinSchedule('mutual_info'), IR.mutualInfo());
  assert.equal(builtinSchedule('mutual_info', { eps: 0.01 }), IR.mutualInfo(0.01));
  for (const [min, max] of [[0, 10], [1, 3]] as const) {
    const mine = builtinSchedule('linear', { min, max });
    const theirs = IR.linear(min, max);
    assert.equal(mine.args, theirs.args);
    for (const t of grid) {
      assert.is(at(mine.Lambda, t), at(theirs.Lambda, t));
      assert.is(at(mine.sigma, t), at(theirs.sigma, t));
    }
  }
});

test('each built-in is its documented formula: alpha_t, Lambda(0), Lambda(1)', () => {
  const eps = 1e-3;
  const ll = builtinSchedule('loglinear');
  const cos = builtinSchedule('cosine');
  const geo = builtinSchedule('geometric', { min: 0.01, max: 7 });
  const lin = builtinSchedule('linear', { min: 0.5, max: 4 });
  for (const t of grid) {
    assert.ok(close(Math.exp(-at(ll.Lambda, t)), 1 - (1 - eps) * t, 1e-12), `loglinear alpha at ${t}`);
    assert.ok(close(Math.exp(-at(cos.Lambda, t)), eps + (1 - eps) * Math.cos((Math.PI * t) / 2), 1e-12), `cosine alpha at ${t}`);
    assert.ok(close(at(geo.Lambda, t), 0.01 ** (1 - t) * 7 ** t), `geometric at ${t}`);
    assert.ok(close(at(geo.sigma, t), at(geo.Lambda, t) * Math.log(7 / 0.01), 1e-12), `geometric sigma at ${t}`);
    assert.ok(close(at(lin.Lambda, t), 0.5 + 3.5 * t), `linear at ${t}`);
  }
  assert.is(at(ll.Lambda, 0), 0);
  assert.is(at(cos.Lambda, 0), 0);
  assert.ok(close(at(ll.Lambda, 1), -Math.log(eps), 1e-12));
  assert.ok(close(at(geo.Lambda, 1), 7));
});

test('the IR of every built-in validates against specs/kernel.schema.json', () => {
  for (const name of Object.keys(SCHEDULES)) {
    const s = builtinSchedule(name);
    assert.equal(checkAgainst('kernel', IR.masking(s)), [], name);
    assert.equal(checkAgainst('kernel', IR.everything(s)), [], name);
  }
  assert.equal(checkAgainst('kernel', IR.uniform(exprSchedule(X.mul(3, X.pow(X.t, 2))))), []);
});

test('SCHEDULES lists every argument with a default inside its range', () => {
  for (const [name, info] of Object.entries(SCHEDULES)) {
    assert.ok(info.doc.length > 20 && info.formula.length > 0, name);
    for (const a of info.args) assert.ok(inRange(a.default, a.range), `${name}.${a.name} = ${a.default} outside ${formatRange(a.range)}`);
  }
  assert.is(formatRange(SCHEDULES.loglinear.args[0]!.range), '(0, 1)');
  assert.is(formatRange(SCHEDULES.linear.args[0]!.range), '[0, inf)');
  assert.equal(scheduleArgs('geometric', { max: 5 }), { min: 1e-3, max: 5 });
});

test('unknown schedules and arguments are ExprErrors with a suggestion', () => {
  assert.throws(() => builtinSchedule('loglinaer'), (e: unknown) => e instanceof ExprError && /unknown schedule 'loglinaer' \(did you mean 'loglinear'\?\)/.test((e as Error).message));
  assert.throws(() => builtinSchedule('cosine', { epsilon: 0.1 }), (e: unknown) => e instanceof ExprError && /cosine has no argument 'epsilon' \(did you mean 'eps'\?\); its arguments are eps/.test((e as Error).message));
});

test('every built-in passes checkSchedule with its defaults and with other sound arguments', () => {
  const sets: Array<[string, Record<string, number>]> = [
    ['loglinear', {}], ['loglinear', { eps: 1e-8 }], ['linear', {}], ['linear', { min: 2, max: 2 }],
    ['geometric', {}], ['geometric', { min: 1, max: 1 }], ['cosine', {}], ['cosine', { eps: 0.9 }], ['mutual_info', {}],
  ];
  for (const [name, args] of sets) assert.equal(checkSchedule(builtinSchedule(name, args)), [], `${name} ${JSON.stringify(args)}`);
  assert.equal(checkSchedule(exprSchedule(X.neg(X.call('log', X.sub(1, X.mul(X.param('c'), X.pow(X.t, 2)))))), { c: 0.99 }), []);
});

function messages(s: Schedule, params = {}): string[] {
  return checkSchedule(s, params).map((p) => `${p.severity}: ${p.message}`);
}

test('bad built-in arguments are explained, with what they would break', () => {
  const [ll] = messages(builtinSchedule('loglinear', { eps: 0 }));
  assert.ok(ll!.startsWith('error: loglinear(eps = 0): eps = 0 is outside (0, 1): alpha_1 = 1 - (1 - eps) = 0 gives Lambda(1) = -log(0) = +inf, reached only in the limit t -> 1'), ll);
  assert.match(ll!, /Use a small eps > 0/);
  assert.match(messages(builtinSchedule('cosine', { eps: 0 }))[0]!, /cos\(pi\/2\) = 0 gives Lambda\(1\) = \+inf in exact arithmetic/);
  assert.match(messages(builtinSchedule('loglinear', { eps: 1 }))[0]!, /alpha_1 would be >= 1, so nothing is ever corrupted/);
  assert.match(messages(builtinSchedule('geometric', { min: 0 }))[0]!, /min = 0 is outside \(0, inf\): log\(min\) appears in sigma/);
  assert.equal(messages(builtinSchedule('linear', { min: 5, max: 1 })), [
    'error: linear(min = 5, max = 1): max < min makes Lambda(t) decrease (sigma < 0), which no Markov chain can do; swap them',
  ]);
  const p = checkSchedule(builtinSchedule('loglinear', { eps: 0 }))[0]!;
  assert.is(p.arg, 'eps');
});

test('bad expression schedules: infinite Lambda, Lambda(0) < 0, decreasing, unbounded sigma, wrong inputs', () => {
  assert.equal(messages(exprSchedule(X.neg(X.call('log', X.sub(1, X.t))))), [
    'error: Lambda(t) = -log(1 - t): Lambda(t) is +inf at t = 1: log of a value <= 0 at t = 1 (1 - t = 0). Lambda may approach +inf only in the limit t -> 1; keep alpha_1 = exp(-Lambda(1)) > 0 (an eps > 0)',
  ]);
  assert.equal(messages(exprSchedule(X.div(1, X.sub(X.t, 0.5))))[0]!.split(':').slice(0, 3).join(':'), 'error: Lambda(t) = 1 / (t - 0.5): Lambda(t) is +inf at t = 0.5');
  assert.equal(messages(exprSchedule(X.sub(X.t, 0.5))), ['error: Lambda(t) = t - 0.5: Lambda(0) = -0.5 is negative, so alpha_0 = exp(-Lambda(0)) would exceed 1']);
  const dec = checkSchedule(exprSchedule(X.call('sin', X.mul(6, X.t))));
  assert.is(dec.length, 1);
  assert.ok(Math.abs(dec[0]!.t! - Math.PI / 6) < 1e-6);
  assert.match(dec[0]!.message, /^Lambda\(t\) = sin\(6 \* t\): sigma\(t\) = dLambda\/dt is negative at t = 0\.523599 \(sigma = -6\): Lambda\(t\) must never decrease/);
  assert.equal(messages(exprSchedule(X.call('sqrt', X.t))), [
    'warning: Lambda(t) = sqrt(t): sigma(t) is +inf at t = 0 (division by zero at t = 0 (sqrt(t) = 0)); the loss weight is unbounded there',
  ]);
  assert.equal(messages(exprSchedule(X.mul(X.s, X.t))), ['error: Lambda(t) = s * t: a schedule may depend only on t and parameters, but this one reads s']);
  assert.equal(messages(exprSchedule(X.mul(X.param('k'), X.t))), ["error: Lambda(t) = k * t: this expression uses parameter 'k' with no value"]);
  assert.equal(messages(exprSchedule(X.mul(X.param('k'), X.t)), { k: -1 }).length, 1);
  assert.is(describeSchedule(builtinSchedule('geometric')), 'geometric(min = 0.001, max = 20)');
});

test('docs/schedules.md: every number of its table is what the IR gives', () => {
  const text = readFileSync(new URL('../../../docs/schedules.md', import.meta.url), 'utf8');
  let current = '';
  let checked = 0;
  for (const line of text.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    if (cells.length !== 7 || !['Lambda', 'sigma', 'alpha'].includes(cells[2]!)) continue;
    const name = /^`(\w+)\(\)`$/.exec(cells[1]!)?.[1];
    if (name) current = name;
    assert.ok(current, `a table row before any schedule: ${line}`);
    const s = builtinSchedule(current);
    [0, 0.5, 1].forEach((t, i) => {
      const L = at(s.Lambda, t);
      const want = cells[2] === 'Lambda' ? L : cells[2] === 'sigma' ? at(s.sigma, t) : Math.exp(-L);
      const shown = Number(cells[3 + i]);
      assert.ok(Math.abs(shown - want) <= 5e-6 * Math.abs(want) + 1e-300, `docs/schedules.md: ${current} ${cells[2]} at t = ${t} says ${cells[3 + i]}, the IR gives ${want}`);
      checked++;
    });
  }
  assert.is(checked, 4 * 3 * 3);
});

test.run();
