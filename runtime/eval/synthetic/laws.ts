// What the decomposition measures on a set of sampled sequences (docs/eval.md, "Synthetic source
// and the error decomposition"): each sequence's cross-entropy under the true source (F's
// per-sample value), its unigram entropy, and the law of adjacent pairs against the exact one.
import type { MarkovSource } from '../../../reference/synthetic/index.ts';
import { mean, standardError, unigramEntropyOf } from '../metrics/index.ts';

/** Default cost, in nats, of a token the source never emits (eos, pad, a [MASK] left by `denoise none`). */
export const INVALID_COST = 20;

/**
 * -log p_data(x) / L for each of the n sequences of `tokens` ([n, L] row-major): the source's exact
 * log-probability. A token outside the source (id >= V) has probability 0 under it, which would
 * make F infinite; it is charged `invalidCost` nats instead, and the chain restarts after it from
 * its stationary law (the pair terms that touch it are dropped). `invalid` counts such sequences.
 */
export function scoreSequences(src: MarkovSource, tokens: ArrayLike<number>, n: number, invalidCost = INVALID_COST): { perToken: Float64Array; invalid: number } {
  const { L, V } = src;
  const perToken = new Float64Array(n);
  let invalid = 0;
  for (let s = 0; s < n; s++) {
    let nll = 0;
    let prev = -1;
    let bad = false;
    for (let i = 0; i < L; i++) {
      const v = tokens[s * L + i]!;
      if (!(v >= 0 && v < V)) {
        nll += invalidCost;
        prev = -1;
        bad = true;
      } else {
        nll -= prev < 0 ? src.logPi[v]! : src.logP[prev * V + v]!;
        prev = v;
      }
    }
    perToken[s] = nll / L;
    if (bad) invalid++;
  }
  return { perToken, invalid };
}

/**
 * Total-variation distance between the law of adjacent pairs (x_i, x_{i+1}) in the samples (pooled
 * over the L - 1 pairs of each) and the exact pair law pi(u) P(u, v) (the same at every position,
 * the chain being stationary). Pairs with a token outside the source count as mass outside.
 * Finite samples give a positive TV even for exact draws: compare with the data law's own value.
 */
export function bigramTV(src: MarkovSource, tokens: ArrayLike<number>, n: number): number {
  const { L, V } = src;
  if (L < 2 || n === 0) return 0;
  const counts = new Float64Array(V * V);
  let outside = 0;
  for (let s = 0; s < n; s++) {
    for (let i = 0; i + 1 < L; i++) {
      const u = tokens[s * L + i]!;
      const v = tokens[s * L + i + 1]!;
      if (u >= 0 && u < V && v >= 0 && v < V) counts[u * V + v]!++;
      else outside++;
    }
  }
  const total = n * (L - 1);
  const exact = src.pairLaw();
  let d = outside / total;
  for (let k = 0; k < V * V; k++) d += Math.abs(counts[k]! / total - exact[k]!);
  return d / 2;
}

/** The unigram entropy (nats) of each of the n sequences: MDLM/DUO's per-sample "entropy". */
export function sampleEntropies(tokens: ArrayLike<number>, n: number, L: number): Float64Array {
  const out = new Float64Array(n);
  const x = new Array<number>(L);
  for (let s = 0; s < n; s++) {
    for (let i = 0; i < L; i++) x[i] = tokens[s * L + i]!;
    out[s] = unigramEntropyOf(x);
  }
  return out;
}

/** One law's line of the decomposition. */
export interface LawReport {
  /** 'data', 'exact reverse', 'oracle', 'model'. */
  readonly name: string;
  /** F: E[-log p_data(x)] / L in nats per token (exact for the data law), and its standard error (0 when exact). */
  readonly F: number;
  readonly se: number;
  /** Mean per-sample unigram entropy of its samples (nats) and its standard error. */
  readonly entropy: number;
  readonly entropySe: number;
  /** TV of the samples' adjacent-pair law from the exact pair law. */
  readonly bigramTV: number;
  /** Share of sequences with a token outside the source. */
  readonly invalid: number;
  readonly samples: number;
  /** Denoiser calls (the samplers). */
  readonly nfe?: number;
}

/** The report of one law from its samples and the per-sample values of F (F given when exact). */
export function lawReport(src: MarkovSource, name: string, tokens: ArrayLike<number>, n: number, perToken: ArrayLike<number> | null, o: { F?: number; invalid?: number; nfe?: number } = {}): LawReport {
  const h = sampleEntropies(tokens, n, src.L);
  return {
    name,
    F: o.F ?? mean(perToken!),
    se: o.F !== undefined ? 0 : standardError(perToken!),
    entropy: mean(h),
    entropySe: standardError(h),
    bigramTV: bigramTV(src, tokens, n),
    invalid: (o.invalid ?? 0) / n,
    samples: n,
    ...(o.nfe !== undefined ? { nfe: o.nfe } : {}),
  };
}

/** Mean and standard error of a - b over paired samples (common random numbers: pair i shares its draws). */
export function pairedDifference(a: ArrayLike<number>, b: ArrayLike<number>): { value: number; se: number } {
  const d = Float64Array.from({ length: a.length }, (_, i) => a[i]! - b[i]!);
  return { value: mean(a) - mean(b), se: standardError(d) };
}
