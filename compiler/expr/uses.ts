// What an expression reads: parameters, variables, per-token fields, graphs.
import type { Expr } from '../../specs/types/kernel.ts';
import type { FieldName, VarName } from './interval.ts';
import { simplify } from './simplify.ts';

/** Calls f on e and every sub-expression, parents first. */
export function walkExpr(e: Expr, f: (x: Expr) => void): void {
  f(e);
  switch (e.k) {
    case 'unary': walkExpr(e.a, f); break;
    case 'binary': walkExpr(e.a, f); walkExpr(e.b, f); break;
    case 'call': for (const a of e.args) walkExpr(a, f); break;
    case 'if': walkExpr(e.cond, f); walkExpr(e.then, f); walkExpr(e.else, f); break;
    case 'field': walkExpr(e.index, f); break;
    case 'graph_agg': walkExpr(e.index, f); break;
    default: break;
  }
}

export function paramsUsed(e: Expr): Set<string> {
  const out = new Set<string>();
  walkExpr(e, (x) => { if (x.k === 'param') out.add(x.name); });
  return out;
}

export function varsUsed(e: Expr): Set<VarName> {
  const out = new Set<VarName>();
  walkExpr(e, (x) => { if (x.k === 'var') out.add(x.name); });
  return out;
}

/** Fields read directly (logit[v]) or through a graph aggregate (near.sum(count)[v]). */
export function fieldsUsed(e: Expr): Set<FieldName> {
  const out = new Set<FieldName>();
  walkExpr(e, (x) => {
    if (x.k === 'field') out.add(x.field);
    if (x.k === 'graph_agg') out.add(x.of);
  });
  return out;
}

export function graphsUsed(e: Expr): Set<string> {
  const out = new Set<string>();
  walkExpr(e, (x) => { if (x.k === 'graph_agg') out.add(x.graph); });
  return out;
}

/** True when e's value does not depend on the variable (after simplification: t - t is constant). */
export function isConstantIn(e: Expr, variable: VarName): boolean {
  if (!varsUsed(e).has(variable)) return true;
  return !varsUsed(simplify(e)).has(variable);
}
