// Seeded random expression trees and points for the property tests of test/compiler/expr.
import type { Expr } from '../../../../specs/types/kernel.ts';
import type { Fn } from '../../../../compiler/expr/index.ts';
import { mulberry32 } from '../../../../runtime/data/random.ts';

/** mulberry32: the same sequence on every machine for a given seed. */
export const rng = (seed: number) => mulberry32(seed);

export type Rand = () => number;
export const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

export interface TreeOptions {
  /** Variables leaves may use. */
  vars?: Array<'t' | 's'>;
  /** Parameter names leaves may use. */
  params?: string[];
  /** Functions calls may use. */
  fns?: Fn[];
  /** Allow comparisons, logic, if, floor, ceil (jumps). */
  discontinuous?: boolean;
  /** Allow the literals inf and -inf. */
  infinities?: boolean;
  /** Allow per-token fields and graph aggregates. */
  fields?: boolean;
}

export const ALL_FNS: Fn[] = ['exp', 'log', 'log1p', 'expm1', 'sqrt', 'pow', 'sin', 'cos', 'tan', 'tanh', 'abs', 'min', 'max', 'clamp', 'floor', 'ceil'];
export const SMOOTH_FNS: Fn[] = ['exp', 'log', 'log1p', 'expm1', 'sqrt', 'pow', 'sin', 'cos', 'tan', 'tanh', 'abs', 'min', 'max', 'clamp'];
const NUMS = [0, 1, -1, 2, 0.5, 3, -2.5, 1e-3, 10, 0.999, 1.5707963267948966];
const ARITY: Partial<Record<Fn, number>> = { pow: 2, clamp: 3 };
const CMP = ['<', '<=', '>', '>=', '==', '!='] as const;

export function randomTree(r: Rand, depth: number, o: TreeOptions = {}): Expr {
  const vars = o.vars ?? ['t'];
  const params = o.params ?? [];
  const fns = (o.fns ?? ALL_FNS).filter((f) => o.discontinuous || (f !== 'floor' && f !== 'ceil'));
  if (depth <= 0 || r() < 0.2) {
    const u = r();
    if (u < 0.4) return { k: 'var', name: pick(r, vars) };
    if (u < 0.55 && params.length) return { k: 'param', name: pick(r, params) };
    if (o.infinities && u < 0.58) return { k: 'num', v: pick(r, ['inf', '-inf'] as const) };
    if (o.fields && u < 0.63) {
      const f = pick(r, ['logit', 'prob', 'count'] as const);
      return r() < 0.5 ? { k: 'field', field: f, index: { k: 'var', name: 'v' } } : { k: 'graph_agg', graph: 'near', agg: pick(r, ['sum', 'mean', 'max'] as const), of: f, index: { k: 'var', name: 'v' } };
    }
    return { k: 'num', v: r() < 0.8 ? pick(r, NUMS) : Math.round((r() * 8 - 4) * 1000) / 1000 };
  }
  const sub = () => randomTree(r, depth - 1, o);
  const u = r();
  if (u < 0.08) return { k: 'unary', op: '-', a: sub() };
  if (u < 0.45) return { k: 'binary', op: pick(r, ['+', '-', '*', '/', '+', '-', '*'] as const), a: sub(), b: sub() };
  if (u < 0.52) {
    // Small integer or simple exponents keep values in range most of the time.
    const b = r() < 0.6 ? ({ k: 'num', v: pick(r, [2, 3, -1, 0.5, -2, 1.5]) } as Expr) : sub();
    return { k: 'binary', op: '^', a: sub(), b };
  }
  if (o.discontinuous && u < 0.6) {
    const w = r();
    if (w < 0.4) return { k: 'binary', op: pick(r, CMP), a: sub(), b: sub() };
    if (w < 0.55) return { k: 'binary', op: pick(r, ['&&', '||'] as const), a: sub(), b: sub() };
    if (w < 0.65) return { k: 'unary', op: '!', a: sub() };
    return { k: 'if', cond: { k: 'binary', op: pick(r, CMP), a: sub(), b: sub() }, then: sub(), else: sub() };
  }
  const fn = pick(r, fns);
  const n = ARITY[fn] ?? (fn === 'min' || fn === 'max' ? 1 + Math.floor(r() * 3) : 1);
  return { k: 'call', fn, args: Array.from({ length: n }, sub) };
}

/** Times in [0, 1], the ends and the middle included. */
export function randomTime(r: Rand): number {
  const u = r();
  if (u < 0.1) return 0;
  if (u < 0.2) return 1;
  if (u < 0.25) return 0.5;
  return r();
}

export function randomParam(r: Rand, infinities: boolean): number {
  const u = r();
  if (infinities && u < 0.05) return Infinity;
  if (infinities && u < 0.1) return -Infinity;
  if (u < 0.25) return pick(r, [0, 1, -1, 2, 0.5]);
  return Math.round((r() * 10 - 5) * 1e6) / 1e6;
}
