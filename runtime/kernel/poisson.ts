// Float64 Poisson and quadrature helpers for the host side of the kernel runtime.

/** Poisson(n; lambda) for n = 0..H, in log space so large lambda does not underflow e^-lambda. */
export function poissonPmf(lambda: number, H: number): Float64Array {
  const out = new Float64Array(H + 1);
  if (!(lambda > 0)) {
    out[0] = 1;
    return out;
  }
  const logL = Math.log(lambda);
  let lp = -lambda;
  for (let n = 0; n <= H; n++) {
    if (n > 0) lp += logL - Math.log(n);
    out[n] = Math.exp(lp);
  }
  return out;
}

/** P(Poisson(mu) >= m), accurate in both tails. */
export function poissonTailGE(mu: number, m: number): number {
  if (m <= 0) return 1;
  if (!(mu > 0)) return 0;
  if (m > mu) {
    // Sum the upper tail directly: its terms fall off geometrically past the mode.
    let lp = -mu + m * Math.log(mu) - logFactorial(m);
    let sum = 0;
    for (let j = m; j < m + 100000; j++) {
      if (j > m) lp += Math.log(mu / j);
      const p = Math.exp(lp);
      sum += p;
      if (p < sum * 1e-17 && j > mu) break;
    }
    return Math.min(1, sum);
  }
  // 1 - P(X <= m - 1), the lower tail being the small side.
  let lp = -mu;
  let cdf = 0;
  for (let j = 0; j < m; j++) {
    if (j > 0) lp += Math.log(mu / j);
    cdf += Math.exp(lp);
  }
  return Math.max(0, 1 - cdf);
}

const logFactCache: number[] = [0];
export function logFactorial(n: number): number {
  for (let k = logFactCache.length; k <= n; k++) logFactCache.push(logFactCache[k - 1]! + Math.log(k));
  return logFactCache[n]!;
}

/** Gauss-Legendre nodes and weights on [-1, 1] (Newton on P_n). */
export function gaussLegendre(n: number): { x: Float64Array; w: Float64Array } {
  const x = new Float64Array(n);
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let z = Math.cos((Math.PI * (i + 0.75)) / (n + 0.5));
    let dp = 0;
    for (let it = 0; it < 100; it++) {
      let p0 = 1;
      let p1 = z;
      for (let k = 2; k <= n; k++) {
        const p2 = ((2 * k - 1) * z * p1 - (k - 1) * p0) / k;
        p0 = p1;
        p1 = p2;
      }
      dp = (n * (z * p1 - p0)) / (z * z - 1);
      const dz = p1 / dp;
      z -= dz;
      if (Math.abs(dz) < 1e-16) break;
    }
    x[i] = z;
    w[i] = 2 / ((1 - z * z) * dp * dp);
  }
  return { x, w };
}
