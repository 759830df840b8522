// Mean and standard error of a list of per-sample (or per-seed) values, for tables with error bars.
import { MetricError } from './errors.ts';

/** The arithmetic mean (NaN for an empty list). */
export function mean(xs: ArrayLike<number>): number {
  if (xs.length === 0) return NaN;
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i]!;
  return s / xs.length;
}

/** Sample standard deviation with Bessel's correction, sqrt(sum (x - mean)^2 / (n - 1)); NaN for n < 2. */
export function sampleStd(xs: ArrayLike<number>): number {
  const n = xs.length;
  if (n < 2) return NaN;
  const m = mean(xs);
  let s = 0;
  for (let i = 0; i < n; i++) s += (xs[i]! - m) ** 2;
  return Math.sqrt(s / (n - 1));
}

/** Standard error of the mean, sampleStd / sqrt(n); NaN for n < 2. */
export function standardError(xs: ArrayLike<number>): number {
  return sampleStd(xs) / Math.sqrt(xs.length);
}

export interface MeanStderr {
  readonly mean: number;
  readonly stderr: number;
  readonly n: number;
}

/** Mean and standard error together; NaN entries are an error (filter them first, on purpose). */
export function meanStderr(xs: ArrayLike<number>): MeanStderr {
  for (let i = 0; i < xs.length; i++) if (Number.isNaN(xs[i]!)) throw new MetricError('mean-stderr', `value ${i} is NaN`);
  return { mean: mean(xs), stderr: standardError(xs), n: xs.length };
}
