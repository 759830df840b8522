// Float64 re-implementations of one step of each predictor (docs/sampling.md), for the differential
// tests of the GPU sampler: the law of one position, or the positions a selection step picks.

/** The uniform time grid: t_k = 1 - k / steps, with t_steps = 0 exactly. */
export function gridTime(k: number, steps: number): number {
  return k >= steps ? 0 : 1 - k / steps;
}

/**
 * The Euler (tau-leaping) step of one position (SEDD's Euler scheme): p(y) = 1{y = z} + dt R(z -> y),
 * negative entries clipped to 0 (only the stay entry can be negative), renormalised. `rates` is the
 * generator row over S with entry z = -(sum of the others), as reverseRates returns it.
 */
export function eulerLaw(rates: ArrayLike<number>, z: number, dt: number): Float64Array {
  const S = rates.length;
  const p = new Float64Array(S);
  let jump = 0;
  for (let y = 0; y < S; y++) {
    if (y === z) continue;
    p[y] = Math.max(0, dt * rates[y]!);
    jump += p[y]!;
  }
  p[z] = Math.max(0, 1 - jump);
  const tot = p[z]! + jump;
  for (let y = 0; y < S; y++) p[y] = p[y]! / tot;
  return p;
}

/**
 * ReMDM's max-capped remasking probability at a step t -> s (Wang et al. 2025, eq. for sigma_t^max):
 * sigma = min(eta, (1 - alpha_s) / alpha_t) while t_off < t <= t_on, else 0 (MDLM's step).
 */
export function remaskSigma(t: number, alphaT: number, alphaS: number, eta: number, tOn: number, tOff: number): number {
  if (!(t <= tOn && t > tOff)) return 0;
  const cap = alphaT > 0 ? Math.min(1, (1 - alphaS) / alphaT) : 1;
  return Math.max(0, Math.min(eta, cap));
}

/** ReMDM's unmasking probability of a masked position: (alpha_s - (1 - sigma) alpha_t) / (1 - alpha_t). */
export function remaskUnmask(alphaT: number, alphaS: number, sigma: number): number {
  if (!(alphaT < 1)) return 1;
  return Math.min(1, Math.max(0, (alphaS - (1 - sigma) * alphaT) / (1 - alphaT)));
}

/**
 * ReMDM's step at one position over S = V + 1 states ([MASK] = V), given p_hat over V:
 *   z = [MASK]: x_s = v with probability pu p_hat(v), [MASK] with 1 - pu;
 *   z real:     x_s = [MASK] with probability sigma, z with 1 - sigma.
 */
export function remaskLaw(probs: ArrayLike<number>, z: number, pu: number, sigma: number): Float64Array {
  const V = probs.length;
  const out = new Float64Array(V + 1);
  if (z === V) {
    for (let v = 0; v < V; v++) out[v] = pu * probs[v]!;
    out[V] = 1 - pu;
  } else {
    out[z] = 1 - sigma;
    out[V] = sigma;
  }
  return out;
}

/** How many masked positions a confidence step commits: ceil(masked / stepsLeft) (LLaDA's split, remainder first). */
export function commitCount(masked: number, stepsLeft: number): number {
  return stepsLeft <= 1 ? masked : Math.ceil(masked / stepsLeft);
}

/** The k eligible positions of largest confidence (ties: the smaller position first), ascending. */
export function topConfident(conf: ArrayLike<number>, eligible: ArrayLike<boolean>, k: number): number[] {
  const idx: number[] = [];
  for (let i = 0; i < conf.length; i++) if (eligible[i]) idx.push(i);
  idx.sort((a, b) => (conf[b]! > conf[a]! ? 1 : conf[b]! < conf[a]! ? -1 : a - b));
  return idx.slice(0, k).sort((a, b) => a - b);
}

/**
 * GIDD's correction pass on one sequence: the free visible position whose drawn candidate differs
 * from its token with the largest probability p_hat(candidate) (ties: the smaller position), or -1
 * when there is none (the sequence is a fixed point).
 */
export function correctionPick(x: ArrayLike<number>, cand: ArrayLike<number>, conf: ArrayLike<number>, free: ArrayLike<boolean>, V: number): number {
  let best = 0;
  let at = -1;
  for (let i = 0; i < x.length; i++) {
    if (!free[i] || x[i]! >= V || cand[i] === x[i]) continue;
    if (conf[i]! > best) {
      best = conf[i]!;
      at = i;
    }
  }
  return at;
}
