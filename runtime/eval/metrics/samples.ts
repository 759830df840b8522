// Shared plumbing of the sample metrics: the input type, its checks, and n-gram keys.
import { MetricError } from './errors.ts';

/** Generated samples: one array of token ids (0..V-1) per sample; lengths may differ. */
export type Samples = readonly ArrayLike<number>[];

/**
 * Checks that there is at least one sample and that every id is an integer in 0..V-1 (when V is
 * given; any non-negative integer otherwise). Returns the largest id + 1 (the base of n-gram keys).
 */
export function checkSamples(metric: string, samples: Samples, V?: number): number {
  if (!Array.isArray(samples) || samples.length === 0) throw new MetricError(metric, 'needs at least one sample');
  let base = 1;
  for (let s = 0; s < samples.length; s++) {
    const x = samples[s]!;
    for (let i = 0; i < x.length; i++) {
      const v = x[i]!;
      if (!(Number.isInteger(v) && v >= 0 && (V === undefined || v < V))) {
        const range = V === undefined ? 'a non-negative integer' : `an integer in 0..${V - 1}`;
        throw new MetricError(metric, `sample ${s}, position ${i}: token ${v} is not ${range}`);
      }
      if (v + 1 > base) base = v + 1;
    }
  }
  return base;
}

export function checkN(metric: string, n: number, max = 16): void {
  if (!(Number.isInteger(n) && n >= 1 && n <= max)) throw new MetricError(metric, `n must be an integer in 1..${max}, got ${n}`);
}

/** An n-gram as a Map key: a number when base^n is exact in float64, else a string. */
export type GramKey = number | string;

/**
 * The n-gram keys of one sample, in order (length max(0, L - n + 1)); n-grams never cross samples.
 * Keys of equal n-grams are equal for a given (n, base).
 */
export function ngramKeys(x: ArrayLike<number>, n: number, base: number): GramKey[] {
  const count = Math.max(0, x.length - n + 1);
  const out = new Array<GramKey>(count);
  if (base ** n <= Number.MAX_SAFE_INTEGER) {
    for (let i = 0; i < count; i++) {
      let k = 0;
      for (let j = 0; j < n; j++) k = k * base + x[i + j]!;
      out[i] = k;
    }
  } else {
    for (let i = 0; i < count; i++) {
      let k = String(x[i]!);
      for (let j = 1; j < n; j++) k += ',' + x[i + j]!;
      out[i] = k;
    }
  }
  return out;
}

/** Counts of each n-gram of one sample. */
export function ngramCounts(x: ArrayLike<number>, n: number, base: number): Map<GramKey, number> {
  const m = new Map<GramKey, number>();
  for (const k of ngramKeys(x, n, base)) m.set(k, (m.get(k) ?? 0) + 1);
  return m;
}

/** Entropy in nats of a histogram (zero counts ignored; an empty histogram has entropy 0). */
export function histogramEntropy(counts: Iterable<number>): number {
  let total = 0;
  const cs: number[] = [];
  for (const c of counts) {
    if (c > 0) {
      cs.push(c);
      total += c;
    }
  }
  if (total === 0) return 0;
  let h = 0;
  for (const c of cs) {
    const p = c / total;
    h -= p * Math.log(p);
  }
  return h;
}
