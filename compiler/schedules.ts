// Noise schedules (KERNELS.md section 3; docs/schedules.md): the built-ins, a user-written
// Lambda(t), and the checks every schedule must pass. Lambda(t) is the total cumulative rate, so
// a one-channel kernel keeps a token with probability alpha_t = exp(-Lambda(t)); sigma(t) =
// dLambda/dt is derived symbolically.
import type { Expr, Range, Schedule } from '../specs/types/kernel.ts';
import * as X from './expr/build.ts';
import { MAX_LAMBDA } from './limits.ts';
import {
  checkFinite,
  checkNonNegative,
  derivative,
  evalExpr,
  explainNonFinite,
  ExprError,
  fieldsUsed,
  formatExpr,
  formatNumber,
  simplify,
  substituteParams,
  varsUsed,
  type ParamValues,
} from './expr/index.ts';

export type BuiltinScheduleName = 'loglinear' | 'linear' | 'geometric' | 'cosine' | 'mutual_info';

export interface ScheduleArg {
  name: string;
  default: number;
  range: Range;
  doc: string;
}

export interface ScheduleInfo {
  doc: string;
  /** Lambda(t) in the surface syntax, arguments by name. */
  formula: string;
  args: ScheduleArg[];
}

const open01: Range = { lo: 0, hi: 1, loOpen: true, hiOpen: true };
const positive: Range = { lo: 0, hi: 'inf', loOpen: true, hiOpen: true };
const nonNegative: Range = { lo: 0, hi: 'inf', loOpen: false, hiOpen: true };

export const SCHEDULES: Readonly<Record<BuiltinScheduleName, ScheduleInfo>> = {
  loglinear: {
    doc: 'Log-linear (MDLM): alpha_t = 1 - (1 - eps) t falls linearly from 1 to eps.',
    formula: '-log(1 - (1 - eps) * t)',
    args: [{ name: 'eps', default: 1e-3, range: open01, doc: 'alpha_1: the share of tokens left intact at t = 1' }],
  },
  linear: {
    doc: 'Linear cumulative rate: constant sigma = max - min.',
    formula: 'min + (max - min) * t',
    args: [
      { name: 'min', default: 0, range: nonNegative, doc: 'Lambda(0)' },
      { name: 'max', default: 10, range: nonNegative, doc: 'Lambda(1)' },
    ],
  },
  geometric: {
    doc: 'Geometric (SEDD): Lambda grows geometrically from min to max; sigma = Lambda log(max / min).',
    formula: 'min^(1 - t) * max^t',
    args: [
      { name: 'min', default: 1e-3, range: positive, doc: 'Lambda(0)' },
      { name: 'max', default: 20, range: positive, doc: 'Lambda(1)' },
    ],
  },
  cosine: {
    doc: 'Cosine: alpha_t = eps + (1 - eps) cos(pi t / 2), slow at both ends.',
    formula: '-log(eps + (1 - eps) * cos(pi * t / 2))',
    args: [{ name: 'eps', default: 1e-3, range: open01, doc: 'alpha_1' }],
  },
  mutual_info: {
    doc: 'Mutual information: Lambda chosen so that the expected normalised mutual information between x0 and x_t falls linearly in t, from 1 to eps; tabulated at run time per kernel and corpus (Lambda and sigma are null in the IR).',
    formula: '(tabulated at run time)',
    args: [{ name: 'eps', default: 1e-3, range: open01, doc: 'normalised mutual information left at t = 1' }],
  },
};

export function isBuiltinSchedule(name: string): name is BuiltinScheduleName {
  return Object.prototype.hasOwnProperty.call(SCHEDULES, name);
}

const rangeNum = (v: number | 'inf' | '-inf') => (v === 'inf' ? Infinity : v === '-inf' ? -Infinity : v);

export function inRange(x: number, r: Range): boolean {
  const lo = rangeNum(r.lo);
  const hi = rangeNum(r.hi);
  return (r.loOpen ? x > lo : x >= lo) && (r.hiOpen ? x < hi : x <= hi);
}

export function formatRange(r: Range): string {
  return `${r.loOpen ? '(' : '['}${formatNumber(r.lo)}, ${formatNumber(r.hi)}${r.hiOpen ? ')' : ']'}`;
}

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return d[a.length]![b.length]!;
}

function didYouMean(name: string, options: string[]): string {
  // A prefix (epsilon for eps) counts as close.
  const dist = (o: string) => (o.startsWith(name) || name.startsWith(o) ? 0 : editDistance(name, o));
  const best = options.map((o) => [o, dist(o)] as const).sort((x, y) => x[1] - y[1])[0];
  return best && best[1] <= Math.max(2, name.length / 3) ? ` (did you mean '${best[0]}'?)` : '';
}

/** The full argument list of a built-in, defaults filled in. Unknown names are ExprErrors. */
export function scheduleArgs(name: string, args: Readonly<Record<string, number>> = {}): Record<string, number> {
  if (!isBuiltinSchedule(name)) {
    throw new ExprError(`unknown schedule '${name}'${didYouMean(name, Object.keys(SCHEDULES))}; the built-ins are ${Object.keys(SCHEDULES).join(', ')}, or write 'schedule Lambda(t) = EXPR'`);
  }
  const info = SCHEDULES[name];
  const known = info.args.map((a) => a.name);
  for (const k of Object.keys(args)) {
    if (!known.includes(k)) {
      throw new ExprError(`schedule ${name} has no argument '${k}'${didYouMean(k, known)}; its arguments are ${known.join(', ') || 'none'}`);
    }
  }
  const out: Record<string, number> = {};
  for (const a of info.args) out[a.name] = args[a.name] ?? a.default;
  return out;
}

/** The IR of a built-in schedule: Lambda(t) from its formula, sigma = dLambda/dt. */
export function builtinSchedule(name: string, args: Readonly<Record<string, number>> = {}): Schedule {
  const a = scheduleArgs(name, args);
  const kind = name as BuiltinScheduleName;
  let Lambda: Expr;
  switch (kind) {
    case 'mutual_info':
      return { kind, args: a, Lambda: null, sigma: null };
    case 'loglinear':
      Lambda = X.neg(X.call('log', X.sub(1, X.mul(1 - a['eps']!, X.t))));
      break;
    case 'linear':
      Lambda = X.add(a['min']!, X.mul(a['max']! - a['min']!, X.t));
      break;
    case 'geometric':
      Lambda = X.mul(X.pow(a['min']!, X.sub(1, X.t)), X.pow(a['max']!, X.t));
      break;
    case 'cosine':
      Lambda = X.neg(X.call('log', X.add(a['eps']!, X.mul(1 - a['eps']!, X.call('cos', X.mul(Math.PI / 2, X.t))))));
      break;
  }
  Lambda = simplify(Lambda);
  return { kind, args: a, Lambda, sigma: derivative(Lambda, 't') };
}

/** A user-written schedule Lambda(t) = EXPR; sigma is its simplified derivative. */
export function exprSchedule(Lambda: Expr): Schedule {
  return { kind: 'expr', args: {}, Lambda, sigma: derivative(Lambda, 't') };
}

/** How a schedule reads in a message: `loglinear(eps = 0.001)` or `Lambda(t) = -log(1 - t)`. */
export function describeSchedule(s: Schedule): string {
  if (s.kind === 'expr') return s.Lambda ? `Lambda(t) = ${formatExpr(s.Lambda)}` : 'Lambda(t) = ?';
  const args = Object.entries(s.args).map(([k, v]) => `${k} = ${formatNumber(v ?? NaN)}`);
  return `${s.kind}(${args.join(', ')})`;
}

export interface ScheduleProblem {
  severity: 'error' | 'warning';
  message: string;
  /** Where in t the problem shows, when it is at a point. */
  t?: number;
  /** The built-in argument at fault, when one is. */
  arg?: string;
}

const fmt = (v: number) => (Number.isFinite(v) ? String(Number(v.toPrecision(6))) : v > 0 ? '+inf' : v < 0 ? '-inf' : 'NaN');

/**
 * What an out-of-range built-in argument would break, in words ('' when there is nothing more to
 * say than the range). The checker appends it to its range message.
 */
export function scheduleArgNote(kind: string, arg: string, x: number): string {
  if (arg === 'eps' && x === 0 && kind === 'loglinear') {
    return 'alpha_1 = 1 - (1 - eps) = 0 gives Lambda(1) = -log(0) = +inf, reached only in the limit t -> 1, and sigma(1) = +inf. Use a small eps > 0 (the default is 1e-3)';
  }
  if (arg === 'eps' && x === 0 && kind === 'cosine') {
    return 'alpha_1 = cos(pi/2) = 0 gives Lambda(1) = +inf in exact arithmetic (float64 shows about 37 only because cos(pi/2) rounds to 6e-17). Use a small eps > 0 (the default is 1e-3)';
  }
  if (arg === 'eps' && x === 0) return 'the mutual information would have to reach 0 exactly, which needs Lambda(1) = +inf. Use a small eps > 0';
  if (arg === 'eps' && x >= 1) return 'alpha_1 would be >= 1, so nothing is ever corrupted';
  if (kind === 'geometric' && x <= 0) return `log(${arg}) appears in sigma(t) = Lambda(t) log(max / min)`;
  if (kind === 'linear' && x < 0) return `Lambda(t) would be negative somewhere, so alpha_t = exp(-Lambda(t)) would exceed 1`;
  return '';
}

/** Problems with built-in arguments, with the consequence spelled out. */
function argProblems(s: Schedule): ScheduleProblem[] {
  if (s.kind === 'expr' || !isBuiltinSchedule(s.kind)) return [];
  const info = SCHEDULES[s.kind];
  const out: ScheduleProblem[] = [];
  const v = (k: string) => s.args[k] ?? NaN;
  for (const a of info.args) {
    const x = v(a.name);
    if (inRange(x, a.range)) continue;
    const why = scheduleArgNote(s.kind, a.name, x);
    out.push({ severity: 'error', arg: a.name, message: `${describeSchedule(s)}: ${a.name} = ${fmt(x)} is outside ${formatRange(a.range)}${why ? `: ${why}` : ''}` });
  }
  if ((s.kind === 'linear' || s.kind === 'geometric') && v('max') < v('min')) {
    out.push({
      severity: 'error',
      arg: 'max',
      message: `${describeSchedule(s)}: max < min makes Lambda(t) decrease (sigma < 0), which no Markov chain can do; swap them`,
    });
  }
  return out;
}

/**
 * Checks a schedule for the parameter values in force: built-in arguments in range, Lambda finite
 * on [0, 1] with Lambda(0) >= 0, sigma >= 0 on [0, 1] (checkNonNegative), sigma finite (a
 * warning when not: an integrable singularity at an end is allowed). Empty when all is well.
 */
export function checkSchedule(s: Schedule, params: ParamValues = {}): ScheduleProblem[] {
  const args = argProblems(s);
  if (args.length || s.kind === 'mutual_info') return args;
  const name = describeSchedule(s);
  if (!s.Lambda) return [{ severity: 'error', message: `${name} has no Lambda(t)` }];
  const problems: ScheduleProblem[] = [];
  const Lambda = s.Lambda;
  const others = [...varsUsed(Lambda)].filter((x) => x !== 't');
  if (others.length || fieldsUsed(Lambda).size) {
    const what = [...others, ...[...fieldsUsed(Lambda)].map((f) => `${f}[...]`)].join(', ');
    return [{ severity: 'error', message: `${name}: a schedule may depend only on t and parameters, but this one reads ${what}` }];
  }
  try {
    const fin = checkFinite(Lambda, { params });
    if (!fin.ok) {
      const why = explainNonFinite(Lambda, { t: fin.t, params })?.message ?? `|Lambda| grows without bound near t = ${fmt(fin.t)}`;
      const limit =
        fin.t === 1 && fin.value === Infinity
          ? '. Lambda may approach +inf only in the limit t -> 1; keep alpha_1 = exp(-Lambda(1)) > 0 (an eps > 0)'
          : '';
      problems.push({ severity: 'error', t: fin.t, message: `${name}: Lambda(t) is ${fmt(fin.value)} at t = ${fmt(fin.t)}: ${why}${limit}` });
      return problems;
    }
    const L1 = evalExpr(substituteParams(Lambda, params), { t: 1 });
    if (L1 > MAX_LAMBDA) {
      problems.push({
        severity: 'error',
        t: 1,
        message: `${name}: Lambda(1) = ${fmt(L1)} is more than the limit ${MAX_LAMBDA} (docs/limits.md): alpha_1 = exp(-Lambda(1)) is 0 long before, and rates this large overflow the reverse step and the ELBO weight`,
      });
      return problems;
    }
    const L0 = evalExpr(substituteParams(Lambda, params), { t: 0 });
    if (L0 < 0) {
      problems.push({ severity: 'error', t: 0, message: `${name}: Lambda(0) = ${fmt(L0)} is negative, so alpha_0 = exp(-Lambda(0)) would exceed 1` });
    }
    const sigma = s.sigma ?? derivative(Lambda, 't');
    const nn = checkNonNegative(sigma, { params });
    if (!nn.ok) {
      if (Number.isNaN(nn.value)) {
        const why = explainNonFinite(sigma, { t: nn.t, params })?.message ?? 'it is NaN';
        problems.push({ severity: 'error', t: nn.t, message: `${name}: sigma(t) = ${formatExpr(simplify(substituteParams(sigma, params)))} is not a number at t = ${fmt(nn.t)}: ${why}` });
      } else {
        problems.push({
          severity: 'error',
          t: nn.t,
          message: `${name}: sigma(t) = dLambda/dt is negative at t = ${fmt(nn.t)} (sigma = ${fmt(nn.value)}): Lambda(t) must never decrease, since rates of a Markov chain are >= 0`,
        });
      }
    } else {
      const sf = checkFinite(sigma, { params });
      if (!sf.ok) {
        const why = explainNonFinite(sigma, { t: sf.t, params })?.message;
        problems.push({
          severity: 'warning',
          t: sf.t,
          message: `${name}: sigma(t) is ${fmt(sf.value)} at t = ${fmt(sf.t)}${why ? ` (${why})` : ''}; the loss weight is unbounded there`,
        });
      }
    }
  } catch (err) {
    if (err instanceof ExprError) return [...problems, { severity: 'error', message: `${name}: ${err.message}` }];
    throw err;
  }
  return problems;
}
