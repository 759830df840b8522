// Structural identity of expressions. `exprKey` treats + and * as commutative and associative
// (sums and products are flattened and their operands sorted), so `x*y` and `y*x` get one key;
// simplify uses it to collect like terms. `equalExpr` is exact tree equality.
import type { Expr } from '../../specs/types/kernel.ts';

export function equalExpr(a: Expr, b: Expr): boolean {
  if (a === b) return true;
  if (a.k !== b.k) return false;
  switch (a.k) {
    case 'num': return a.v === (b as typeof a).v;
    case 'var': return a.name === (b as typeof a).name;
    case 'param': return a.name === (b as typeof a).name;
    case 'unary': { const c = b as typeof a; return a.op === c.op && equalExpr(a.a, c.a); }
    case 'binary': { const c = b as typeof a; return a.op === c.op && equalExpr(a.a, c.a) && equalExpr(a.b, c.b); }
    case 'call': {
      const c = b as typeof a;
      return a.fn === c.fn && a.args.length === c.args.length && a.args.every((x, i) => equalExpr(x, c.args[i]!));
    }
    case 'if': { const c = b as typeof a; return equalExpr(a.cond, c.cond) && equalExpr(a.then, c.then) && equalExpr(a.else, c.else); }
    case 'field': { const c = b as typeof a; return a.field === c.field && equalExpr(a.index, c.index); }
    case 'graph_agg': {
      const c = b as typeof a;
      return a.graph === c.graph && a.agg === c.agg && a.of === c.of && equalExpr(a.index, c.index);
    }
  }
}

// Cached per node only inside withKeyCache (trees are plain objects a caller may change).
let cache: WeakMap<Expr, string> | null = null;

export function withKeyCache<T>(f: () => T): T {
  if (cache) return f();
  cache = new WeakMap();
  try {
    return f();
  } finally {
    cache = null;
  }
}

export function exprKey(e: Expr): string {
  if (!cache) return withKeyCache(() => exprKey(e));
  let k = cache.get(e);
  if (k === undefined) {
    k = computeKey(e);
    cache.set(e, k);
  }
  return k;
}

function sumParts(e: Expr, sign: string, out: string[]): void {
  if (e.k === 'binary' && (e.op === '+' || e.op === '-')) {
    sumParts(e.a, sign, out);
    sumParts(e.b, e.op === '-' ? (sign === '+' ? '-' : '+') : sign, out);
  } else if (e.k === 'unary' && e.op === '-') {
    sumParts(e.a, sign === '+' ? '-' : '+', out);
  } else {
    out.push(sign + exprKey(e));
  }
}

function productParts(e: Expr, inv: boolean, out: string[]): void {
  if (e.k === 'binary' && (e.op === '*' || e.op === '/')) {
    productParts(e.a, inv, out);
    productParts(e.b, e.op === '/' ? !inv : inv, out);
  } else {
    out.push((inv ? '/' : '*') + exprKey(e));
  }
}

function computeKey(e: Expr): string {
  switch (e.k) {
    case 'num': return typeof e.v === 'number' ? `#${String(e.v)}` : `#${e.v}`;
    case 'var': return `$${e.name}`;
    case 'param': return `@${e.name}`;
    case 'unary': return `(${e.op} ${exprKey(e.a)})`;
    case 'binary': {
      if (e.op === '+' || e.op === '-') {
        const parts: string[] = [];
        sumParts(e, '+', parts);
        return `(+ ${parts.sort().join(' ')})`;
      }
      if (e.op === '*' || e.op === '/') {
        const parts: string[] = [];
        productParts(e, false, parts);
        return `(* ${parts.sort().join(' ')})`;
      }
      return `(${e.op} ${exprKey(e.a)} ${exprKey(e.b)})`;
    }
    case 'call': return `${e.fn}(${e.args.map(exprKey).join(',')})`;
    case 'if': return `(if ${exprKey(e.cond)} ${exprKey(e.then)} ${exprKey(e.else)})`;
    case 'field': return `${e.field}[${exprKey(e.index)}]`;
    case 'graph_agg': return `${e.graph}.${e.agg}(${e.of})[${exprKey(e.index)}]`;
  }
}
