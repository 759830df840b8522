// Repetition within a sample: seq-rep-n (Welleck et al. 2020, "Neural Text Generation with
// Unlikelihood Training", ICLR, §5): the share of a sample's n-grams that are repeats of an
// earlier n-gram of the same sample, 1 - |unique n-grams(x)| / |n-grams(x)|, averaged over
// samples. docs/eval.md, "Repetition".
import { checkN, checkSamples, ngramKeys, type Samples } from './samples.ts';

/** seq-rep-n of one sample; NaN when it has fewer than n tokens. */
export function repetitionRateOf(x: ArrayLike<number>, n: number, base: number): number {
  const keys = ngramKeys(x, n, base);
  if (keys.length === 0) return NaN;
  return 1 - new Set(keys).size / keys.length;
}

/** Each sample's seq-rep-n (NaN for samples shorter than n). */
export function repetitionRates(samples: Samples, n: number, V?: number): Float64Array {
  checkN('repetition', n);
  const base = checkSamples('repetition', samples, V);
  return Float64Array.from(samples, (x) => repetitionRateOf(x, n, base));
}

/** The mean of seq-rep-n over the samples that have at least n tokens (NaN if none does). */
export function repetitionRate(samples: Samples, n: number, V?: number): number {
  let s = 0;
  let used = 0;
  for (const r of repetitionRates(samples, n, V)) {
    if (Number.isNaN(r)) continue;
    s += r;
    used++;
  }
  return used === 0 ? NaN : s / used;
}
