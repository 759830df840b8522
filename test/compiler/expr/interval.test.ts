import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Expr } from '../../../specs/types/kernel.ts';
import * as X from '../../../compiler/expr/build.ts';
import { evalExpr, evalInterval, formatExpr, type Interval } from '../../../compiler/expr/index.ts';
import { addDir, divDir, mulDir, nextDown, nextUp, sqrtDir } from '../../../compiler/expr/rounding.ts';
import { randomTree, rng, type Rand } from './support/random.ts';

// Exact arithmetic on doubles: every finite double is an integer multiple of 2^-1074.
const SCALE = 1074n;
function exact(x: number): bigint {
  const buf = new DataView(new ArrayBuffer(8));
  buf.setFloat64(0, x);
  const bits = buf.getBigUint64(0);
  const sign = bits >> 63n ? -1n : 1n;
  const e = Number((bits >> 52n) & 0x7ffn);
  const frac = bits & ((1n << 52n) - 1n);
  const m = e === 0 ? frac : frac | (1n << 52n);
  const shift = BigInt(Math.max(e, 1) - 1);
  return sign * (m << shift); // value * 2^1074
}

function randomDouble(r: Rand): number {
  const u = r();
  if (u < 0.05) return 0;
  const mant = 1 + r();
  const e = Math.floor(r() * 120) - 60;
  return (r() < 0.5 ? -1 : 1) * mant * 2 ** e;
}

test('nextUp and nextDown step one ulp, across zero and to the infinities', () => {
  assert.is(nextUp(1), 1 + Number.EPSILON);
  assert.is(nextDown(1), 1 - Number.EPSILON / 2);
  assert.is(nextUp(0), Number.MIN_VALUE);
  assert.is(nextDown(0), -Number.MIN_VALUE);
  assert.is(nextUp(-Number.MIN_VALUE), 0);
  assert.is(nextUp(Number.MAX_VALUE), Infinity);
  assert.is(nextDown(-Number.MAX_VALUE), -Infinity);
  assert.is(nextUp(Infinity), Infinity);
});

test('directed +, *, /, sqrt bracket the exact result (10000 random operands, exact BigInt check)', () => {
  const r = rng(31337);
  for (let i = 0; i < 10000; i++) {
    const a = randomDouble(r);
    const b = randomDouble(r);
    // a + b
    const s = exact(a) + exact(b);
    assert.ok(exact(addDir(a, b, -1)) <= s && s <= exact(addDir(a, b, 1)), `add ${a} ${b}`);
    // a * b, compared at scale 2^2148
    const p = exact(a) * exact(b);
    assert.ok(exact(mulDir(a, b, -1)) << SCALE <= p && p <= exact(mulDir(a, b, 1)) << SCALE, `mul ${a} ${b}`);
    if (b !== 0) {
      // lo <= a/b <= hi  <=>  lo*b <= a <= hi*b for b > 0 (reversed for b < 0)
      const lo = exact(divDir(a, b, -1)) * exact(b);
      const hi = exact(divDir(a, b, 1)) * exact(b);
      const A = exact(a) << SCALE;
      assert.ok(b > 0 ? lo <= A && A <= hi : hi <= A && A <= lo, `div ${a} ${b}`);
    }
    const x = Math.abs(a);
    const lo = exact(sqrtDir(x, -1));
    const hi = exact(sqrtDir(x, 1));
    const X2 = exact(x) << SCALE;
    assert.ok(lo * lo <= X2 && X2 <= hi * hi, `sqrt ${x}`);
    // Exact operations are not widened.
    if (Number.isInteger(a) && Math.abs(a) < 2 ** 26) assert.is(addDir(a, 1, -1), a + 1);
  }
  assert.is(mulDir(0.5, 3, -1), 1.5);
  assert.is(divDir(1, 4, 1), 0.25);
  assert.is(sqrtDir(9, -1), 3);
});

function inside(i: Interval, v: number): boolean {
  if (Number.isNaN(v)) return i.nan;
  return i.lo <= v && v <= i.hi;
}

/**
 * Soundness, the property everything else leans on: for random trees and random boxes, every
 * value evalExpr takes at a point of the box (ends included) lies in evalInterval's enclosure,
 * and NaN only where it says NaN is possible.
 */
test('property: evalInterval encloses evalExpr on 2000 random trees x random boxes (seed 2718)', () => {
  const r = rng(2718);
  let points = 0;
  let tight = 0;
  for (let n = 0; n < 2000; n++) {
    const e = randomTree(r, 5, { params: ['p'], discontinuous: n % 2 === 0, infinities: n % 5 === 0 });
    const c = r() * 6 - 3;
    const w = r() < 0.2 ? 0 : r() * (r() < 0.5 ? 0.01 : 2);
    const tBox: [number, number] = [c, c + w];
    const pc = r() * 8 - 4;
    const pBox: [number, number] = r() < 0.1 ? [pc, Infinity] : r() < 0.1 ? [-Infinity, pc] : [pc, pc + r() * 3];
    const enc = evalInterval(e, { t: tBox, params: { p: pBox } });
    const samples: Array<[number, number]> = [
      [tBox[0], pBox[0]],
      [tBox[1], pBox[1]],
      [tBox[0], pBox[1]],
      [tBox[1], pBox[0]],
    ];
    for (let k = 0; k < 12; k++) {
      const pFinite = [Math.max(pBox[0], -1e6), Math.min(pBox[1], 1e6)] as const;
      samples.push([tBox[0] + r() * (tBox[1] - tBox[0]), pFinite[0] + r() * (pFinite[1] - pFinite[0])]);
    }
    for (const [t, p] of samples) {
      const v = evalExpr(e, { t, params: { p } });
      assert.ok(inside(enc, v), `${formatExpr(e)} at t = ${t}, p = ${p}: ${v} is outside [${enc.lo}, ${enc.hi}] nan=${enc.nan}\n box t ${tBox} p ${pBox}`);
      points++;
    }
    if (Number.isFinite(enc.lo) && Number.isFinite(enc.hi) && !enc.nan) tight++;
  }
  assert.ok(points === 32000);
  assert.ok(tight > 400, `only ${tight} of 2000 enclosures were finite and NaN-free: the test would pass a useless evaluator`);
});

test('every function near its edges: poles, domain ends, 1^inf, negative bases, -0 divisors', () => {
  const t = X.t;
  const I = (e: Expr, box: [number, number]) => evalInterval(e, { t: box });
  // tan: a pole inside gives everything; off the central branch it keeps no sign.
  const tp = I(X.call('tan', t), [1.5, 1.7]);
  assert.ok(tp.lo === -Infinity && tp.hi === Infinity);
  const tb = I(X.call('tan', t), [2, 3]);
  assert.ok(tb.lo <= Math.tan(2) && tb.hi >= Math.tan(3) && tb.hi < 0);
  // log: 0 in the box gives -inf, negatives give NaN.
  const l = I(X.call('log', t), [-1, 1]);
  assert.ok(l.lo === -Infinity && l.hi >= 0 && l.nan);
  assert.equal(I(X.call('log', t), [1, 2]).lo, 0);
  // 1^inf is NaN.
  assert.ok(evalInterval(X.pow(t, X.param('p')), { t: [0.5, 2], params: { p: [0, Infinity] } }).nan);
  // Negative base: an integer exponent is fine, a non-integer one is NaN.
  const cube = I(X.pow(t, 3), [-2, -1]);
  assert.ok(cube.lo <= -8 && cube.hi >= -1 && cube.hi < 0 && !cube.nan);
  assert.ok(I(X.pow(t, 0.5), [-2, -1]).nan);
  // Division by an interval holding 0 (possibly -0) is everything.
  const d = I(X.div(1, t), [0, 1]);
  assert.ok(d.lo === -Infinity && d.hi === Infinity);
  // Sign facts that schedule proofs need survive outward rounding.
  assert.ok(I(X.call('sin', X.mul(Math.PI / 2, t)), [0, 1]).lo >= 0);
  assert.ok(I(X.call('cos', X.mul(Math.PI / 2, t)), [0, 1]).lo >= 0);
  assert.ok(I(X.call('exp', t), [0, 1]).lo >= 1);
  assert.ok(I(X.mul(t, t), [0, 1]).lo === 0);
  // Comparisons and if: decided when the boxes do not overlap.
  assert.equal(I({ k: 'binary', op: '<', a: t, b: X.num(2) }, [0, 1]), { lo: 1, hi: 1, nan: false });
  assert.equal(I({ k: 'if', cond: { k: 'binary', op: '<', a: t, b: X.num(0.5) }, then: X.num(3), else: X.num(4) }, [0, 1]), { lo: 3, hi: 4, nan: false });
  // Without a box: t in [0, 1], parameters unknown (maybe infinite).
  assert.equal(evalInterval(X.t), { lo: 0, hi: 1, nan: false });
  assert.equal(evalInterval(X.param('p')), { lo: -Infinity, hi: Infinity, nan: false });
});

test.run();
