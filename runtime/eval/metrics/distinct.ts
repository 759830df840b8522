// distinct-n (Li et al. 2016, "A Diversity-Promoting Objective Function for Neural Conversation
// Models", NAACL): distinct n-grams over all generated text divided by the number of n-grams.
// Li et al. scale by the number of generated tokens; the common implementation (and ours) divides
// by the number of n-grams, which is the same for n = 1 and differs by (n - 1) per sample otherwise.
// Pooled over samples by default; per-sample averaging is an option. docs/eval.md, "distinct-n".
import { MetricError } from './errors.ts';
import { checkN, checkSamples, ngramKeys, type GramKey, type Samples } from './samples.ts';

export interface DistinctOptions {
  /** 'pooled' (default): |unique n-grams of all samples| / |n-grams of all samples|. 'sample': the mean over samples of that ratio within each sample (samples shorter than n are left out). */
  average?: 'pooled' | 'sample';
  V?: number;
}

/** distinct-n in [0, 1]; NaN when no sample has n tokens. */
export function distinctN(samples: Samples, n: number, opts: DistinctOptions = {}): number {
  checkN('distinct-n', n);
  const base = checkSamples('distinct-n', samples, opts.V);
  const average = opts.average ?? 'pooled';
  if (average !== 'pooled' && average !== 'sample') throw new MetricError('distinct-n', `average must be 'pooled' or 'sample', got '${String(average)}'`);
  if (average === 'pooled') {
    const seen = new Set<GramKey>();
    let total = 0;
    for (const x of samples) {
      const keys = ngramKeys(x, n, base);
      total += keys.length;
      for (const k of keys) seen.add(k);
    }
    return total === 0 ? NaN : seen.size / total;
  }
  let sum = 0;
  let used = 0;
  for (const x of samples) {
    const keys = ngramKeys(x, n, base);
    if (keys.length === 0) continue;
    sum += new Set(keys).size / keys.length;
    used++;
  }
  return used === 0 ? NaN : sum / used;
}
