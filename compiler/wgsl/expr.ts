// Kernel IR expressions (docs/ir.md) as WGSL f32 expressions. Semantics follow
// compiler/expr/eval.ts: booleans are 1 and 0, `^` is JavaScript's Math.pow, `if` picks a branch.
// Where a value comes from (a parameter slot, a field accessor, a graph aggregate) is the
// caller's business: it passes an ExprTarget that names the WGSL for each leaf.
import type { Expr } from '../../specs/types/kernel.ts';

export type FieldName = 'logit' | 'prob' | 'count';
export type AggName = 'sum' | 'mean' | 'max';

export interface ExprTarget {
  /** WGSL for t, s, step or v (as f32). */
  variable(name: 't' | 's' | 'step' | 'v'): string;
  /** WGSL for a parameter's value (as f32). */
  param(name: string): string;
  /** WGSL reading field[index] where `index` is an f32 WGSL expression. */
  field(field: FieldName, index: string): string;
  /** WGSL for graph.agg(of)[index]. */
  graphAgg(graph: string, agg: AggName, of: FieldName, index: string): string;
  /** WGSL for +infinity (a runtime value: WGSL has no infinite literals). */
  infinity: string;
}

export class WgslExprError extends Error {
  override readonly name = 'WgslExprError';
}

const F32_MAX = 3.4028234663852886e38;

/** An f32 literal that WGSL accepts and that rounds as Math.fround does. */
export function f32Literal(v: number, inf: string): string {
  if (Number.isNaN(v)) return `(${inf} - ${inf})`;
  if (v === Infinity || v > F32_MAX * (1 + 2 ** -25)) return inf;
  if (v === -Infinity || v < -F32_MAX * (1 + 2 ** -25)) return `(-${inf})`;
  const f = Math.fround(v);
  if (Object.is(f, -0)) return '-0.0';
  if (f === 0) return '0.0';
  let s = String(f);
  if (!/[.e]/.test(s)) s += '.0';
  // f32 literal text is parsed as an abstract float and rounded: the shortest f64 text of the
  // rounded value rounds back to it.
  return s.startsWith('-') ? `(${s})` : s;
}

const bool = (c: string) => `select(0.0, 1.0, ${c})`;
const truthy = (a: string) => `(${a} != 0.0)`;

export function exprToWgsl(e: Expr, target: ExprTarget): string {
  const go = (x: Expr): string => exprToWgsl(x, target);
  switch (e.k) {
    case 'num':
      return f32Literal(e.v === 'inf' ? Infinity : e.v === '-inf' ? -Infinity : e.v, target.infinity);
    case 'var':
      return target.variable(e.name);
    case 'param':
      return target.param(e.name);
    case 'unary':
      return e.op === '-' ? `(-${go(e.a)})` : bool(`${go(e.a)} == 0.0`);
    case 'binary': {
      const a = go(e.a);
      const b = go(e.b);
      switch (e.op) {
        case '+': case '-': case '*': case '/':
          return `(${a} ${e.op} ${b})`;
        case '^':
          return `dlmk_pow(${a}, ${b})`;
        case '<': case '<=': case '>': case '>=': case '==': case '!=':
          return bool(`${a} ${e.op} ${b}`);
        case '&&':
          return bool(`${truthy(a)} && ${truthy(b)}`);
        case '||':
          return bool(`${truthy(a)} || ${truthy(b)}`);
      }
      break;
    }
    case 'call': {
      const x = e.args.map(go);
      const arity = (n: number) => {
        if (x.length !== n) throw new WgslExprError(`${e.fn} takes ${n} argument${n === 1 ? '' : 's'}, got ${x.length}`);
      };
      switch (e.fn) {
        case 'exp': case 'sqrt': case 'sin': case 'cos': case 'tan': case 'tanh': case 'abs': case 'floor': case 'ceil':
          arity(1);
          return `${e.fn}(${x[0]})`;
        case 'log':
          arity(1);
          return `dlmk_log(${x[0]})`;
        case 'log1p':
          arity(1);
          return `dlmk_log1p(${x[0]})`;
        case 'expm1':
          arity(1);
          return `dlmk_expm1(${x[0]})`;
        case 'pow':
          arity(2);
          return `dlmk_pow(${x[0]}, ${x[1]})`;
        case 'min':
        case 'max': {
          if (!x.length) throw new WgslExprError(`${e.fn} needs arguments`);
          return x.reduce((acc, y) => `${e.fn}(${acc}, ${y})`);
        }
        case 'clamp':
          arity(3);
          // Math.min(Math.max(x, lo), hi), which WGSL's clamp leaves undefined for lo > hi.
          return `min(max(${x[0]}, ${x[1]}), ${x[2]})`;
      }
      break;
    }
    case 'if':
      return `select(${go(e.else)}, ${go(e.then)}, ${truthy(go(e.cond))})`;
    case 'field':
      return target.field(e.field, go(e.index));
    case 'graph_agg':
      return target.graphAgg(e.graph, e.agg, e.of, go(e.index));
  }
  throw new WgslExprError(`unknown expression ${JSON.stringify(e)}`);
}

/** What an expression reads: the runtime binds only what is used. */
export interface ExprUses {
  vars: Set<'t' | 's' | 'step' | 'v'>;
  params: Set<string>;
  fields: Set<FieldName>;
  /** `graph/agg/of` triples. */
  aggs: Set<string>;
}

export function exprUses(e: Expr, into: ExprUses = { vars: new Set(), params: new Set(), fields: new Set(), aggs: new Set() }): ExprUses {
  switch (e.k) {
    case 'num':
      break;
    case 'var':
      into.vars.add(e.name);
      break;
    case 'param':
      into.params.add(e.name);
      break;
    case 'unary':
      exprUses(e.a, into);
      break;
    case 'binary':
      exprUses(e.a, into);
      exprUses(e.b, into);
      break;
    case 'call':
      for (const a of e.args) exprUses(a, into);
      break;
    case 'if':
      exprUses(e.cond, into);
      exprUses(e.then, into);
      exprUses(e.else, into);
      break;
    case 'field':
      into.fields.add(e.field);
      exprUses(e.index, into);
      break;
    case 'graph_agg':
      into.aggs.add(`${e.graph}/${e.agg}/${e.of}`);
      into.fields.add(e.of);
      exprUses(e.index, into);
      break;
  }
  return into;
}
