// Axis scales with round ticks: linear (steps of 1, 2 or 5 times a power of ten, the range
// widened to whole steps unless fixed) and base-10 log (the range widened to 1, 2 or 5 x 10^k;
// ticks at 1-1.5-2-3-4-5-6-8 in under a decade, 1-2-3-5 or 1-2-5 over a few, else decades).
import { formatNumber, formatTick } from './format.ts';
import { ReportError, type Axis } from './model.ts';

export interface Scale {
  readonly lo: number;
  readonly hi: number;
  readonly log: boolean;
  readonly ticks: readonly number[];
  /** Position of v in [0, 1] (lo -> 0, hi -> 1). */
  pos(v: number): number;
  /** The tick label of v. */
  label(v: number): string;
}

/** Round a computed tick to 12 significant digits (0.30000000000000004 -> 0.3). */
const clean = (v: number) => Number(v.toPrecision(12));

function tickStep(lo: number, hi: number, count: number): number {
  const raw = (hi - lo) / count;
  const p = 10 ** Math.floor(Math.log10(raw));
  const e = raw / p;
  return (e >= 7.07 ? 10 : e >= 3.16 ? 5 : e >= 1.41 ? 2 : 1) * p;
}

/**
 * A scale for the given data values (already finite; non-positive ones are ignored on a log axis).
 * `includeZero` (bars) keeps 0 in a linear range.
 */
export function makeScale(values: readonly number[], axis: Axis, count: number, includeZero = false): Scale {
  if (axis.min !== undefined && axis.max !== undefined && !(axis.min < axis.max)) throw new ReportError(`axis '${axis.label}': min (${axis.min}) must be below max (${axis.max})`);
  if (axis.log) {
    if ((axis.min !== undefined && !(axis.min > 0)) || (axis.max !== undefined && !(axis.max > 0))) throw new ReportError(`axis '${axis.label}': a log axis needs min and max > 0`);
    return logScale(values.filter((v) => v > 0), axis, count);
  }
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (includeZero) {
    lo = Math.min(lo, 0);
    hi = Math.max(hi, 0);
  }
  if (!(lo <= hi)) [lo, hi] = [0, 1];
  if (axis.min !== undefined) lo = axis.min;
  if (axis.max !== undefined) hi = axis.max;
  if (lo > hi) [lo, hi] = axis.min !== undefined ? [lo, lo + 1] : [hi - 1, hi];
  if (lo === hi) {
    const d = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    if (axis.min === undefined) lo -= d;
    if (axis.max === undefined) hi += d;
  }
  let step = tickStep(lo, hi, count);
  for (let i = 0; i < 2; i++) {
    if (axis.min === undefined) lo = clean(Math.floor(lo / step) * step);
    if (axis.max === undefined) hi = clean(Math.ceil(hi / step) * step);
    step = tickStep(lo, hi, count);
  }
  const ticks: number[] = [];
  for (let k = Math.ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; k++) ticks.push(clean(k * step));
  const L = lo;
  const span = hi - lo;
  return { lo, hi, log: false, ticks, pos: (v) => (v - L) / span, label: (v) => formatTick(v, step) };
}

/** The nearest 1, 2 or 5 x 10^k at or below (down) or above (up) v > 0. */
function niceLog(v: number, dir: 'down' | 'up'): number {
  const e = Math.floor(Math.log10(v));
  const cands = [-1, 0, 1].flatMap((d) => [1, 2, 5].map((m) => clean(m * 10 ** (e + d))));
  const tol = 1e-12 * v;
  return dir === 'down' ? Math.max(...cands.filter((c) => c <= v + tol)) : Math.min(...cands.filter((c) => c >= v - tol));
}

function logScale(values: readonly number[], axis: Axis, count: number): Scale {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (!(lo <= hi)) [lo, hi] = [1, 10];
  if (axis.min !== undefined) lo = axis.min;
  if (axis.max !== undefined) hi = axis.max;
  if (lo > hi) [lo, hi] = axis.min !== undefined ? [lo, lo * 10] : [hi / 10, hi];
  // Widen to 1, 2 or 5 x 10^k (not whole decades, which would squash a narrow range).
  if (axis.min === undefined) lo = niceLog(lo, 'down');
  if (axis.max === undefined) hi = niceLog(hi, 'up');
  if (lo === hi) hi = lo * 10;
  const decades = Math.log10(hi / lo);
  const mults = decades <= 0.7 ? [1, 1.5, 2, 3, 4, 5, 6, 8] : decades <= 1.5 ? [1, 2, 3, 5] : decades <= 3.2 ? [1, 2, 5] : [1];
  const e0 = Math.floor(Math.log10(lo) + 1e-12);
  const e1 = Math.ceil(Math.log10(hi) - 1e-12);
  const every = Math.max(1, Math.ceil(decades / count));
  const ticks: number[] = [];
  for (let e = e0; e <= e1; e++) {
    if ((e - e0) % every !== 0) continue;
    for (const m of mults) {
      const t = clean(m * 10 ** e);
      if (t >= lo * (1 - 1e-9) && t <= hi * (1 + 1e-9)) ticks.push(t);
    }
  }
  const a = Math.log10(lo);
  const span = Math.log10(hi) - a;
  return { lo, hi, log: true, ticks, pos: (v) => (Math.log10(v) - a) / span, label: (v) => formatNumber(v, 3) };
}

/** Whether a value can be drawn on the scale. */
export function inRange(s: Scale, v: number): boolean {
  if (!Number.isFinite(v) || (s.log && !(v > 0))) return false;
  const tol = (s.hi - s.lo) * 1e-9;
  return v >= s.lo - tol && v <= s.hi + tol;
}
