// Semantics-preserving simplification (docs/expressions.md, "simplify"). Every rewrite keeps the
// value evalExpr computes, up to rounding, at every point of the variables' domain (VAR_DOMAIN:
// t, s in [0, 1]) and for every parameter value including +-inf; where a rewrite is only valid
// for finite, non-zero or non-negative operands (x*0, x-x, x/x, exp(log x)), the interval
// evaluator must prove that first, otherwise the node is kept. Constant folding never creates a
// NaN or an infinity: such a node stays as written. Known limits: the sign of zero is not kept
// (x + 0 -> x), and reassociating sums and products assumes no intermediate overflow.
import type { BinaryExpr, CallExpr, Expr } from '../../specs/types/kernel.ts';
import { evalExpr, num as numValue } from './eval.ts';
import { checkArity, type Fn } from './functions.ts';
import { containsZero, evalInterval, isEmpty, isFiniteIv, truthiness, withIntervalCache } from './interval.ts';
import { equalExpr, exprKey, withKeyCache } from './key.ts';

type Cmp = '<' | '<=' | '>' | '>=' | '==' | '!=';

export const mkNum = (v: number): Expr => ({ k: 'num', v: v === Infinity ? 'inf' : v === -Infinity ? '-inf' : v === 0 ? 0 : v });
const bin = (op: BinaryExpr['op'], a: Expr, b: Expr): Expr => ({ k: 'binary', op, a, b });
const neg = (a: Expr): Expr => ({ k: 'unary', op: '-', a });

const isNum = (e: Expr): e is Extract<Expr, { k: 'num' }> => e.k === 'num';
const finiteNum = (e: Expr): number | undefined => (e.k === 'num' && typeof e.v === 'number' ? e.v : undefined);

/** Finite and never NaN over the default domain. */
const safe = (e: Expr): boolean => isFiniteIv(evalInterval(e));
/** Finite, never NaN and never zero over the default domain. */
const safeNonZero = (e: Expr): boolean => {
  const i = evalInterval(e);
  return isFiniteIv(i) && !containsZero(i);
};

export function simplify(e: Expr): Expr {
  return withKeyCache(() => withIntervalCache(() => simplifyNode(e)));
}

function simplifyNode(e: Expr): Expr {
  return finish(step(e));
}

function step(e: Expr): Expr {
  switch (e.k) {
    case 'num': return typeof e.v === 'number' && Object.is(e.v, -0) ? mkNum(0) : e;
    case 'var':
    case 'param':
      return e;
    case 'unary': {
      const a = simplifyNode(e.a);
      return e.op === '-' ? mkNeg(a) : mkNot(a);
    }
    case 'binary': {
      const a = simplifyNode(e.a);
      const b = simplifyNode(e.b);
      switch (e.op) {
        case '+': return mkSum([{ sign: 1, e: a }, { sign: 1, e: b }]);
        case '-': return mkSum([{ sign: 1, e: a }, { sign: -1, e: b }]);
        case '*': return mkProduct([{ base: a, exp: 1 }, { base: b, exp: 1 }]);
        case '/': return mkProduct([{ base: a, exp: 1 }, { base: b, exp: -1 }]);
        case '^': return mkPow(a, b);
        case '&&':
        case '||':
          return mkLogic(e.op, a, b);
        default:
          return mkCompare(e.op, a, b);
      }
    }
    case 'call': {
      checkArity(e);
      return mkCall(e.fn, e.args.map(simplifyNode));
    }
    case 'if': return mkIf(simplifyNode(e.cond), simplifyNode(e.then), simplifyNode(e.else));
    case 'field': return { ...e, index: simplifyNode(e.index) };
    case 'graph_agg': return { ...e, index: simplifyNode(e.index) };
  }
}

/** A node whose every value is one finite number becomes that number. */
function finish(e: Expr): Expr {
  if (e.k === 'num') return e;
  const i = evalInterval(e);
  if (!i.nan && i.lo === i.hi && Number.isFinite(i.lo)) return mkNum(i.lo);
  return e;
}

// ---------------------------------------------------------------------------------------------
// Products: coefficient (cnum / cden) times factors with non-zero integer exponents.

export interface Factor {
  base: Expr;
  exp: number;
}

export interface Product {
  cnum: number;
  cden: number;
  factors: Factor[];
}

const MAX_EXPANDED_EXPONENT = 64;

function expandProduct(e: Expr, exp: number, out: Product): void {
  const v = finiteNum(e);
  if (v !== undefined && (v !== 0 || exp > 0)) {
    const p = Math.pow(v, Math.abs(exp));
    const next = exp > 0 ? out.cnum * p : out.cden * p;
    if (Number.isFinite(p) && p !== 0 && Number.isFinite(next) && next !== 0) {
      if (exp > 0) out.cnum = next;
      else out.cden = next;
      return;
    }
    if (v === 0 || (exp > 0 && out.cnum === 0)) {
      out.cnum = 0;
      return;
    }
  }
  if (e.k === 'unary' && e.op === '-') {
    if (exp % 2 !== 0) out.cnum = -out.cnum;
    expandProduct(e.a, exp, out);
    return;
  }
  if (e.k === 'binary') {
    if (e.op === '*' || e.op === '/') {
      expandProduct(e.a, exp, out);
      expandProduct(e.b, e.op === '/' ? -exp : exp, out);
      return;
    }
    const n = finiteNum(e.b);
    if (e.op === '^' && n !== undefined && Number.isInteger(n) && n !== 0 && Math.abs(n * exp) <= MAX_EXPANDED_EXPONENT) {
      expandProduct(e.a, exp * n, out);
      return;
    }
  }
  out.factors.push({ base: e, exp });
}

/** Merges factors with the same base: x^a x^b = x^(a+b), only when that keeps the value. */
function mergeFactors(factors: Factor[]): Factor[] {
  // 0^n is 0 for n > 0: a zero literal keeps only the sign of its exponent.
  const norm = (fs: Factor[]) => fs.map((f) => (finiteNum(f.base) === 0 ? { base: f.base, exp: Math.sign(f.exp) } : f));
  return norm(mergeLike(norm(factors)));
}

function mergeLike(factors: Factor[]): Factor[] {
  const out: Factor[] = [];
  const byKey = new Map<string, number[]>();
  for (const f of factors) {
    const key = exprKey(f.base);
    const slots = byKey.get(key) ?? [];
    let merged = false;
    for (const i of slots) {
      const g = out[i]!;
      // Same-sign integer exponents always combine (x*x = x^2 even for 0, inf, NaN, x < 0);
      // x / x = 1 needs x finite and non-zero.
      if (Math.sign(g.exp) === Math.sign(f.exp) || safeNonZero(f.base)) {
        out[i] = { base: g.base, exp: g.exp + f.exp };
        merged = true;
        break;
      }
    }
    if (!merged) {
      slots.push(out.length);
      byKey.set(key, slots);
      out.push(f);
    }
  }
  return out.filter((f) => f.exp !== 0);
}

const isPow2 = (x: number) => {
  const a = Math.abs(x);
  return a > 0 && Number.isFinite(a) && Math.pow(2, Math.round(Math.log2(a))) === a;
};

/** c / d when that division is exact (so folding it loses nothing), else undefined. */
function exactQuotient(c: number, d: number): number | undefined {
  if (d === 1) return c;
  const q = c / d;
  if (!Number.isFinite(q)) return undefined;
  if (isPow2(d) && (q === 0 ? c === 0 : Math.abs(q) >= 2 ** -1000)) return q;
  if (Number.isInteger(q) && Math.abs(q) < 2 ** 53 && q * d === c) return q;
  return undefined;
}

function factorExpr(f: Factor): Expr {
  const n = Math.abs(f.exp);
  return n === 1 ? f.base : bin('^', f.base, mkNum(n));
}

function productOf(xs: Expr[]): Expr | undefined {
  if (xs.length === 0) return undefined;
  return xs.slice(1).reduce((acc, x) => bin('*', acc, x), xs[0]!);
}

function buildProduct(p: Product): Expr {
  let c = p.cnum;
  let d = p.cden;
  const q = exactQuotient(c, d);
  if (q !== undefined) {
    c = q;
    d = 1;
  }
  const numer = p.factors.filter((f) => f.exp > 0).map(factorExpr);
  // A zero divisor leads its product, as simplifying that product on its own would put it.
  const denom = p.factors.filter((f) => f.exp < 0);
  const denomFactors = [...denom.filter((f) => finiteNum(f.base) === 0), ...denom.filter((f) => finiteNum(f.base) !== 0)].map(factorExpr);
  if (numer.length === 0 && denomFactors.length === 0) {
    const v = c / d;
    return Number.isFinite(v) ? mkNum(v) : bin('/', mkNum(c), mkNum(d));
  }
  // -(a - b) written as b - a: a negated single sum distributes (negation is exact).
  let top: Expr;
  if (c === -1 && numer.length === 1 && isSum(numer[0]!)) top = mkSum([{ sign: -1, e: numer[0]! }]);
  else if (c === 1) top = productOf(numer) ?? mkNum(1);
  else if (c === -1) top = numer.length ? neg(productOf(numer)!) : mkNum(-1);
  else top = productOf([mkNum(c), ...numer])!;
  const den = productOf(d === 1 ? denomFactors : [mkNum(d), ...denomFactors]);
  return den ? bin('/', top, den) : top;
}

const isSum = (e: Expr) => e.k === 'binary' && (e.op === '+' || e.op === '-');

/**
 * e as coefficient (cnum / cden) times factors base^exp with non-zero integer exponents, the way
 * simplify sees a product (derivative uses it for the product rule without cancelling factors).
 */
export function productFactors(e: Expr): Product {
  const p: Product = { cnum: 1, cden: 1, factors: [] };
  expandProduct(e, 1, p);
  p.factors = mergeFactors(p.factors);
  return p;
}

export function mkProduct(parts: Factor[]): Expr {
  const p: Product = { cnum: 1, cden: 1, factors: [] };
  for (const f of parts) expandProduct(f.base, f.exp, p);
  return normaliseProduct(p) ? buildProduct(p) : mkNum(0);
}

/** Merges factors and drops what a zero makes irrelevant, in place; false when p is just 0. */
function normaliseProduct(p: Product): boolean {
  p.factors = mergeFactors(p.factors);
  // x / (c * y * 0) is x / 0 for finite y (up to the sign of zero): keep the zero divisor alone.
  if (p.factors.some((f) => f.exp < 0 && finiteNum(f.base) === 0)) {
    p.factors = p.factors.filter((f) => f.exp > 0 || finiteNum(f.base) === 0 || !safe(f.base));
    p.cden = 1;
  }
  if (p.cnum === 0) {
    // 0 times finite factors is 0 (up to its sign); only factors that may be inf, NaN or (as
    // divisors) zero can change that, so only they stay: 0 * log(t), 0 / t.
    p.factors = p.factors.filter((f) => (f.exp > 0 ? !safe(f.base) : !safeNonZero(f.base)));
    if (p.factors.length === 0) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Sums: terms coefficient * product, like terms collected.

interface SignedTerm {
  sign: 1 | -1;
  e: Expr;
}

interface Term extends Product {
  key: string;
}

function expandSum(e: Expr, sign: 1 | -1, out: SignedTerm[]): void {
  if (e.k === 'binary' && (e.op === '+' || e.op === '-')) {
    expandSum(e.a, sign, out);
    expandSum(e.b, e.op === '-' ? (-sign as 1 | -1) : sign, out);
  } else if (e.k === 'unary' && e.op === '-') {
    expandSum(e.a, -sign as 1 | -1, out);
  } else {
    out.push({ sign, e });
  }
}

const factorsKey = (fs: Factor[]) => fs.map((f) => `${exprKey(f.base)}^${f.exp}`).sort().join('*');
const bodySafe = (fs: Factor[]) => fs.every((f) => (f.exp > 0 ? safe(f.base) : safeNonZero(f.base)));

/** Adds b into a when the result equals evaluating both (same sign, or a finite body). */
function tryMerge(a: Term, b: Term): Term | undefined {
  const sameSign = (a.cnum > 0 && b.cnum > 0) || (a.cnum < 0 && b.cnum < 0);
  if (!sameSign && !bodySafe(a.factors)) return undefined;
  let cnum: number;
  let cden: number;
  if (a.cden === b.cden) {
    cnum = a.cnum + b.cnum;
    cden = a.cden;
  } else {
    cnum = a.cnum / a.cden + b.cnum / b.cden;
    cden = 1;
  }
  if (!Number.isFinite(cnum)) return undefined;
  return { ...a, cnum, cden };
}

export function mkSum(parts: SignedTerm[]): Expr {
  const flat: SignedTerm[] = [];
  for (const p of parts) expandSum(p.e, p.sign, flat);
  const terms: Term[] = [];
  const byKey = new Map<string, number[]>();
  for (const { sign, e } of flat) {
    const p: Product = { cnum: 1, cden: 1, factors: [] };
    expandProduct(e, 1, p);
    if (!normaliseProduct(p)) continue;
    const t: Term = { cnum: sign * p.cnum, cden: p.cden, factors: p.factors, key: factorsKey(p.factors) };
    const slots = byKey.get(t.key) ?? [];
    let merged = false;
    for (const i of slots) {
      const m = tryMerge(terms[i]!, t);
      if (m) {
        terms[i] = m;
        merged = true;
        break;
      }
    }
    if (!merged) {
      slots.push(terms.length);
      byKey.set(t.key, slots);
      terms.push(t);
    }
  }
  const kept = terms.filter((t) => !(t.cnum === 0 && bodySafe(t.factors)));
  if (kept.length === 0) return mkNum(0);
  // Lead with a positive term when there is one: 1 - t rather than -t + 1.
  const firstPositive = kept.findIndex((t) => t.cnum > 0);
  if (kept[0]!.cnum < 0 && firstPositive > 0) kept.unshift(...kept.splice(firstPositive, 1));
  let acc = termExpr(kept[0]!, 1);
  for (const t of kept.slice(1)) {
    if (t.cnum < 0) acc = bin('-', acc, termExpr(t, -1));
    else acc = bin('+', acc, termExpr(t, 1));
  }
  return acc;
}

function termExpr(t: Term, sign: 1 | -1): Expr {
  return buildProduct({ cnum: sign * t.cnum, cden: t.cden, factors: t.factors });
}

export function mkNeg(a: Expr): Expr {
  return mkSum([{ sign: -1, e: a }]);
}

// ---------------------------------------------------------------------------------------------
// Powers, calls, comparisons, logic, if.

function foldIfFinite(node: Expr): Expr {
  try {
    const v = evalExpr(node, {});
    return Number.isFinite(v) ? mkNum(v) : node;
  } catch {
    return node;
  }
}

export function mkPow(a: Expr, b: Expr): Expr {
  const bv = finiteNum(b);
  if (bv === 0) return mkNum(1); // pow(x, 0) = 1 for every x, NaN included
  if (bv === 1) return a;
  if (isNum(a) && isNum(b)) return foldIfFinite(bin('^', a, b));
  if (bv !== undefined && Number.isInteger(bv) && Math.abs(bv) <= MAX_EXPANDED_EXPONENT) return mkProduct([{ base: a, exp: bv }]);
  if (finiteNum(a) === 1 && safe(b)) return mkNum(1); // 1^inf and 1^NaN are NaN
  return bin('^', a, b);
}

function flattenMinMax(fn: 'min' | 'max', args: Expr[]): Expr[] {
  const out: Expr[] = [];
  for (const a of args) {
    if (a.k === 'call' && a.fn === fn) out.push(...flattenMinMax(fn, a.args));
    else out.push(a);
  }
  return out;
}

function mkMinMax(fn: 'min' | 'max', raw: Expr[]): Expr {
  let args = flattenMinMax(fn, raw);
  // Constants fold among themselves (they are never NaN); duplicates go.
  const consts = args.map(finiteNum).filter((v): v is number => v !== undefined);
  const others: Expr[] = [];
  for (const a of args) {
    if (finiteNum(a) !== undefined) continue;
    if (!others.some((o) => equalExpr(o, a))) others.push(a);
  }
  args = consts.length ? [...others, mkNum(fn === 'min' ? Math.min(...consts) : Math.max(...consts))] : others;
  // An argument that can never win (another is always at least as good) and is never NaN goes.
  const ivs = args.map((a) => evalInterval(a));
  const keep = args.filter((_, i) => {
    const me = ivs[i]!;
    if (me.nan || isEmpty(me)) return true;
    return !ivs.some((o, j) => {
      if (j === i || isEmpty(o)) return false;
      // Tie: keep the earlier of two always-equal arguments.
      const dominates = fn === 'min' ? o.hi <= me.lo : o.lo >= me.hi;
      const strictly = fn === 'min' ? o.hi < me.lo : o.lo > me.hi;
      return dominates && (strictly || j < i);
    });
  });
  if (keep.length === 1) return keep[0]!;
  return { k: 'call', fn, args: keep };
}

function mkCall(fn: Fn, args: Expr[]): Expr {
  const node: CallExpr = { k: 'call', fn, args };
  if (args.every(isNum) && fn !== 'min' && fn !== 'max') return foldIfFinite(node);
  const a = args[0]!;
  const ia = () => evalInterval(a);
  switch (fn) {
    case 'pow': return mkPow(a, args[1]!);
    case 'min':
    case 'max':
      return mkMinMax(fn, args);
    case 'exp':
      // exp(log x) = x for x >= 0 (exp(log 0) = exp(-inf) = 0); for x < 0 it is NaN.
      if (a.k === 'call' && a.fn === 'log' && evalInterval(a.args[0]!).lo >= 0) return a.args[0]!;
      break;
    case 'log':
      // log(exp x) = x while exp(x) neither overflows nor underflows.
      if (a.k === 'call' && a.fn === 'exp' && inRange(a.args[0]!, -708, 709)) return a.args[0]!;
      break;
    case 'expm1':
      if (a.k === 'call' && a.fn === 'log1p' && evalInterval(a.args[0]!).lo >= -1) return a.args[0]!;
      break;
    case 'log1p':
      if (a.k === 'call' && a.fn === 'expm1' && inRange(a.args[0]!, -30, 709)) return a.args[0]!;
      break;
    case 'abs': {
      if (a.k === 'call' && a.fn === 'abs') return a;
      if (a.k === 'unary' && a.op === '-') return mkCall('abs', [a.a]);
      const i = ia();
      if (i.lo >= 0) return a;
      if (i.hi <= 0) return mkNeg(a);
      break;
    }
    case 'floor':
    case 'ceil':
      if (a.k === 'call' && (a.fn === 'floor' || a.fn === 'ceil')) return a;
      break;
    case 'clamp': {
      const lo = finiteNum(args[1]!);
      const hi = finiteNum(args[2]!);
      const i = ia();
      // clamp(NaN, lo, hi) is NaN, like x itself.
      if (lo !== undefined && hi !== undefined && lo <= hi && (isEmpty(i) || (i.lo >= lo && i.hi <= hi))) return a;
      break;
    }
  }
  return node;
}

function inRange(e: Expr, lo: number, hi: number): boolean {
  const i = evalInterval(e);
  return isEmpty(i) || (i.lo >= lo && i.hi <= hi);
}

/** Values are always 0 or 1 (or NaN-free booleans). */
export function isBoolValued(e: Expr): boolean {
  switch (e.k) {
    case 'num': return e.v === 0 || e.v === 1;
    case 'unary': return e.op === '!';
    case 'binary': return !['+', '-', '*', '/', '^'].includes(e.op);
    case 'if': return isBoolValued(e.then) && isBoolValued(e.else);
    default: return false;
  }
}

function mkCompare(op: Cmp, a: Expr, b: Expr): Expr {
  if (isNum(a) && isNum(b)) return foldIfFinite(bin(op, a, b));
  if (equalExpr(a, b)) {
    if (op === '<' || op === '>') return mkNum(0);
    if (!evalInterval(a).nan) return mkNum(op === '!=' ? 0 : 1);
  }
  return bin(op, a, b);
}

function mkNot(a: Expr): Expr {
  if (isNum(a)) return foldIfFinite({ k: 'unary', op: '!', a });
  if (a.k === 'unary' && a.op === '!' && isBoolValued(a.a)) return a.a;
  return { k: 'unary', op: '!', a };
}

function truthyConst(e: Expr): boolean | undefined {
  if (!isNum(e)) return undefined;
  const v = numValue(e.v);
  return v !== 0;
}

function mkLogic(op: '&&' | '||', a: Expr, b: Expr): Expr {
  const ta = truthyConst(a);
  const tb = truthyConst(b);
  if (op === '&&') {
    if (ta === false || tb === false) return mkNum(0);
    if (ta === true && isBoolValued(b)) return b;
    if (tb === true && isBoolValued(a)) return a;
    if (ta === true && tb === true) return mkNum(1);
  } else {
    if (ta === true || tb === true) return mkNum(1);
    if (ta === false && isBoolValued(b)) return b;
    if (tb === false && isBoolValued(a)) return a;
    if (ta === false && tb === false) return mkNum(0);
  }
  if (equalExpr(a, b) && isBoolValued(a)) return a;
  return bin(op, a, b);
}

function mkIf(cond: Expr, then: Expr, els: Expr): Expr {
  const { canTrue, canFalse } = truthiness(evalInterval(cond));
  if (!canFalse) return then;
  if (!canTrue) return els;
  if (equalExpr(then, els)) return then;
  if (isBoolValued(cond)) {
    if (finiteNum(then) === 1 && finiteNum(els) === 0) return cond;
    if (finiteNum(then) === 0 && finiteNum(els) === 1) return mkNot(cond);
  }
  return { k: 'if', cond, then, else: els };
}
