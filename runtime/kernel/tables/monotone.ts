// Monotone piecewise-cubic Hermite interpolation (Fritsch and Carlson 1980; the PCHIP slopes of
// Fritsch and Butland 1984), exact at the nodes, C1, and monotone wherever the data are. The
// derivative of the interpolant is the tabulated sigma(t) (docs/math.md §3).

export interface Monotone {
  value(x: number): number;
  slope(x: number): number;
  readonly x: Float64Array;
  readonly y: Float64Array;
  readonly d: Float64Array;
}

/**
 * Interpolant through (x_i, y_i), x strictly increasing. `slopes` (e.g. exact derivatives) are used
 * where they keep each interval monotone and limited to the Fritsch-Carlson region otherwise;
 * without them, the PCHIP harmonic-mean slopes.
 */
export function monotoneCubic(x: Float64Array, y: Float64Array, slopes?: Float64Array): Monotone {
  const n = x.length;
  if (n < 2 || y.length !== n) throw new RangeError('monotoneCubic needs at least two points and as many values');
  for (let i = 1; i < n; i++) if (!(x[i]! > x[i - 1]!)) throw new RangeError('monotoneCubic needs strictly increasing x');
  const h = new Float64Array(n - 1);
  const delta = new Float64Array(n - 1);
  for (let i = 0; i < n - 1; i++) {
    h[i] = x[i + 1]! - x[i]!;
    delta[i] = (y[i + 1]! - y[i]!) / h[i]!;
  }
  const d = new Float64Array(n);
  if (slopes) d.set(slopes);
  else if (n === 2) d.fill(delta[0]!);
  else {
    for (let i = 1; i < n - 1; i++) {
      const a = delta[i - 1]!, b = delta[i]!;
      if (a * b <= 0) d[i] = 0;
      else {
        const w1 = 2 * h[i]! + h[i - 1]!, w2 = h[i]! + 2 * h[i - 1]!;
        d[i] = (w1 + w2) / (w1 / a + w2 / b);
      }
    }
    d[0] = endSlope(h[0]!, h[1]!, delta[0]!, delta[1]!);
    d[n - 1] = endSlope(h[n - 2]!, h[n - 3]!, delta[n - 2]!, delta[n - 3]!);
  }
  // Fritsch-Carlson: keep each interval monotone.
  for (let i = 0; i < n - 1; i++) {
    const dl = delta[i]!;
    if (dl === 0) {
      d[i] = 0;
      d[i + 1] = 0;
      continue;
    }
    if (d[i]! / dl < 0) d[i] = 0;
    if (d[i + 1]! / dl < 0) d[i + 1] = 0;
    const a = d[i]! / dl, b = d[i + 1]! / dl;
    const r = a * a + b * b;
    if (r > 9) {
      const tau = 3 / Math.sqrt(r);
      d[i] = tau * a * dl;
      d[i + 1] = tau * b * dl;
    }
  }
  const locate = (t: number) => {
    if (t <= x[0]!) return 0;
    if (t >= x[n - 1]!) return n - 2;
    let lo = 0, hi = n - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (x[mid]! <= t) lo = mid;
      else hi = mid;
    }
    return lo;
  };
  return {
    x,
    y,
    d,
    value(t: number) {
      const i = locate(t);
      const s = (t - x[i]!) / h[i]!;
      if (s === 0) return y[i]!;
      if (s === 1) return y[i + 1]!;
      const s2 = s * s, s3 = s2 * s;
      return (2 * s3 - 3 * s2 + 1) * y[i]! + (s3 - 2 * s2 + s) * h[i]! * d[i]! + (-2 * s3 + 3 * s2) * y[i + 1]! + (s3 - s2) * h[i]! * d[i + 1]!;
    },
    slope(t: number) {
      const i = locate(t);
      const s = (t - x[i]!) / h[i]!;
      const s2 = s * s;
      return ((6 * s2 - 6 * s) * y[i]! + (6 * s - 6 * s2) * y[i + 1]!) / h[i]! + (3 * s2 - 4 * s + 1) * d[i]! + (3 * s2 - 2 * s) * d[i + 1]!;
    },
  };
}

// Three-point end slope, shape-preserving (Moler, Numerical Computing with MATLAB, pchip).
function endSlope(h0: number, h1: number, d0: number, d1: number): number {
  let s = ((2 * h0 + h1) * d0 - h0 * d1) / (h0 + h1);
  if (Math.sign(s) !== Math.sign(d0)) s = 0;
  else if (Math.sign(d0) !== Math.sign(d1) && Math.abs(s) > Math.abs(3 * d0)) s = 3 * d0;
  return s;
}
