// Interval evaluation: a sound enclosure of every value evalExpr can return when the variables
// and parameters range over a box. `lo`/`hi` bound the non-NaN results (an infinite bound means
// the value may be infinite); `nan` says NaN is possible. Bounds are rounded outward
// (rounding.ts), so an enclosure holds both for the float64 evaluation and for exact arithmetic
// on the same float inputs. Used by simplify (which rewrites only what it can prove safe) and by
// checkNonNegative (a lower bound >= 0 is a proof). Division by an interval that contains zero is
// [-inf, inf]: the zero may be -0.
import type { Expr } from '../../specs/types/kernel.ts';
import { num } from './eval.ts';
import { checkArity } from './functions.ts';
import { addDir, divDir, mulDir, sqrtDir, ulps } from './rounding.ts';

export interface Interval {
  readonly lo: number;
  readonly hi: number;
  /** NaN is a possible value. */
  readonly nan: boolean;
}

export type VarName = 't' | 's' | 'step' | 'v';
export type FieldName = 'logit' | 'prob' | 'count';
export type IntervalInput = number | boolean | readonly [number, number] | Interval;

export interface IntervalBox {
  t?: IntervalInput;
  s?: IntervalInput;
  step?: IntervalInput;
  v?: IntervalInput;
  /** A parameter missing here may be any value in [-inf, inf]. */
  params?: Readonly<Record<string, IntervalInput>>;
  fields?: Partial<Record<FieldName, IntervalInput>>;
}

/** What a variable can be when the box does not say: times in [0, 1], step and v indices. */
export const VAR_DOMAIN: Readonly<Record<VarName, readonly [number, number]>> = {
  t: [0, 1],
  s: [0, 1],
  step: [0, 2 ** 31],
  v: [0, 2 ** 31],
};

/** What a per-token field can be when the box does not say (logits may be -inf after top-k). */
export const FIELD_DOMAIN: Readonly<Record<FieldName, readonly [number, number]>> = {
  logit: [-Infinity, Infinity],
  prob: [0, 1],
  count: [0, 2 ** 31],
};

const TRANSCENDENTAL_ULPS = 2;

export const iv = (lo: number, hi: number, nan = false): Interval => ({ lo, hi, nan });
export const point = (x: number): Interval => (Number.isNaN(x) ? EMPTY_NAN : iv(x, x));
const EMPTY_NAN: Interval = iv(Infinity, -Infinity, true);
const EVERYTHING: Interval = iv(-Infinity, Infinity, false);
const BOOL: Interval = iv(0, 1);

export const isEmpty = (a: Interval): boolean => a.lo > a.hi;
/** Every value is a finite number (never NaN, never infinite). */
export const isFiniteIv = (a: Interval): boolean => !a.nan && !isEmpty(a) && a.lo > -Infinity && a.hi < Infinity;
export const containsZero = (a: Interval): boolean => a.lo <= 0 && a.hi >= 0;
const hasInf = (a: Interval): boolean => !isEmpty(a) && (a.lo === -Infinity || a.hi === Infinity);

function toInterval(x: IntervalInput): Interval {
  if (typeof x === 'number') return point(x);
  if (typeof x === 'boolean') return point(x ? 1 : 0);
  if (Array.isArray(x)) return iv((x as readonly [number, number])[0], (x as readonly [number, number])[1]);
  return x as Interval;
}

export function hull(...xs: Interval[]): Interval {
  let lo = Infinity;
  let hi = -Infinity;
  let nan = false;
  for (const x of xs) {
    nan ||= x.nan;
    if (isEmpty(x)) continue;
    lo = Math.min(lo, x.lo);
    hi = Math.max(hi, x.hi);
  }
  return iv(lo, hi, nan);
}

/** Bounds from candidate (down, up) pairs; a NaN candidate widens to everything. */
function fromCandidates(downs: number[], ups: number[], nan: boolean): Interval {
  let lo = Infinity;
  let hi = -Infinity;
  for (const d of downs) lo = Number.isNaN(d) ? -Infinity : Math.min(lo, d);
  for (const u of ups) hi = Number.isNaN(u) ? Infinity : Math.max(hi, u);
  return iv(lo, hi, nan);
}

export function negI(a: Interval): Interval {
  return isEmpty(a) ? a : iv(-a.hi, -a.lo, a.nan);
}

export function addI(a: Interval, b: Interval): Interval {
  if (isEmpty(a) || isEmpty(b)) return EMPTY_NAN;
  const nan = a.nan || b.nan || (a.hi === Infinity && b.lo === -Infinity) || (a.lo === -Infinity && b.hi === Infinity);
  return fromCandidates([addDir(a.lo, b.lo, -1)], [addDir(a.hi, b.hi, 1)], nan);
}

export function subI(a: Interval, b: Interval): Interval {
  return addI(a, negI(b));
}

export function mulI(a: Interval, b: Interval): Interval {
  if (isEmpty(a) || isEmpty(b)) return EMPTY_NAN;
  const zeroInf = (containsZero(a) && hasInf(b)) || (hasInf(a) && containsZero(b));
  const nan = a.nan || b.nan || zeroInf;
  const downs: number[] = [];
  const ups: number[] = [];
  for (const x of [a.lo, a.hi]) {
    for (const y of [b.lo, b.hi]) {
      if ((x === 0 && !Number.isFinite(y)) || (y === 0 && !Number.isFinite(x))) {
        // 0 * inf is NaN, but products near that corner take any value of the corner's sign.
        const sgn = Math.sign(x === 0 ? y : x);
        downs.push(0, sgn * Infinity);
        ups.push(0, sgn * Infinity);
      } else {
        downs.push(mulDir(x, y, -1));
        ups.push(mulDir(x, y, 1));
      }
    }
  }
  return fromCandidates(downs, ups, nan);
}

export function divI(a: Interval, b: Interval): Interval {
  if (isEmpty(a) || isEmpty(b)) return EMPTY_NAN;
  if (containsZero(b)) return iv(-Infinity, Infinity, a.nan || b.nan || containsZero(a) || (hasInf(a) && hasInf(b)));
  const nan = a.nan || b.nan || (hasInf(a) && hasInf(b));
  const downs: number[] = [];
  const ups: number[] = [];
  for (const x of [a.lo, a.hi]) {
    for (const y of [b.lo, b.hi]) {
      if (!Number.isFinite(x) && !Number.isFinite(y)) {
        const sgn = Math.sign(x) * Math.sign(y);
        downs.push(0, sgn * Infinity);
        ups.push(0, sgn * Infinity);
      } else {
        downs.push(divDir(x, y, -1));
        ups.push(divDir(x, y, 1));
      }
    }
  }
  return fromCandidates(downs, ups, nan);
}

const isInt = (x: number) => Number.isInteger(x);
const isOddInt = (x: number) => Number.isInteger(x) && Math.abs(x % 2) === 1;

/** Math.pow(x, y) for x >= 0 (or -0 treated as +0), bounds widened unless the result is exact. */
function powDir(x: number, y: number, dir: -1 | 1): number {
  const r = Math.pow(x, y);
  if (Number.isNaN(r)) return NaN;
  if (y === 0 || y === 1 || x === 1 || x === 0 || !Number.isFinite(r) || !Number.isFinite(x) || r === 0) return r;
  const w = ulps(r, dir, TRANSCENDENTAL_ULPS);
  return w < 0 ? 0 : w;
}

/** a^b over a subset of the non-negative base axis: extremes are at the corners (monotone in each). */
function powNonNeg(a: Interval, b: Interval): Interval {
  const downs: number[] = [];
  const ups: number[] = [];
  let nan = false;
  for (const x of [a.lo, a.hi]) {
    for (const y of [b.lo, b.hi]) {
      const r = Math.pow(x, y);
      if (Number.isNaN(r)) {
        // 1^inf: NaN, and values near that corner are anything in [0, inf].
        nan = true;
        downs.push(0);
        ups.push(Infinity);
      } else {
        downs.push(powDir(x, y, -1));
        ups.push(powDir(x, y, 1));
      }
    }
  }
  if (a.lo <= 1 && a.hi >= 1 && hasInf(b)) {
    nan = true;
    downs.push(0);
    ups.push(Infinity);
  }
  return fromCandidates(downs, ups, nan);
}

export function powI(a: Interval, b: Interval): Interval {
  if (isEmpty(b)) return EMPTY_NAN;
  if (b.lo === 0 && b.hi === 0) return iv(1, 1, b.nan);
  const parts: Interval[] = [];
  let nan = b.nan;
  if (a.nan) {
    // pow(NaN, 0) = 1; any other exponent gives NaN.
    if (containsZero(b)) parts.push(iv(1, 1));
    nan = true;
  }
  if (!isEmpty(a) && a.hi >= 0) {
    const nonNeg = iv(Math.max(a.lo, 0), a.hi);
    parts.push(powNonNeg(nonNeg, b));
    // -0 raised to a negative odd integer is -inf.
    if (nonNeg.lo === 0 && b.lo <= -1) parts.push(iv(-Infinity, -Infinity));
  }
  if (!isEmpty(a) && a.lo < 0) {
    const neg = iv(a.lo, Math.min(a.hi, 0));
    if (b.lo === b.hi && Number.isFinite(b.lo) && isInt(b.lo)) {
      // (-x)^n = (-1)^n x^n.
      const m = powNonNeg(negI(neg), b);
      parts.push(isOddInt(b.lo) ? negI(m) : m);
    } else {
      // A negative base with a non-integer exponent is NaN; integer exponents in the range can
      // give values of either sign.
      parts.push(EVERYTHING);
      nan = true;
    }
  }
  const h = hull(...parts);
  return iv(h.lo, h.hi, h.nan || nan);
}

/** A monotone function of one argument, its domain [dlo, dhi] (outside it NaN). */
function monotone(
  a: Interval,
  f: (x: number) => number,
  opts: { increasing: boolean; dlo?: number; dhi?: number; exact?: (x: number) => boolean; range?: [number, number]; zeroFixed?: boolean },
): Interval {
  if (isEmpty(a)) return EMPTY_NAN;
  const dlo = opts.dlo ?? -Infinity;
  const dhi = opts.dhi ?? Infinity;
  let nan = a.nan || a.lo < dlo || a.hi > dhi;
  const lo = Math.max(a.lo, dlo);
  const hi = Math.min(a.hi, dhi);
  if (lo > hi) return EMPTY_NAN;
  const round = (x: number, dir: -1 | 1) => {
    const y = f(x);
    if (Number.isNaN(y)) {
      nan = true;
      return dir < 0 ? -Infinity : Infinity;
    }
    // Limits at +-inf (exp(-inf) = 0, tanh(inf) = 1) and the listed exact points are not rounded.
    if (!Number.isFinite(y) || !Number.isFinite(x) || opts.exact?.(x)) return y;
    return ulps(y, dir, TRANSCENDENTAL_ULPS);
  };
  let l = opts.increasing ? round(lo, -1) : round(hi, -1);
  let h = opts.increasing ? round(hi, 1) : round(lo, 1);
  if (opts.range) {
    l = Math.max(l, opts.range[0]);
    h = Math.min(h, opts.range[1]);
  }
  // f(0) = 0 and f keeps the sign of its argument (odd increasing functions, log1p, expm1).
  if (opts.zeroFixed) {
    if (lo >= 0) l = Math.max(l, 0);
    if (hi <= 0) h = Math.min(h, 0);
  }
  return iv(l, h, nan);
}

const HALF_PI = Math.PI / 2;
const TWO_PI = 2 * Math.PI;

/** Does [lo, hi] (maybe) contain c + 2 k pi for some integer k? Errs towards yes. */
function maybeContainsPeriodic(lo: number, hi: number, c: number, period: number): boolean {
  const slack = 1e-12 * (1 + Math.abs(lo) + Math.abs(hi));
  const k0 = Math.floor((lo - c) / period) - 1;
  for (let k = k0; k <= k0 + 3; k++) {
    const x = c + k * period;
    if (x >= lo - slack && x <= hi + slack) return true;
  }
  return false;
}

function sinCos(a: Interval, which: 'sin' | 'cos'): Interval {
  if (isEmpty(a)) return EMPTY_NAN;
  const nan = a.nan || hasInf(a);
  if (!Number.isFinite(a.lo) || !Number.isFinite(a.hi) || a.hi - a.lo >= TWO_PI) return iv(-1, 1, nan);
  const f = which === 'sin' ? Math.sin : Math.cos;
  const maxAt = which === 'sin' ? HALF_PI : 0;
  const minAt = which === 'sin' ? -HALF_PI : Math.PI;
  const ends = [a.lo, a.hi].map((x) => {
    const y = f(x);
    const exact = x === 0;
    return exact ? [y, y] : [ulps(y, -1, TRANSCENDENTAL_ULPS), ulps(y, 1, TRANSCENDENTAL_ULPS)];
  });
  let lo = Math.min(ends[0]![0]!, ends[1]![0]!);
  let hi = Math.max(ends[0]![1]!, ends[1]![1]!);
  if (maybeContainsPeriodic(a.lo, a.hi, maxAt, TWO_PI)) hi = 1;
  if (maybeContainsPeriodic(a.lo, a.hi, minAt, TWO_PI)) lo = -1;
  lo = Math.max(lo, -1);
  hi = Math.min(hi, 1);
  // Sign facts that rounding must not break: sin >= 0 on [0, pi], cos >= 0 on [-pi/2, pi/2]
  // (the float pi/2 is below the true one, so cos(Math.PI / 2) > 0).
  if (which === 'sin' && a.lo >= 0 && a.hi <= 3.141592653589793) lo = Math.max(lo, 0);
  if (which === 'cos' && a.lo >= -HALF_PI && a.hi <= HALF_PI) lo = Math.max(lo, 0);
  return iv(lo, hi, nan);
}

function tanI(a: Interval): Interval {
  if (isEmpty(a)) return EMPTY_NAN;
  const nan = a.nan || hasInf(a);
  if (!Number.isFinite(a.lo) || !Number.isFinite(a.hi) || a.hi - a.lo >= Math.PI || maybeContainsPeriodic(a.lo, a.hi, HALF_PI, Math.PI)) {
    return iv(-Infinity, Infinity, nan);
  }
  // tan keeps the sign of its argument only on the central branch (-pi/2, pi/2).
  const central = a.lo > -HALF_PI && a.hi < HALF_PI;
  return monotone(iv(a.lo, a.hi, nan), Math.tan, { increasing: true, exact: (x) => x === 0, zeroFixed: central });
}

function absI(a: Interval): Interval {
  if (isEmpty(a)) return a;
  if (a.lo >= 0) return a;
  if (a.hi <= 0) return negI(a);
  return iv(0, Math.max(-a.lo, a.hi), a.nan);
}

function minMax(args: Interval[], which: 'min' | 'max'): Interval {
  if (args.some(isEmpty)) return EMPTY_NAN;
  const nan = args.some((x) => x.nan);
  const f = which === 'min' ? Math.min : Math.max;
  return iv(f(...args.map((x) => x.lo)), f(...args.map((x) => x.hi)), nan);
}

/** Which truth values a condition can take (NaN is falsy). */
export function truthiness(c: Interval): { canTrue: boolean; canFalse: boolean } {
  const canTrue = !isEmpty(c) && !(c.lo === 0 && c.hi === 0);
  const canFalse = c.nan || containsZero(c);
  return { canTrue, canFalse };
}

function boolIv(canTrue: boolean, canFalse: boolean): Interval {
  return canTrue && canFalse ? BOOL : canTrue ? iv(1, 1) : iv(0, 0);
}

function compare(op: '<' | '<=' | '>' | '>=' | '==' | '!=', a: Interval, b: Interval): Interval {
  const nan = a.nan || b.nan;
  if (isEmpty(a) || isEmpty(b)) return boolIv(op === '!=', op !== '!=');
  const isPointEq = a.lo === a.hi && b.lo === b.hi && a.lo === b.lo;
  const overlap = a.lo <= b.hi && b.lo <= a.hi;
  switch (op) {
    case '<': return boolIv(a.lo < b.hi, nan || a.hi >= b.lo);
    case '<=': return boolIv(a.lo <= b.hi, nan || a.hi > b.lo);
    case '>': return boolIv(a.hi > b.lo, nan || a.lo <= b.hi);
    case '>=': return boolIv(a.hi >= b.lo, nan || a.lo < b.hi);
    case '==': return boolIv(overlap, nan || !isPointEq);
    case '!=': return boolIv(nan || !isPointEq, overlap);
  }
}

// IR trees are plain objects that a caller could change in place, so results are cached per node
// only for the duration of one withExprCaches call (simplify runs in one).
let cache: WeakMap<Expr, Interval> | null = null;

/** Runs f with per-node caches of default-box intervals (and of exprKey), then drops them. */
export function withIntervalCache<T>(f: () => T): T {
  if (cache) return f();
  cache = new WeakMap();
  try {
    return f();
  } finally {
    cache = null;
  }
}

/**
 * Encloses every value of `e` over `box`. Without a box, variables range over VAR_DOMAIN,
 * parameters over [-inf, inf] and fields over FIELD_DOMAIN.
 */
export function evalInterval(e: Expr, box?: IntervalBox): Interval {
  if (box) return ev(e, box);
  if (!cache) return ev(e, DEFAULT_BOX);
  let r = cache.get(e);
  if (!r) {
    r = ev(e, DEFAULT_BOX);
    cache.set(e, r);
  }
  return r;
}

const DEFAULT_BOX: IntervalBox = {};

function ev(e: Expr, box: IntervalBox): Interval {
  const sub = (x: Expr) => (box === DEFAULT_BOX ? evalInterval(x) : ev(x, box));
  switch (e.k) {
    case 'num': return point(num(e.v));
    case 'var': {
      const given = box[e.name];
      return given === undefined ? iv(VAR_DOMAIN[e.name][0], VAR_DOMAIN[e.name][1]) : toInterval(given);
    }
    case 'param': {
      const given = box.params?.[e.name];
      return given === undefined ? EVERYTHING : toInterval(given);
    }
    case 'unary': {
      const a = sub(e.a);
      if (e.op === '-') return negI(a);
      const { canTrue, canFalse } = truthiness(a);
      return boolIv(canFalse, canTrue);
    }
    case 'binary': {
      if (e.op === '&&' || e.op === '||') {
        const a = truthiness(sub(e.a));
        const b = truthiness(sub(e.b));
        return e.op === '&&'
          ? boolIv(a.canTrue && b.canTrue, a.canFalse || b.canFalse)
          : boolIv(a.canTrue || b.canTrue, a.canFalse && b.canFalse);
      }
      const a = sub(e.a);
      const b = sub(e.b);
      switch (e.op) {
        case '+': return addI(a, b);
        case '-': return subI(a, b);
        case '*': return mulI(a, b);
        case '/': return divI(a, b);
        case '^': return powI(a, b);
        default: return compare(e.op, a, b);
      }
    }
    case 'call': {
      checkArity(e);
      const x = e.args.map(sub);
      const a = x[0]!;
      switch (e.fn) {
        case 'exp': {
          const r = monotone(a, Math.exp, { increasing: true, exact: (v) => v === 0, range: [0, Infinity] });
          return a.lo >= 0 && !isEmpty(r) ? iv(Math.max(r.lo, 1), r.hi, r.nan) : r;
        }
        case 'expm1': return monotone(a, Math.expm1, { increasing: true, exact: (v) => v === 0, range: [-1, Infinity], zeroFixed: true });
        case 'log': {
          const r = monotone(a, Math.log, { increasing: true, dlo: 0, exact: (v) => v === 1 || v === 0 });
          if (isEmpty(r)) return r;
          return iv(a.lo >= 1 ? Math.max(r.lo, 0) : r.lo, a.hi <= 1 ? Math.min(r.hi, 0) : r.hi, r.nan);
        }
        case 'log1p': return monotone(a, Math.log1p, { increasing: true, dlo: -1, exact: (v) => v === 0 || v === -1, zeroFixed: true });
        case 'sqrt': {
          if (isEmpty(a)) return EMPTY_NAN;
          const nan = a.nan || a.lo < 0;
          const lo = Math.max(a.lo, 0);
          if (lo > a.hi) return EMPTY_NAN;
          return iv(sqrtDir(lo, -1), sqrtDir(a.hi, 1), nan);
        }
        case 'tanh': return monotone(a, Math.tanh, { increasing: true, exact: (v) => v === 0, range: [-1, 1], zeroFixed: true });
        case 'sin': return sinCos(a, 'sin');
        case 'cos': return sinCos(a, 'cos');
        case 'tan': return tanI(a);
        case 'abs': return absI(a);
        case 'floor': return monotone(a, Math.floor, { increasing: true, exact: () => true });
        case 'ceil': return monotone(a, Math.ceil, { increasing: true, exact: () => true });
        case 'pow': return powI(a, x[1]!);
        case 'min': return minMax(x, 'min');
        case 'max': return minMax(x, 'max');
        case 'clamp': return minMax([minMax([a, x[1]!], 'max'), x[2]!], 'min');
      }
      break;
    }
    case 'if': {
      const { canTrue, canFalse } = truthiness(sub(e.cond));
      const parts: Interval[] = [];
      if (canTrue) parts.push(sub(e.then));
      if (canFalse) parts.push(sub(e.else));
      return hull(...parts);
    }
    case 'field': {
      const given = box.fields?.[e.field];
      if (given !== undefined) return toInterval(given);
      const d = FIELD_DOMAIN[e.field];
      return iv(d[0], d[1]);
    }
    case 'graph_agg': {
      const given = box.fields?.[e.of];
      const f = given !== undefined ? toInterval(given) : iv(FIELD_DOMAIN[e.of][0], FIELD_DOMAIN[e.of][1]);
      // An empty neighbourhood gives 0; a sum may have up to 2^31 terms.
      if (e.agg === 'sum') return hull(mulI(f, iv(0, 2 ** 31)), point(0));
      return hull(f, point(0));
    }
  }
  return EVERYTHING;
}

export { BOOL as BOOL_INTERVAL };
