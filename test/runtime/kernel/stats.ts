// Goodness-of-fit helpers for the statistical tests of the GPU samplers.
import { chiSquarePValue } from '../../../reference/math/special.ts';

/**
 * Pearson chi-square of observed counts against probabilities; bins whose expected count is below
 * `minExpected` are pooled into one bin (kept only if its pooled expectation reaches it too).
 */
export function chiSquare(counts: ArrayLike<number>, probs: ArrayLike<number>, minExpected = 5): { stat: number; df: number; p: number } {
  let n = 0;
  for (let i = 0; i < counts.length; i++) n += counts[i]!;
  let stat = 0;
  let bins = 0;
  let poolE = 0;
  let poolO = 0;
  for (let i = 0; i < probs.length; i++) {
    const e = n * probs[i]!;
    const o = counts[i]!;
    if (e < minExpected) {
      poolE += e;
      poolO += o;
      continue;
    }
    stat += (o - e) ** 2 / e;
    bins++;
  }
  if (poolE >= minExpected) {
    stat += (poolO - poolE) ** 2 / poolE;
    bins++;
  } else if (poolO > 0 && poolE < 1e-9) {
    // Draws where the law puts (numerically) no mass: a failure by itself.
    return { stat: Infinity, df: Math.max(1, bins - 1), p: 0 };
  }
  const df = Math.max(1, bins - 1);
  return { stat, df, p: chiSquarePValue(stat, df) };
}

/** Two-sided exact-enough binomial interval for k ~ Bin(n, p) at level alpha (normal approximation with continuity, widened by Poisson for small means). */
export function binomialInterval(n: number, p: number, alpha: number): [number, number] {
  const mu = n * p;
  const sd = Math.sqrt(n * p * (1 - p));
  // z for two-sided alpha by bisection on the normal tail.
  const tail = (z: number) => 0.5 * erfc(z / Math.SQRT2);
  let lo = 0;
  let hi = 40;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (tail(mid) > alpha / 2) lo = mid;
    else hi = mid;
  }
  const z = hi;
  return [Math.max(0, Math.floor(mu - z * sd - 1)), Math.ceil(mu + z * sd + 1)];
}

function erfc(x: number): number {
  // Numerical Recipes erfcc, relative error < 1.2e-7.
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}
