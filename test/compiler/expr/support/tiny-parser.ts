// A test-only parser of the expression surface syntax, with the precedence ladder of
// grammar/parser.ts (|| && comparison + * unary ^ postfix), to check that formatExpr's output
// reads back as the same tree. Not the project's parser: no recovery, no locations.
import type { Expr } from '../../../../specs/types/kernel.ts';
import { isFn } from '../../../../compiler/expr/index.ts';

const TOKEN = /\s*(?:(\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|([A-Za-z_][A-Za-z0-9_]*)|(\|\||&&|==|!=|<=|>=|[<>+\-*/^!(),[\].]))/y;
const VARS = new Set(['t', 's', 'step', 'v']);
const FIELDS = new Set(['logit', 'prob', 'count']);

export function parseExpr(text: string): Expr {
  const toks: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < text.length) {
    const start = TOKEN.lastIndex;
    const m = TOKEN.exec(text);
    if (!m) {
      if (text.slice(start).trim() === '') break;
      throw new Error(`cannot read '${text.slice(start)}'`);
    }
    toks.push(m[1] ?? m[2] ?? m[3]!);
  }
  let i = 0;
  const peek = () => toks[i];
  const take = (want?: string) => {
    const x = toks[i++];
    if (x === undefined || (want !== undefined && x !== want)) throw new Error(`expected ${want ?? 'more'} at token ${i - 1} of ${text}, got ${x}`);
    return x;
  };
  const binary = (op: string, a: Expr, b: Expr) => ({ k: 'binary', op, a, b }) as Expr;
  const expression = (): Expr => {
    let a = andExpr();
    while (peek() === '||') a = binary(take(), a, andExpr());
    return a;
  };
  const andExpr = (): Expr => {
    let a = comparison();
    while (peek() === '&&') a = binary(take(), a, comparison());
    return a;
  };
  const comparison = (): Expr => {
    const a = additive();
    if (['<', '<=', '>', '>=', '==', '!='].includes(peek() ?? '')) return binary(take(), a, additive());
    return a;
  };
  const additive = (): Expr => {
    let a = multiplicative();
    while (peek() === '+' || peek() === '-') a = binary(take(), a, multiplicative());
    return a;
  };
  const multiplicative = (): Expr => {
    let a = unary();
    while (peek() === '*' || peek() === '/') a = binary(take(), a, unary());
    return a;
  };
  const unary = (): Expr => {
    if (peek() === '-' || peek() === '!') {
      const op = take() as '-' | '!';
      return { k: 'unary', op, a: unary() };
    }
    return power();
  };
  const power = (): Expr => {
    const base = postfix();
    if (peek() === '^') {
      take();
      return binary('^', base, unary());
    }
    return base;
  };
  const args = (): Expr[] => {
    take('(');
    const out: Expr[] = [];
    if (peek() !== ')') {
      out.push(expression());
      while (peek() === ',') {
        take();
        out.push(expression());
      }
    }
    take(')');
    return out;
  };
  const index = (): Expr => {
    take('[');
    const x = expression();
    take(']');
    return x;
  };
  const postfix = (): Expr => {
    const tok = take();
    if (tok === '(') {
      const x = expression();
      take(')');
      return x;
    }
    if (/^\d/.test(tok)) return { k: 'num', v: Number(tok) };
    if (tok === 'inf') return { k: 'num', v: 'inf' };
    if (FIELDS.has(tok) && peek() === '[') return { k: 'field', field: tok as 'logit', index: index() };
    if (peek() === '.') {
      take();
      const agg = take() as 'sum';
      take('(');
      const of = take() as 'count';
      take(')');
      return { k: 'graph_agg', graph: tok, agg, of, index: index() };
    }
    if (peek() === '(') {
      const xs = args();
      if (tok === 'if') return { k: 'if', cond: xs[0]!, then: xs[1]!, else: xs[2]! };
      if (!isFn(tok)) throw new Error(`unknown function ${tok}`);
      return { k: 'call', fn: tok, args: xs };
    }
    if (VARS.has(tok)) return { k: 'var', name: tok as 't' };
    return { k: 'param', name: tok };
  };
  const out = expression();
  if (i !== toks.length) throw new Error(`trailing input at token ${i} of ${text}`);
  return out;
}

/** -c (unary minus of a literal) as the literal -c, so trees compare after a round trip. */
export function normaliseLiterals(e: Expr): Expr {
  const n = normaliseLiterals;
  switch (e.k) {
    case 'unary': {
      const a = n(e.a);
      if (e.op === '-' && a.k === 'num' && (a.v === 'inf' || (typeof a.v === 'number' && a.v > 0))) {
        return { k: 'num', v: a.v === 'inf' ? '-inf' : -a.v };
      }
      return { ...e, a };
    }
    case 'binary': return { ...e, a: n(e.a), b: n(e.b) };
    case 'call': return { ...e, args: e.args.map(n) };
    case 'if': return { ...e, cond: n(e.cond), then: n(e.then), else: n(e.else) };
    case 'field': return { ...e, index: n(e.index) };
    case 'graph_agg': return { ...e, index: n(e.index) };
    default: return e;
  }
}
