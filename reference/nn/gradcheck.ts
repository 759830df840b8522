// Central finite differences, for checking the references' own gradients.

/**
 * d loss / d x[i] by central differences with step h * max(1, |x[i]|). `loss` may modify nothing;
 * x is restored after each probe.
 */
export function numericGrad(loss: () => number, x: Float64Array, h = 1e-5): Float64Array {
  const g = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const x0 = x[i]!;
    const step = h * Math.max(1, Math.abs(x0));
    x[i] = x0 + step;
    const up = loss();
    x[i] = x0 - step;
    const down = loss();
    x[i] = x0;
    g[i] = (up - down) / (2 * step);
  }
  return g;
}

/** sum_i w[i] * y[i]: a random linear functional turns a vector output into a scalar loss. */
export function dot(w: ArrayLike<number>, y: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += w[i]! * y[i]!;
  return s;
}

/** Largest |a - b| / (atol + |b|) over the elements; <= rtol means a matches b. */
export function maxRelErr(a: ArrayLike<number>, b: ArrayLike<number>, atol: number): number {
  let worst = 0;
  for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / (atol + Math.abs(b[i]!)));
  return worst;
}
