// Constructors for Kernel IR expressions, so code that builds IR reads like the math.
import type { Expr } from '../../specs/types/kernel.ts';

type E = Expr | number;
const lift = (x: E): Expr => (typeof x === 'number' ? { k: 'num', v: x } : x);

export const num = (v: number): Expr => ({ k: 'num', v: v === Infinity ? 'inf' : v === -Infinity ? '-inf' : v });
export const t: Expr = { k: 'var', name: 't' };
export const s: Expr = { k: 'var', name: 's' };
export const v: Expr = { k: 'var', name: 'v' };
export const step: Expr = { k: 'var', name: 'step' };
export const param = (name: string): Expr => ({ k: 'param', name });
export const neg = (a: E): Expr => ({ k: 'unary', op: '-', a: lift(a) });
export const add = (a: E, b: E): Expr => ({ k: 'binary', op: '+', a: lift(a), b: lift(b) });
export const sub = (a: E, b: E): Expr => ({ k: 'binary', op: '-', a: lift(a), b: lift(b) });
export const mul = (a: E, b: E): Expr => ({ k: 'binary', op: '*', a: lift(a), b: lift(b) });
export const div = (a: E, b: E): Expr => ({ k: 'binary', op: '/', a: lift(a), b: lift(b) });
export const pow = (a: E, b: E): Expr => ({ k: 'binary', op: '^', a: lift(a), b: lift(b) });
export const call = (fn: Extract<Expr, { k: 'call' }>['fn'], ...args: E[]): Expr => ({ k: 'call', fn, args: args.map(lift) });
export const field = (f: 'logit' | 'prob' | 'count', index: Expr = v): Expr => ({ k: 'field', field: f, index });
export const graphSum = (graph: string, of: 'logit' | 'prob' | 'count', index: Expr = v): Expr => ({ k: 'graph_agg', graph, agg: 'sum', of, index });
