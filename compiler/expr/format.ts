// Expressions printed in the .kernel surface syntax with the fewest parentheses that keep the
// tree (docs/expressions.md, "Syntax"). Precedence, loosest first:
//   ||   &&   == !=   < <= > >=   + -   * /   unary - !   ^ (right-associative)   calls, atoms
// so -x^2 is -(x^2), (-x)^2 keeps its parentheses, a - (b - c) keeps its own, and an exponent may
// be unary (2^-1). Comparisons do not chain: a comparison inside any comparison is parenthesised.
// `if` prints as if(c, a, b), a call in the grammar (grammar/parser.ts has the same ladder).
import type { Expr } from '../../specs/types/kernel.ts';

const LEVEL: Record<string, number> = {
  '||': 1,
  '&&': 2,
  '==': 3,
  '!=': 3,
  '<': 4,
  '<=': 4,
  '>': 4,
  '>=': 4,
  '+': 5,
  '-': 5,
  '*': 6,
  '/': 6,
};
const UNARY = 7;
const POW = 8;
const ATOM = 9;

/** Shortest text that reads back as the same float64 (String() of a number is exactly that). */
export function formatNumber(v: number | 'inf' | '-inf'): string {
  if (v === 'inf' || v === Infinity) return 'inf';
  if (v === '-inf' || v === -Infinity) return '-inf';
  return String(v);
}

function level(e: Expr): number {
  switch (e.k) {
    case 'num': {
      const neg = e.v === '-inf' || (typeof e.v === 'number' && (e.v < 0 || Object.is(e.v, -0)));
      return neg ? UNARY : ATOM;
    }
    case 'unary': return UNARY;
    case 'binary': return e.op === '^' ? POW : LEVEL[e.op]!;
    default: return ATOM;
  }
}

function wrap(e: Expr, ok: boolean): string {
  const s = formatExpr(e);
  return ok ? s : `(${s})`;
}

export function formatExpr(e: Expr): string {
  switch (e.k) {
    case 'num': return formatNumber(e.v);
    case 'var': return e.name;
    case 'param': return e.name;
    case 'unary': {
      // -(-x) and !(!x), not --x.
      const inner = level(e.a);
      return e.op + wrap(e.a, inner > UNARY);
    }
    case 'binary': {
      // The exponent is a unary expression in the grammar: 2^-1, 2^-x^2 = 2^(-(x^2)).
      if (e.op === '^') return `${wrap(e.a, level(e.a) > POW)}^${wrap(e.b, level(e.b) >= UNARY)}`;
      const L = LEVEL[e.op]!;
      const comparison = L === 3 || L === 4;
      const la = level(e.a);
      const lb = level(e.b);
      const isCmp = (l: number) => l === 3 || l === 4;
      const left = comparison ? la > L && !isCmp(la) : la >= L;
      const right = comparison ? lb > L && !isCmp(lb) : lb > L;
      return `${wrap(e.a, left)} ${e.op} ${wrap(e.b, right)}`;
    }
    case 'call': return `${e.fn}(${e.args.map(formatExpr).join(', ')})`;
    case 'if': return `if(${formatExpr(e.cond)}, ${formatExpr(e.then)}, ${formatExpr(e.else)})`;
    case 'field': return `${e.field}[${formatExpr(e.index)}]`;
    case 'graph_agg': return `${e.graph}.${e.agg}(${e.of})[${formatExpr(e.index)}]`;
  }
}
