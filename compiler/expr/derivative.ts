// Symbolic differentiation (docs/expressions.md, "derivative"). The result is simplified.
// Piecewise functions (if, abs, min, max, clamp) differentiate branch by branch, so at a kink the
// derivative is one of the one-sided ones; floor, ceil, comparisons and logic have derivative 0
// (almost everywhere). Per-token fields and graph aggregates are inputs, constant in t and s.
// a^b with b depending on the variable uses log(a), so it holds where a > 0; where a <= 0 it is
// NaN even if a^b happens to be flat there (0^b, or (-2)^b with b locally constant).
import type { Expr } from '../../specs/types/kernel.ts';
import { ExprError } from './errors.ts';
import { checkArity } from './functions.ts';
import { equalExpr } from './key.ts';
import { mkNum, productFactors, simplify } from './simplify.ts';

const ZERO = mkNum(0);
const ONE = mkNum(1);
const isZero = (e: Expr) => e.k === 'num' && e.v === 0;
const isOne = (e: Expr) => e.k === 'num' && e.v === 1;

// Builders for derivative terms. A structural zero is a true zero here: d/dt of a constant is
// exactly 0, so 0 * f'(t) is 0 wherever the derivative exists, even where f is infinite.
const add = (a: Expr, b: Expr): Expr => (isZero(a) ? b : isZero(b) ? a : { k: 'binary', op: '+', a, b });
const neg = (a: Expr): Expr => (isZero(a) ? ZERO : { k: 'unary', op: '-', a });
const sub = (a: Expr, b: Expr): Expr => (isZero(b) ? a : isZero(a) ? neg(b) : { k: 'binary', op: '-', a, b });
const mul = (a: Expr, b: Expr): Expr =>
  isZero(a) || isZero(b) ? ZERO : isOne(a) ? b : isOne(b) ? a : { k: 'binary', op: '*', a, b };
const div = (a: Expr, b: Expr): Expr => (isZero(a) ? ZERO : isOne(b) ? a : { k: 'binary', op: '/', a, b });
const pow = (a: Expr, b: Expr): Expr => ({ k: 'binary', op: '^', a, b });
const call = (fn: Extract<Expr, { k: 'call' }>['fn'], ...args: Expr[]): Expr => ({ k: 'call', fn, args });
const iff = (cond: Expr, then: Expr, els: Expr): Expr => ({ k: 'if', cond, then, else: els });
const cmp = (op: '<' | '<=' | '>=', a: Expr, b: Expr): Expr => ({ k: 'binary', op, a, b });

export type DiffVar = 't' | 's';

/** d e / d variable, symbolic and simplified. */
export function derivative(e: Expr, variable: DiffVar): Expr {
  if (variable !== 't' && variable !== 's') throw new ExprError(`can only differentiate with respect to t or s, not '${String(variable)}'`);
  return simplify(d(simplify(e), variable));
}

function d(e: Expr, x: DiffVar): Expr {
  switch (e.k) {
    case 'num':
    case 'param':
    case 'field':
    case 'graph_agg':
      return ZERO;
    case 'var':
      return e.name === x ? ONE : ZERO;
    case 'unary':
      return e.op === '-' ? neg(d(e.a, x)) : ZERO;
    case 'binary': {
      const { a, b } = e;
      switch (e.op) {
        case '+': return add(d(a, x), d(b, x));
        case '-': return sub(d(a, x), d(b, x));
        case '*':
        case '/':
          return dProduct(e, x);
        case '^': return dPow(a, b, x);
        default: return ZERO; // comparisons and logic: piecewise constant
      }
    }
    case 'if': return iff(e.cond, d(e.then, x), d(e.else, x));
    case 'call': {
      checkArity(e);
      const a = e.args[0]!;
      const da = () => d(a, x);
      switch (e.fn) {
        case 'exp': return mul(e, da());
        case 'expm1': return mul(call('exp', a), da());
        case 'log': return div(da(), a);
        case 'log1p': return div(da(), add(ONE, a));
        case 'sqrt': return div(da(), mul(mkNum(2), e));
        case 'pow': return dPow(a, e.args[1]!, x);
        case 'sin': return mul(call('cos', a), da());
        case 'cos': return neg(mul(call('sin', a), da()));
        case 'tan': return div(da(), pow(call('cos', a), mkNum(2)));
        case 'tanh': return mul(sub(ONE, pow(e, mkNum(2))), da());
        case 'abs': {
          const g = da();
          return isZero(g) ? ZERO : iff(cmp('<', a, ZERO), neg(g), g);
        }
        case 'floor':
        case 'ceil':
          return ZERO;
        case 'min':
        case 'max':
          return dMinMax(e.fn, e.args, x);
        case 'clamp': {
          // clamp(v, lo, hi) = min(max(v, lo), hi)
          const inner = call('max', a, e.args[1]!);
          return dMinMax('min', [inner, e.args[2]!], x);
        }
      }
    }
  }
}

/**
 * Product rule on c * prod f_i^n_i (integer n_i): sum_i c n_i f_i^(n_i - 1) f_i' prod_(j != i) f_j^n_j.
 * No term divides by a factor, so (1 - t)^-2 gives 2 / (1 - t)^3, not 2 (1 - t) / (1 - t)^4.
 */
function dProduct(e: Expr, x: DiffVar): Expr {
  const p = productFactors(e);
  let total: Expr = ZERO;
  p.factors.forEach((f, i) => {
    const df = d(f.base, x);
    if (isZero(df)) return;
    const c = p.cnum * f.exp;
    let term: Expr = p.cden === 1 ? mkNum(c) : div(mkNum(c), mkNum(p.cden));
    // Factors keep their order; f_i^(n_i - 1) f_i' stands where f_i stood.
    p.factors.forEach((g, j) => {
      if (j !== i) term = mul(term, g.exp === 1 ? g.base : pow(g.base, mkNum(g.exp)));
      else term = mul(f.exp === 1 ? term : mul(term, pow(f.base, mkNum(f.exp - 1))), df);
    });
    total = add(total, term);
  });
  return total;
}

/** d min(a1..an): the derivative of the argument that is the minimum (first one on ties). */
function dMinMax(fn: 'min' | 'max', args: Expr[], x: DiffVar): Expr {
  const [first, ...rest] = args;
  if (!first) throw new ExprError(`${fn} needs at least one argument`);
  if (rest.length === 0) return d(first, x);
  const others = rest.length === 1 ? rest[0]! : call(fn, ...rest);
  const df = d(first, x);
  const dr = dMinMax(fn, rest, x);
  if (isZero(df) && isZero(dr)) return ZERO;
  return iff(cmp(fn === 'min' ? '<=' : '>=', first, others), df, dr);
}

function dPow(a: Expr, b: Expr, x: DiffVar): Expr {
  const da = d(a, x);
  const db = d(b, x);
  if (isZero(db)) {
    // b a^(b-1) a'
    if (isZero(da)) return ZERO;
    return mul(mul(b, pow(a, sub(b, ONE))), da);
  }
  const ab = pow(a, b);
  if (isZero(da)) return mul(mul(ab, call('log', a)), db); // a^b log(a) b'
  // a^b (b' log a + b a' / a); for x^x the second term is just x'.
  const second = equalExpr(a, b) ? da : div(mul(b, da), a);
  return mul(ab, add(mul(db, call('log', a)), second));
}
