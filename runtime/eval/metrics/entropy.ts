// Per-sample unigram entropy, as DUO reports it (s-sahoo/duo, metrics.py `record_entropy`: for each
// sample, torch.unique counts -> sum of entr(count / total), then an unweighted MeanMetric over
// samples). MDLM's own code does not log it; later papers of the group (DUO, Esoteric LMs) quote
// this number next to gen-PPL. docs/eval.md, "Unigram entropy".
import { checkSamples, histogramEntropy, type Samples } from './samples.ts';

/** H(x) = -sum_v p_v ln p_v with p_v = (count of v in x) / |x|, in nats; 0 for an empty sample. */
export function unigramEntropyOf(x: ArrayLike<number>): number {
  const counts = new Map<number, number>();
  for (let i = 0; i < x.length; i++) counts.set(x[i]!, (counts.get(x[i]!) ?? 0) + 1);
  return histogramEntropy(counts.values());
}

/** Each sample's unigram entropy (nats). */
export function unigramEntropies(samples: Samples, V?: number): Float64Array {
  checkSamples('unigram-entropy', samples, V);
  return Float64Array.from(samples, unigramEntropyOf);
}

/** The mean over samples of the per-sample unigram entropy (nats): the number MDLM/DUO tables call "entropy". */
export function unigramEntropy(samples: Samples, V?: number): number {
  const h = unigramEntropies(samples, V);
  let s = 0;
  for (const x of h) s += x;
  return s / h.length;
}
