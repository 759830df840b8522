// Range checks over t (docs/expressions.md, "Checks"): non-negativity (rates), finiteness
// (cumulative rates) and constant sums (channel weights). Each first tries a proof by interval
// arithmetic with bisection of [lo, hi] (how: 'symbolic'); where that fails it samples a dense
// grid and refines around the worst points (how: 'grid'), and reports the worst t it found.
import type { Expr } from '../../specs/types/kernel.ts';
import { derivative } from './derivative.ts';
import { ExprError } from './errors.ts';
import { evalExpr } from './eval.ts';
import { formatExpr } from './format.ts';
import { evalInterval, isEmpty, isFiniteIv, type Interval } from './interval.ts';
import { mkNum, simplify } from './simplify.ts';
import { substituteParams, type ParamValues } from './substitute.ts';
import { fieldsUsed, paramsUsed, varsUsed, walkExpr } from './uses.ts';

export type CheckResult = { ok: true; how: 'symbolic' | 'grid' } | { ok: false; t: number; value: number };

export interface CheckOptions {
  /** Values of the parameters the expression uses. */
  params?: ParamValues;
  /** The range of t; [0, 1] when not given. */
  t?: readonly [number, number];
}

/** Grid size of the fallback: 2^12 intervals, both endpoints included. */
export const GRID_POINTS = 4097;
const MAX_DEPTH = 18;
const MAX_LEAVES = 6000;
const REFINE_MINIMA = 32;

interface Prepared {
  e: Expr;
  lo: number;
  hi: number;
}

function prepare(e: Expr, opts: CheckOptions, what: string): Prepared {
  const [lo, hi] = opts.t ?? [0, 1];
  if (!(Number.isFinite(lo) && Number.isFinite(hi) && lo <= hi)) throw new ExprError(`the range of t [${lo}, ${hi}] is not a finite interval`);
  // simplify may use t in [0, 1] (VAR_DOMAIN); outside that range the expression is taken as written.
  const substituted = substituteParams(e, opts.params ?? {});
  const x = lo >= 0 && hi <= 1 ? simplify(substituted) : substituted;
  const missing = [...paramsUsed(x)];
  if (missing.length) {
    throw new ExprError(`${what} uses parameter${missing.length > 1 ? 's' : ''} ${missing.map((m) => `'${m}'`).join(', ')} with no value`, { expr: e });
  }
  const fields = [...fieldsUsed(x)];
  if (fields.length) throw new ExprError(`${what} may depend only on t, but ${formatExpr(e)} reads per-token fields (${fields.join(', ')})`, { expr: e });
  const others = [...varsUsed(x)].filter((v) => v !== 't');
  if (others.length) {
    throw new ExprError(`${what} may depend only on t, but ${formatExpr(e)} reads ${others.join(', ')}`, { expr: e });
  }
  return { e: x, lo, hi };
}

const at = (e: Expr, t: number) => evalExpr(e, { t });

/** True when e has no jumps: no if, comparisons, logic, floor or ceil (min/max/abs are continuous). */
function continuous(e: Expr): boolean {
  let ok = true;
  walkExpr(e, (x) => {
    if (x.k === 'if' || (x.k === 'unary' && x.op === '!')) ok = false;
    if (x.k === 'binary' && !['+', '-', '*', '/', '^'].includes(x.op)) ok = false;
    if (x.k === 'call' && (x.fn === 'floor' || x.fn === 'ceil')) ok = false;
  });
  return ok;
}

/**
 * Branch and bound over [lo, hi]: `proves(a, b)` must hold on every leaf. It answers true,
 * false (refuted: stop), or undefined (unknown: halve the leaf, up to MAX_DEPTH times). False
 * when some leaf is refuted or cannot be proven within the budget.
 */
function bisectProof(lo: number, hi: number, proves: (a: number, b: number) => boolean | undefined): boolean {
  const stack: Array<[number, number, number]> = [[lo, hi, 0]];
  let leaves = 0;
  while (stack.length) {
    const [a, b, depth] = stack.pop()!;
    if (++leaves > MAX_LEAVES) return false;
    const r = proves(a, b);
    if (r === true) continue;
    if (r === false) return false;
    const mid = a + (b - a) / 2;
    if (depth >= MAX_DEPTH || !(mid > a && mid < b)) return false;
    stack.push([mid, b, depth + 1], [a, mid, depth + 1]);
  }
  return true;
}

function grid(lo: number, hi: number): number[] {
  const n = GRID_POINTS - 1;
  const ts: number[] = [];
  for (let i = 0; i <= n; i++) ts.push(i === n ? hi : lo + ((hi - lo) * i) / n);
  return ts;
}

/** Golden-section search for a minimum of g on [a, b]; returns the best point seen. */
function refineMin(g: (t: number) => number, a: number, b: number, start: number): [number, number] {
  const r = (Math.sqrt(5) - 1) / 2;
  let best: [number, number] = [start, g(start)];
  const consider = (t: number) => {
    const v = g(t);
    if (v < best[1] || (Number.isNaN(v) && !Number.isNaN(best[1]))) best = [t, v];
    return Number.isNaN(v) ? -Infinity : v;
  };
  let x1 = b - r * (b - a);
  let x2 = a + r * (b - a);
  let f1 = consider(x1);
  let f2 = consider(x2);
  for (let i = 0; i < 80 && b - a > 0; i++) {
    if (f1 <= f2) {
      b = x2;
      x2 = x1;
      f2 = f1;
      x1 = b - r * (b - a);
      f1 = consider(x1);
    } else {
      a = x1;
      x1 = x2;
      f1 = f2;
      x2 = a + r * (b - a);
      f2 = consider(x2);
    }
  }
  return best;
}

/**
 * Minimises g over the grid and then around its smallest local minima; returns the worst
 * (t, g(t)) found, NaN counting as worst of all.
 */
function gridMin(g: (t: number) => number, lo: number, hi: number): [number, number] {
  const ts = grid(lo, hi);
  const vs = ts.map(g);
  let worst = 0;
  for (let i = 0; i < vs.length; i++) {
    if (Number.isNaN(vs[i]!)) return [ts[i]!, vs[i]!];
    if (vs[i]! < vs[worst]!) worst = i;
  }
  const minima: number[] = [];
  for (let i = 0; i < vs.length; i++) {
    const left = i > 0 ? vs[i - 1]! : Infinity;
    const right = i < vs.length - 1 ? vs[i + 1]! : Infinity;
    if (vs[i]! <= left && vs[i]! <= right) minima.push(i);
  }
  minima.sort((i, j) => vs[i]! - vs[j]!);
  let best: [number, number] = [ts[worst]!, vs[worst]!];
  for (const i of minima.slice(0, REFINE_MINIMA)) {
    const a = ts[Math.max(0, i - 1)]!;
    const b = ts[Math.min(ts.length - 1, i + 1)]!;
    const r = refineMin(g, a, b, ts[i]!);
    if (r[1] < best[1] || Number.isNaN(r[1])) best = r;
    if (Number.isNaN(best[1])) break;
  }
  return best;
}

/**
 * Is e(t) >= 0 for all t in [lo, hi] (default [0, 1])? +inf counts as >= 0, NaN does not.
 * 'symbolic': interval arithmetic proves it on every piece of a bisection of [lo, hi] (a piece
 * where e is continuous may instead be proven by a one-signed derivative and a non-negative
 * value at the right end). 'grid': no proof, but no negative value on 4097 points and around
 * the 32 smallest local minima. Otherwise the worst (most negative, or NaN) t found.
 */
export function checkNonNegative(e: Expr, opts: CheckOptions = {}): CheckResult {
  const p = prepare(e, opts, 'a rate');
  let deriv: Expr | null | undefined;
  const derivOf = () => (deriv === undefined ? (deriv = continuous(p.e) ? derivative(p.e, 't') : null) : deriv);
  const nonNegAt = (t: number) => {
    const i = evalInterval(p.e, { t });
    return !i.nan && i.lo >= 0;
  };
  const proved = bisectProof(p.lo, p.hi, (a, b) => {
    const i = evalInterval(p.e, { t: [a, b] });
    if (!i.nan && i.lo >= 0) return true;
    if (isEmpty(i) || i.hi < 0) return false; // negative (or NaN) all over the piece
    if (!isFiniteIv(i)) return undefined;
    const d = derivOf();
    if (!d) return undefined;
    const di = evalInterval(d, { t: [a, b] });
    if (di.nan || isEmpty(di)) return undefined;
    // Monotone on [a, b]: the smaller end value bounds it below.
    if (di.lo >= 0 && nonNegAt(a)) return true;
    if (di.hi <= 0 && nonNegAt(b)) return true;
    return undefined;
  });
  if (proved) return { ok: true, how: 'symbolic' };
  const [t, value] = gridMin((x) => at(p.e, x), p.lo, p.hi);
  if (Number.isNaN(value) || value < 0) return { ok: false, t, value };
  // The grid saw no negative value, but the proof did not go through: a dip narrower than the
  // grid (negative only within 1e-9 of some t) would pass. Search where the interval bound is
  // lowest, far deeper than the proof, for a negative value or a proof.
  const found = searchNegative(p.e, p.lo, p.hi);
  if (found) return { ok: false, t: found[0], value: found[1] };
  return { ok: true, how: 'grid' };
}

/** Evaluations of the deep search (each an interval and a point evaluation). */
const SEARCH_BUDGET = 3000;

/**
 * Interval branch and bound for a negative value of e on [lo, hi]: the piece whose interval lower
 * bound is smallest is halved first (down to pieces of 1e-15), and each piece's midpoint is
 * evaluated. Returns [t, e(t)] with e(t) < 0 (or NaN), or undefined when none was found within
 * the budget or every piece was proven non-negative.
 */
function searchNegative(e: Expr, lo: number, hi: number): [number, number] | undefined {
  // A binary heap on the interval's lower bound.
  const heap: Array<[number, number, number]> = [];
  const push = (a: number, b: number) => {
    const i = evalInterval(e, { t: [a, b] });
    if (!i.nan && i.lo >= 0) return; // proven on this piece
    const key = i.nan ? -Infinity : i.lo;
    heap.push([key, a, b]);
    let k = heap.length - 1;
    while (k > 0) {
      const up = (k - 1) >> 1;
      if (heap[up]![0] <= key) break;
      [heap[up], heap[k]] = [heap[k]!, heap[up]!];
      k = up;
    }
  };
  const pop = (): [number, number, number] => {
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length) {
      heap[0] = last;
      let k = 0;
      for (;;) {
        const l = 2 * k + 1;
        const r = l + 1;
        let m = k;
        if (l < heap.length && heap[l]![0] < heap[m]![0]) m = l;
        if (r < heap.length && heap[r]![0] < heap[m]![0]) m = r;
        if (m === k) break;
        [heap[m], heap[k]] = [heap[k]!, heap[m]!];
        k = m;
      }
    }
    return top;
  };
  push(lo, hi);
  for (let n = 0; n < SEARCH_BUDGET && heap.length; n++) {
    const [, a, b] = pop();
    const mid = a + (b - a) / 2;
    const v = at(e, mid);
    if (Number.isNaN(v) || v < 0) return [mid, v];
    if (!(b - a > 1e-15 && mid > a && mid < b)) continue;
    push(a, mid);
    push(mid, b);
  }
  return undefined;
}

/**
 * Is e(t) finite (not +-inf, not NaN) for all t in [lo, hi]? 'symbolic' when interval
 * arithmetic bounds it; else a grid, with refinement around the largest |e| (a pole between grid
 * points shows as |e| growing past 1e12 times the typical size, reported as not finite).
 */
export function checkFinite(e: Expr, opts: CheckOptions = {}): CheckResult {
  const p = prepare(e, opts, 'this expression');
  if (bisectProof(p.lo, p.hi, (a, b) => isFiniteIv(evalInterval(p.e, { t: [a, b] })) || undefined)) return { ok: true, how: 'symbolic' };
  const ts = grid(p.lo, p.hi);
  const vs = ts.map((t) => at(p.e, t));
  for (let i = 0; i < vs.length; i++) if (!Number.isFinite(vs[i]!)) return { ok: false, t: ts[i]!, value: vs[i]! };
  const sorted = vs.map(Math.abs).sort((a, b) => a - b);
  const typical = Math.max(1, sorted[sorted.length >> 1]!);
  const [t, negAbs] = gridMin((x) => {
    const v = at(p.e, x);
    return Number.isFinite(v) ? -Math.abs(v) : -Infinity;
  }, p.lo, p.hi);
  const value = at(p.e, t);
  if (!Number.isFinite(value) || -negAbs > 1e12 * typical) return { ok: false, t, value };
  return { ok: true, how: 'grid' };
}

/**
 * Do the expressions sum to `target` (within `tol`, default 1e-9) for all t in [lo, hi]?
 * 'symbolic' when the simplified sum is that constant or interval arithmetic keeps it within
 * tol; else a grid. When not, the t where the sum is farthest from target and the sum there.
 */
export function checkConstantSum(exprs: readonly Expr[], target: number, opts: CheckOptions & { tol?: number } = {}): CheckResult {
  const tol = opts.tol ?? 1e-9;
  const total = exprs.length === 0 ? mkNum(0) : exprs.slice(1).reduce<Expr>((acc, x) => ({ k: 'binary', op: '+', a: acc, b: x }), exprs[0]!);
  const p = prepare(total, opts, 'a weight');
  const within = (i: Interval) => !i.nan && !isEmpty(i) && i.lo >= target - tol && i.hi <= target + tol;
  if (p.e.k === 'num') {
    const v = evalExpr(p.e, {});
    return Math.abs(v - target) <= tol ? { ok: true, how: 'symbolic' } : { ok: false, t: p.lo, value: v };
  }
  if (bisectProof(p.lo, p.hi, (a, b) => within(evalInterval(p.e, { t: [a, b] })) || undefined)) return { ok: true, how: 'symbolic' };
  const [t] = gridMin((x) => {
    const d = Math.abs(at(p.e, x) - target);
    return Number.isNaN(d) ? NaN : -d;
  }, p.lo, p.hi);
  const value = at(p.e, t);
  if (!(Math.abs(value - target) <= tol)) return { ok: false, t, value };
  return { ok: true, how: 'grid' };
}

const fmtT = (t: number) => String(Number(t.toPrecision(6)));
const fmtV = (v: number) => (Number.isFinite(v) ? String(Number(v.toPrecision(6))) : String(v).replace('Infinity', 'inf'));

/**
 * Why e is not finite at t: the innermost sub-expression that turns finite inputs into inf or
 * NaN, in words ("log of a value <= 0 at t = 1 (1 - t = 0)"). Undefined when e is finite there.
 */
export function explainNonFinite(e: Expr, env: { t: number; params?: ParamValues }): { message: string; expr: Expr } | undefined {
  const x = substituteParams(e, env.params ?? {});
  const val = (y: Expr) => evalExpr(y, { t: env.t });
  const T = `at t = ${fmtT(env.t)}`;
  const find = (y: Expr): { message: string; expr: Expr } | undefined => {
    if (Number.isFinite(val(y))) return undefined;
    const kids: Expr[] =
      y.k === 'unary' ? [y.a] : y.k === 'binary' ? [y.a, y.b] : y.k === 'call' ? y.args : y.k === 'if' ? [val(y.cond) ? y.then : y.else] : [];
    for (const k of kids) {
      const r = find(k);
      if (r) return r;
    }
    return { message: describe(y, kids.map(val), val(y), T), expr: y };
  };
  return find(x);
}

function describe(y: Expr, args: number[], self: number, T: string): string {
  const [a = NaN, b = NaN] = args;
  const show = (z: Expr, v: number) => `${formatExpr(z)} = ${fmtV(v)}`;
  switch (y.k) {
    case 'num': return `the constant ${formatExpr(y)}`;
    case 'call': {
      const arg = y.args[0]!;
      switch (y.fn) {
        case 'log': return a < 0 ? `log of a negative value ${T} (${show(arg, a)})` : `log of a value <= 0 ${T} (${show(arg, a)})`;
        case 'log1p': return `log1p of a value <= -1 ${T} (${show(arg, a)})`;
        case 'sqrt': return `sqrt of a negative value ${T} (${show(arg, a)})`;
        case 'exp':
        case 'expm1':
          return `${y.fn} overflows ${T}: its argument ${show(arg, a)} is above 709.78`;
        case 'tan': return `tan at a pole ${T} (${show(arg, a)})`;
        case 'pow': return describePow(y.args[0]!, y.args[1]!, a, b, T);
        default: return `${formatExpr(y)} is ${fmtV(self)} ${T}`;
      }
    }
    case 'binary': {
      if (y.op === '/') {
        if (b === 0) return `division by zero ${T} (${show(y.b, 0)})`;
        return `${formatExpr(y)} overflows ${T} (${show(y.a, a)}, ${show(y.b, b)})`;
      }
      if (y.op === '^') return describePow(y.a, y.b, a, b, T);
      return `${formatExpr(y)} overflows ${T}`;
    }
    default: return `${formatExpr(y)} is ${fmtV(self)} ${T}`;
  }
}

function describePow(base: Expr, ex: Expr, a: number, b: number, T: string): string {
  const what = `${formatExpr(base)} = ${fmtV(a)} raised to ${formatExpr(ex)} = ${fmtV(b)}`;
  if (a === 0 && b < 0) return `0 raised to a negative power ${T} (${what})`;
  if (a < 0 && !Number.isInteger(b)) return `a negative number raised to a non-integer power ${T} (${what})`;
  return `a power overflows ${T} (${what})`;
}
