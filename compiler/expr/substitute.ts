// Parameters replaced by their values (booleans become 1 and 0, as evalExpr reads them).
import type { Expr } from '../../specs/types/kernel.ts';
import { ExprError } from './errors.ts';
import { mkNum } from './simplify.ts';

export type ParamValues = Readonly<Record<string, number | boolean>>;

/** Replaces every parameter that has a value; others stay. The result is not simplified. */
export function substituteParams(e: Expr, values: ParamValues): Expr {
  const go = (x: Expr): Expr => {
    switch (x.k) {
      case 'param': {
        if (!Object.prototype.hasOwnProperty.call(values, x.name)) return x;
        const v = values[x.name]!;
        const n = typeof v === 'boolean' ? (v ? 1 : 0) : v;
        if (Number.isNaN(n)) throw new ExprError(`parameter '${x.name}' is NaN`, { expr: x });
        return mkNum(n);
      }
      case 'unary': return { ...x, a: go(x.a) };
      case 'binary': return { ...x, a: go(x.a), b: go(x.b) };
      case 'call': return { ...x, args: x.args.map(go) };
      case 'if': return { ...x, cond: go(x.cond), then: go(x.then), else: go(x.else) };
      case 'field': return { ...x, index: go(x.index) };
      case 'graph_agg': return { ...x, index: go(x.index) };
      default: return x;
    }
  };
  return go(e);
}
