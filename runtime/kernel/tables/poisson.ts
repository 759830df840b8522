// Poisson weights for the host tables (kept apart from reference/, which the GPU path must not import).

function logFactorial(n: number): number {
  // Exact sum for small n, Stirling series beyond (error < 1e-16 relative for n >= 20).
  if (n < 20) {
    let s = 0;
    for (let k = 2; k <= n; k++) s += Math.log(k);
    return s;
  }
  const inv = 1 / n;
  const inv2 = inv * inv;
  return (n + 0.5) * Math.log(n) - n + 0.5 * Math.log(2 * Math.PI) + inv * (1 / 12 - inv2 * (1 / 360 - inv2 * (1 / 1260 - inv2 / 1680)));
}

/** Poisson(n; mu) for n = 0..N, by recurrence outward from the mode. */
export function poissonWeights(mu: number, N: number): Float64Array {
  const w = new Float64Array(N + 1);
  if (mu <= 0) {
    w[0] = 1;
    return w;
  }
  const m = Math.min(N, Math.floor(mu));
  w[m] = Math.exp(m * Math.log(mu) - mu - logFactorial(m));
  for (let n = m + 1; n <= N; n++) w[n] = (w[n - 1]! * mu) / n;
  for (let n = m - 1; n >= 0; n--) w[n] = (w[n + 1]! * (n + 1)) / mu;
  return w;
}

/** Smallest N with P(Poisson(mu) > N) <= tol. */
export function poissonCutoff(mu: number, tol: number): number {
  if (mu <= 0) return 0;
  let N = Math.ceil(mu + 10 * Math.sqrt(mu) + 20);
  for (;;) {
    const w = poissonWeights(mu, N + 200);
    let tail = 0;
    for (let n = N + 200; n > N; n--) tail += w[n]!;
    if (tail <= tol) {
      // Walk back to the smallest such N.
      while (N > 0 && tail + w[N]! <= tol) {
        tail += w[N]!;
        N--;
      }
      return N;
    }
    N += 50;
  }
}

/** P(Poisson(mu) > n) for n = 0..N. */
export function poissonTails(mu: number, N: number): Float64Array {
  const K = Math.max(N + 1, poissonCutoff(mu, 1e-300) + 1);
  const w = poissonWeights(mu, K);
  const tails = new Float64Array(N + 1);
  let beyond = 0;
  for (let n = K; n >= 0; n--) {
    if (n <= N) tails[n] = beyond;
    beyond += w[n]!;
  }
  return tails;
}
