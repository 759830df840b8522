// The built-in functions of the expression language: arity and domain, in one table that
// simplify, derivative, the interval evaluator and the error messages all read.
import type { CallExpr } from '../../specs/types/kernel.ts';
import { ExprError } from './errors.ts';

export type Fn = CallExpr['fn'];

export interface FnInfo {
  /** Number of arguments; 'many' = one or more. */
  arity: number | 'many';
  /** Where the function is defined (finite, non-NaN), in words. */
  domain: string;
}

export const FUNCTIONS: Readonly<Record<Fn, FnInfo>> = {
  exp: { arity: 1, domain: 'all x (overflows to inf above about 709.78)' },
  log: { arity: 1, domain: 'x > 0 (log 0 = -inf, NaN below 0)' },
  log1p: { arity: 1, domain: 'x > -1 (log1p(-1) = -inf, NaN below -1)' },
  expm1: { arity: 1, domain: 'all x (overflows to inf above about 709.78)' },
  sqrt: { arity: 1, domain: 'x >= 0' },
  pow: { arity: 2, domain: 'x > 0, or x = 0 with y >= 0, or x < 0 with y an integer' },
  sin: { arity: 1, domain: 'all finite x' },
  cos: { arity: 1, domain: 'all finite x' },
  tan: { arity: 1, domain: 'finite x away from pi/2 + k pi' },
  tanh: { arity: 1, domain: 'all x' },
  abs: { arity: 1, domain: 'all x' },
  min: { arity: 'many', domain: 'all x' },
  max: { arity: 'many', domain: 'all x' },
  clamp: { arity: 3, domain: 'clamp(x, lo, hi) = min(max(x, lo), hi)' },
  floor: { arity: 1, domain: 'all x' },
  ceil: { arity: 1, domain: 'all x' },
};

export function isFn(name: string): name is Fn {
  return Object.prototype.hasOwnProperty.call(FUNCTIONS, name);
}

/** Throws an ExprError when a call has the wrong number of arguments. */
export function checkArity(e: CallExpr): void {
  const info = FUNCTIONS[e.fn];
  if (!info) throw new ExprError(`unknown function '${e.fn}'`, { expr: e });
  const n = e.args.length;
  if (info.arity === 'many') {
    if (n === 0) throw new ExprError(`${e.fn} needs at least one argument`, { expr: e });
  } else if (n !== info.arity) {
    throw new ExprError(`${e.fn} takes ${info.arity} argument${info.arity === 1 ? '' : 's'}, got ${n}`, { expr: e });
  }
}
