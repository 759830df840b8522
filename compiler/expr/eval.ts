// Float64 evaluation of Kernel IR expressions (docs/ir.md). Booleans are 1 and 0.
// The reference path and the compiler's range checks both evaluate through here.
import type { Expr, Num } from '../../specs/types/kernel.ts';
import { ExprError } from './errors.ts';

export interface CsrGraph {
  /** Row pointers, length V+1. */
  rowPtr: ArrayLike<number>;
  /** Column (neighbour) indices. */
  col: ArrayLike<number>;
}

export interface EvalEnv {
  t?: number;
  s?: number;
  step?: number;
  /** The token a sampler rule is applied to. */
  v?: number;
  params?: Readonly<Record<string, number | boolean>>;
  fields?: Partial<Record<'logit' | 'prob' | 'count', ArrayLike<number>>>;
  graphs?: Readonly<Record<string, CsrGraph>>;
}

/** A value is missing or an index is out of range while evaluating. */
export class ExprEvalError extends ExprError {
  override readonly name: string = 'ExprEvalError';
}

export function num(v: Num): number {
  return v === 'inf' ? Infinity : v === '-inf' ? -Infinity : v;
}

export function evalExpr(e: Expr, env: EvalEnv): number {
  switch (e.k) {
    case 'num':
      return num(e.v);
    case 'var': {
      const x = env[e.name];
      if (x === undefined) throw new ExprEvalError(`'${e.name}' has no value here`);
      return x;
    }
    case 'param': {
      const x = env.params?.[e.name];
      if (x === undefined) throw new ExprEvalError(`parameter '${e.name}' has no value`);
      return typeof x === 'boolean' ? (x ? 1 : 0) : x;
    }
    case 'unary': {
      const a = evalExpr(e.a, env);
      return e.op === '-' ? -a : a ? 0 : 1;
    }
    case 'binary': {
      if (e.op === '&&') return evalExpr(e.a, env) && evalExpr(e.b, env) ? 1 : 0;
      if (e.op === '||') return evalExpr(e.a, env) || evalExpr(e.b, env) ? 1 : 0;
      const a = evalExpr(e.a, env);
      const b = evalExpr(e.b, env);
      switch (e.op) {
        case '+': return a + b;
        case '-': return a - b;
        case '*': return a * b;
        case '/': return a / b;
        case '^': return Math.pow(a, b);
        case '<': return a < b ? 1 : 0;
        case '<=': return a <= b ? 1 : 0;
        case '>': return a > b ? 1 : 0;
        case '>=': return a >= b ? 1 : 0;
        case '==': return a === b ? 1 : 0;
        case '!=': return a !== b ? 1 : 0;
      }
      break;
    }
    case 'call': {
      const x = e.args.map((a) => evalExpr(a, env));
      const arity = (n: number) => {
        if (x.length !== n) throw new ExprEvalError(`${e.fn} takes ${n} argument${n === 1 ? '' : 's'}, got ${x.length}`);
      };
      switch (e.fn) {
        case 'exp': arity(1); return Math.exp(x[0]!);
        case 'log': arity(1); return Math.log(x[0]!);
        case 'log1p': arity(1); return Math.log1p(x[0]!);
        case 'expm1': arity(1); return Math.expm1(x[0]!);
        case 'sqrt': arity(1); return Math.sqrt(x[0]!);
        case 'sin': arity(1); return Math.sin(x[0]!);
        case 'cos': arity(1); return Math.cos(x[0]!);
        case 'tan': arity(1); return Math.tan(x[0]!);
        case 'tanh': arity(1); return Math.tanh(x[0]!);
        case 'abs': arity(1); return Math.abs(x[0]!);
        case 'floor': arity(1); return Math.floor(x[0]!);
        case 'ceil': arity(1); return Math.ceil(x[0]!);
        case 'pow': arity(2); return Math.pow(x[0]!, x[1]!);
        case 'min': if (!x.length) throw new ExprEvalError('min needs arguments'); return Math.min(...x);
        case 'max': if (!x.length) throw new ExprEvalError('max needs arguments'); return Math.max(...x);
        case 'clamp': arity(3); return Math.min(Math.max(x[0]!, x[1]!), x[2]!);
      }
      break;
    }
    case 'if':
      return evalExpr(e.cond, env) ? evalExpr(e.then, env) : evalExpr(e.else, env);
    case 'field': {
      const arr = env.fields?.[e.field];
      if (!arr) throw new ExprEvalError(`'${e.field}[...]' is only available inside a sampler rule`);
      const i = evalExpr(e.index, env);
      const x = arr[i];
      if (x === undefined) throw new ExprEvalError(`${e.field}[${i}] is out of range`);
      return x;
    }
    case 'graph_agg': {
      const g = env.graphs?.[e.graph];
      const arr = env.fields?.[e.of];
      if (!g) throw new ExprEvalError(`graph '${e.graph}' is not built here`);
      if (!arr) throw new ExprEvalError(`'${e.of}' is only available inside a sampler rule`);
      const i = evalExpr(e.index, env);
      const lo = g.rowPtr[i]!;
      const hi = g.rowPtr[i + 1]!;
      if (e.agg === 'max') {
        let m = -Infinity;
        for (let j = lo; j < hi; j++) m = Math.max(m, arr[g.col[j]!]!);
        return hi > lo ? m : 0;
      }
      let sum = 0;
      for (let j = lo; j < hi; j++) sum += arr[g.col[j]!]!;
      return e.agg === 'mean' ? (hi > lo ? sum / (hi - lo) : 0) : sum;
    }
  }
  throw new ExprEvalError(`unknown expression ${JSON.stringify(e)}`);
}
