// A copy of evalExpr's semantics (compiler/expr/eval.ts) that perturbs every arithmetic result by
// a few relative ulps. The spread of perturbed values measures how much rounding alone can move
// the result at a point: a rewrite that changes the value by more than that spread changed the
// math. It also records the largest and smallest finite magnitudes met on the way.
import type { Expr } from '../../../../specs/types/kernel.ts';
import { evalExpr, type EvalEnv } from '../../../../compiler/expr/index.ts';
import type { Rand } from './random.ts';

export interface Trace {
  maxAbs: number;
  minAbs: number;
  /** A division by zero or 0^negative happened: the sign of that zero decides +-inf. */
  zeroDivision?: boolean;
  /** A negative number was raised to a power within 1e-9 of an integer, but not one: rounding decides NaN or not. */
  nearIntegerPower?: boolean;
  /** A comparison, floor or ceil was within 1e-12 (relative) of its jump: rounding decides the branch. */
  nearJump?: boolean;
}

const U = 2 ** -53;

export function evalPerturbed(e: Expr, env: EvalEnv, r: Rand | null, ulps: number, trace: Trace): number {
  const go = (x: Expr): number => evalPerturbed(x, env, r, ulps, trace);
  const jitter = (v: number) => {
    const a = Math.abs(v);
    if (Number.isFinite(v) && a > 0) {
      trace.maxAbs = Math.max(trace.maxAbs, a);
      trace.minAbs = Math.min(trace.minAbs, a);
    }
    return r ? v * (1 + (2 * r() - 1) * ulps * U) : v;
  };
  switch (e.k) {
    case 'unary': {
      const a = go(e.a);
      return e.op === '-' ? -a : a ? 0 : 1;
    }
    case 'binary': {
      if (e.op === '&&') return go(e.a) && go(e.b) ? 1 : 0;
      if (e.op === '||') return go(e.a) || go(e.b) ? 1 : 0;
      const a = go(e.a);
      const b = go(e.b);
      switch (e.op) {
        case '+': return jitter(a + b);
        case '-': return jitter(a - b);
        case '*': return jitter(a * b);
        case '/':
          if (b === 0) trace.zeroDivision = true;
          return jitter(a / b);
        case '^':
          powFlags(a, b, trace);
          return jitter(Math.pow(a, b));
        default:
          // Equal non-integers are near a jump too: either side may have been rounded onto the other.
          if (a === b ? Number.isFinite(a) && !Number.isInteger(a) : Math.abs(a - b) <= 1e-12 * Math.max(Math.abs(a), Math.abs(b))) trace.nearJump = true;
          return evalExpr({ ...e, a: { k: 'num', v: numOf(a) }, b: { k: 'num', v: numOf(b) } }, env);
      }
    }
    case 'call': {
      const xs = e.args.map(go);
      if (e.fn === 'pow') powFlags(xs[0]!, xs[1]!, trace);
      const x0 = xs[0]!;
      if ((e.fn === 'floor' || e.fn === 'ceil') && x0 !== Math.round(x0) && Math.abs(x0 - Math.round(x0)) <= 1e-12 * Math.max(1, Math.abs(x0))) trace.nearJump = true;
      return jitter(evalExpr({ ...e, args: xs.map((v) => ({ k: 'num', v: numOf(v) }) as Expr) }, env));
    }
    case 'if': return go(e.cond) ? go(e.then) : go(e.else);
    default: return evalExpr(e, env);
  }
}

function powFlags(a: number, b: number, trace: Trace): void {
  if (a === 0 && b < 0) trace.zeroDivision = true;
  if (a < 0 && !Number.isInteger(b) && Math.abs(b - Math.round(b)) < 1e-9) trace.nearIntegerPower = true;
}

/** A value as a num node's v (NaN passes through: evalExpr returns it as is). */
function numOf(v: number): number | 'inf' | '-inf' {
  return v === Infinity ? 'inf' : v === -Infinity ? '-inf' : v;
}
