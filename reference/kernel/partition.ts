// Step boundaries for time-ordered integration: equal steps of a monotone clock C(tau) (a sum of
// cumulative rates), so that a rate that blows up near t = 1 gets proportionally short steps.

export function clockPartition(clock: (tau: number) => number, a: number, t: number, step: number, minSteps: number): Float64Array {
  const c0 = clock(a);
  const c1 = clock(t);
  const n = Math.max(minSteps, Math.ceil((c1 - c0) / step));
  const taus = new Float64Array(n + 1);
  taus[0] = a;
  taus[n] = t;
  let lo = a;
  for (let k = 1; k < n; k++) {
    if (!(c1 > c0)) {
      taus[k] = a + ((t - a) * k) / n;
      continue;
    }
    const target = c0 + ((c1 - c0) * k) / n;
    let l = lo, h = t;
    for (let it = 0; it < 200 && h - l > 1e-15 * Math.max(1, Math.abs(h)); it++) {
      const mid = 0.5 * (l + h);
      if (clock(mid) < target) l = mid;
      else h = mid;
    }
    taus[k] = Math.max(lo, 0.5 * (l + h));
    lo = taus[k]!;
  }
  return taus;
}
