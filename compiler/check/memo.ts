// A small cache for the numeric checks (schedule checks, rate and weight proofs). They are pure
// functions of the expression and the param values it reads, and an editor or a fuzzer checks
// the same schedule and weights again and again; a proof can take milliseconds.
import type { Expr } from '../../specs/types/kernel.ts';
import { paramsUsed } from '../expr/index.ts';
import type { ParamValue } from './context.ts';

const LIMIT = 512;
const cache = new Map<string, unknown>();

/** Each caller gets its own copy: specs are plain data that a caller may change. */
export function memo<T>(key: string, compute: () => T): T {
  if (cache.has(key)) return structuredClone(cache.get(key) as T);
  const value = compute();
  if (cache.size >= LIMIT) cache.clear();
  cache.set(key, structuredClone(value));
  return value;
}

/** A key for expressions evaluated with params: the trees and the values of the params they read. */
export function exprKey(tag: string, exprs: readonly Expr[], params: Readonly<Record<string, ParamValue>>): string {
  const used = new Set<string>();
  for (const e of exprs) for (const p of paramsUsed(e)) used.add(p);
  const values = [...used].sort().map((p) => [p, params[p]]);
  return JSON.stringify([tag, exprs, values]);
}
