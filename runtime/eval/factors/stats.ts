// Float64 numerics shared by the likelihood protocol and the factors (docs/eval.md): the
// Gauss-Legendre rule, and the ratio estimator "nats per token" over held-out rows with its standard
// error across rows (the rows are the independent units: each row's x_t and t draws are its own).
import { EvaluationError } from './errors.ts';

export interface Rule {
  /** Nodes and weights (sum of weights = length of the interval). */
  readonly x: Float64Array;
  readonly w: Float64Array;
}

const legendreCache = new Map<number, Rule>();

/**
 * The n-point Gauss-Legendre rule on [-1, 1]: the roots of P_n by Newton's method from
 * cos(pi (i - 1/4) / (n + 1/2)) (Abramowitz & Stegun 22.16.6's asymptotics), P_n and P_n' by the
 * three-term recurrence, weights 2 / ((1 - x^2) P_n'(x)^2). Exact for polynomials of degree <= 2n - 1.
 */
export function gaussLegendre(n: number): Rule {
  if (!(Number.isInteger(n) && n >= 1 && n <= 1024)) throw new EvaluationError(`a Gauss-Legendre rule needs 1..1024 nodes, not ${n}`);
  const hit = legendreCache.get(n);
  if (hit) return hit;
  const x = new Float64Array(n);
  const w = new Float64Array(n);
  for (let i = 0; i < Math.ceil(n / 2); i++) {
    let z = Math.cos((Math.PI * (i + 0.75)) / (n + 0.5));
    let d = legendre(n, z);
    for (let it = 0; it < 100; it++) {
      const dz = d.p / d.dp;
      z -= dz;
      d = legendre(n, z);
      if (Math.abs(dz) <= 1e-16) break;
    }
    const wi = 2 / ((1 - z * z) * d.dp * d.dp);
    x[i] = z;
    x[n - 1 - i] = -z;
    w[i] = w[n - 1 - i] = wi;
  }
  if (n % 2 === 1) x[(n - 1) / 2] = 0;
  x.reverse();
  w.reverse();
  const rule = { x, w };
  legendreCache.set(n, rule);
  return rule;
}

/** P_n(z) and P_n'(z) by the three-term recurrence (k P_k = (2k - 1) z P_{k-1} - (k - 1) P_{k-2}). */
function legendre(n: number, z: number): { p: number; dp: number } {
  let p0 = 1;
  let p1 = z;
  for (let k = 2; k <= n; k++) [p0, p1] = [p1, ((2 * k - 1) * z * p1 - (k - 1) * p0) / k];
  return { p: p1, dp: (n * (z * p1 - p0)) / (z * z - 1) };
}

/** The rule mapped to [a, b]. */
export function gaussLegendreOn(n: number, a: number, b: number): Rule {
  const r = gaussLegendre(n);
  const h = (b - a) / 2;
  return { x: Float64Array.from(r.x, (x) => a + h * (x + 1)), w: Float64Array.from(r.w, (w) => h * w) };
}

export interface RatioEstimate {
  /** sum_r y_r / sum_r n_r. */
  readonly mean: number;
  /**
   * Its standard error across rows (delta method for a ratio of sums):
   * sqrt(R / (R - 1) * sum_r (y_r - mean n_r)^2) / sum_r n_r; NaN with fewer than 2 rows.
   * With equal n_r it is the usual standard error of the mean of y_r / n.
   */
  readonly se: number;
  readonly rows: number;
  readonly tokens: number;
}

/** The ratio estimator of per-row totals `y` over per-row counts `n` (rows with n_r = 0 count as rows of nothing). */
export function ratioEstimate(y: ArrayLike<number>, n: ArrayLike<number>): RatioEstimate {
  const R = y.length;
  if (n.length !== R) throw new EvaluationError(`${R} row totals but ${n.length} row counts`);
  let sy = 0;
  let sn = 0;
  for (let r = 0; r < R; r++) {
    if (!Number.isFinite(y[r]!)) throw new EvaluationError(`row ${r}: its total is ${y[r]} (not finite)`);
    sy += y[r]!;
    sn += n[r]!;
  }
  if (!(sn > 0)) throw new EvaluationError(`no tokens to average over (${R} rows)`);
  const m = sy / sn;
  let ss = 0;
  for (let r = 0; r < R; r++) ss += (y[r]! - m * n[r]!) ** 2;
  const se = R > 1 ? Math.sqrt((R / (R - 1)) * ss) / sn : NaN;
  return { mean: m, se, rows: R, tokens: sn };
}
