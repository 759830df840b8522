// Special functions in float64: the Poisson law (hop weights, docs/math.md §1.3) and the regularised
// incomplete gamma function (reset weights §1.5, chi-square p-values in tests).

const LN_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

// Stirling-series error log(n!) - [(n + 1/2) log n - n + log sqrt(2 pi)] (Loader 2000), exact
// table for small n.
const SFERR_HALVES = [
  0.0, 0.1534264097200273452913848, 0.0810614667953272582196702, 0.0548141210519176538961390,
  0.0413406959554092940938221, 0.03316287351993628748511048, 0.02767792568499833914878929,
  0.02374616365629749597132920, 0.02079067210376509311152277, 0.01848845053267318523077934,
  0.01664469118982119216319487, 0.01513497322191737887351255, 0.01387612882307074799874573,
  0.01281046524292022692424986, 0.01189670994589177009505572, 0.01110455975820691732662991,
  0.010411265261972096497478567, 0.009799416126158803298389475, 0.009255462182712732917728637,
  0.008768700134139385462952823, 0.008330563433362871256469318, 0.007934114564314020547248100,
  0.007573675487951840794972024, 0.007244554301320383179543912, 0.006942840107209529865664152,
  0.006665247032707682442354394, 0.006408994188004207068439631, 0.006171712263039457647532867,
  0.005951370112758847735624416, 0.005746216513010115682023589, 0.005554733551962801371038690,
];

function stirlerr(n: number): number {
  if (n <= 15) {
    const nn = n + n;
    if (nn === Math.floor(nn)) return SFERR_HALVES[nn]!;
    return logGamma(n + 1) - (n + 0.5) * Math.log(n) + n - LN_SQRT_2PI;
  }
  const nn = n * n;
  const S0 = 1 / 12, S1 = 1 / 360, S2 = 1 / 1260, S3 = 1 / 1680, S4 = 1 / 1188;
  if (n > 500) return (S0 - S1 / nn) / n;
  if (n > 80) return (S0 - (S1 - S2 / nn) / nn) / n;
  if (n > 35) return (S0 - (S1 - (S2 - S3 / nn) / nn) / nn) / n;
  return (S0 - (S1 - (S2 - (S3 - S4 / nn) / nn) / nn) / nn) / n;
}

// x log(x / np) + np - x, without cancellation when x ~ np (Loader 2000).
function bd0(x: number, np: number): number {
  if (Math.abs(x - np) < 0.1 * (x + np)) {
    let v = (x - np) / (x + np);
    let s = (x - np) * v;
    let ej = 2 * x * v;
    v *= v;
    for (let j = 1; j < 1000; j++) {
      ej *= v;
      const s1 = s + ej / (2 * j + 1);
      if (s1 === s) return s1;
      s = s1;
    }
  }
  return x * Math.log(x / np) + np - x;
}

/** log Gamma(x) for x > 0 (Lanczos, g = 7, 9 terms; relative error ~1e-15). */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  x -= 1;
  let a = c[0]!;
  const tt = x + 7.5;
  for (let i = 1; i < 9; i++) a += c[i]! / (x + i);
  return LN_SQRT_2PI + (x + 0.5) * Math.log(tt) - tt + Math.log(a);
}

/** Poisson(n; mu) to full relative precision (Loader's saddle-point form). */
export function poissonPmf(n: number, mu: number): number {
  if (mu === 0) return n === 0 ? 1 : 0;
  if (n < 0 || !Number.isFinite(mu)) return 0;
  if (n === 0) return Math.exp(-mu);
  return Math.exp(-stirlerr(n) - bd0(n, mu)) / Math.sqrt(2 * Math.PI * n);
}

/** Poisson(n; mu) for n = 0..N, by recurrence outward from the mode (relative error ~ |n - mode| eps). */
export function poissonWeights(mu: number, N: number): Float64Array {
  const w = new Float64Array(N + 1);
  if (mu === 0) {
    w[0] = 1;
    return w;
  }
  const m = Math.min(N, Math.floor(mu));
  w[m] = poissonPmf(m, mu);
  for (let n = m + 1; n <= N; n++) w[n] = (w[n - 1]! * mu) / n;
  for (let n = m - 1; n >= 0; n--) w[n] = (w[n + 1]! * (n + 1)) / mu;
  return w;
}

/** P(Poisson(mu) > H), accurate for tiny tails (summed from H+1 up) and for H below the mean. */
export function poissonTail(mu: number, H: number): number {
  if (H < 0) return 1;
  if (mu === 0) return 0;
  if (H + 1 <= mu) {
    let cdf = 0;
    const w = poissonWeights(mu, H);
    for (let n = H; n >= 0; n--) cdf += w[n]!;
    return Math.max(0, 1 - cdf);
  }
  let p = poissonPmf(H + 1, mu);
  let s = 0;
  for (let n = H + 1; p > 0; n++) {
    s += p;
    if (p < s * 1e-18) break;
    p = (p * mu) / (n + 1);
  }
  return s;
}

/** P(Poisson(mu) > n) for n = 0..N (index n), each to full relative precision. */
export function poissonTails(mu: number, N: number): Float64Array {
  const tails = new Float64Array(N + 1);
  if (mu === 0) return tails;
  // Sum from far beyond the bulk down, so that tiny tails keep their relative precision.
  const K = Math.max(N + 1, Math.ceil(mu + 40 * Math.sqrt(mu) + 60));
  const w = poissonWeights(mu, K);
  let beyond = poissonTail(mu, K);
  for (let n = K; n >= 0; n--) {
    if (n <= N) tails[n] = beyond;
    beyond += w[n]!;
  }
  return tails;
}

/** Smallest H >= 0 with scale * P(Poisson(mu) > H) <= tol. */
export function poissonQuantileForTail(mu: number, tol: number, scale = 1): number {
  if (scale <= tol || mu === 0) return 0;
  let H = Math.max(0, Math.floor(mu));
  while (scale * poissonTail(mu, H) > tol) H += Math.max(1, Math.ceil(Math.sqrt(mu) / 4));
  // Step back to the smallest such H.
  while (H > 0 && scale * poissonTail(mu, H - 1) <= tol) H--;
  return H;
}

/** Regularised lower incomplete gamma P(a, x). */
export function gammaP(a: number, x: number): number {
  if (x <= 0) return 0;
  if (x < a + 1) return gammaSeries(a, x);
  return 1 - gammaContinuedFraction(a, x);
}

/** Regularised upper incomplete gamma Q(a, x) = 1 - P(a, x), accurate in the upper tail. */
export function gammaQ(a: number, x: number): number {
  if (x <= 0) return 1;
  if (x < a + 1) return 1 - gammaSeries(a, x);
  return gammaContinuedFraction(a, x);
}

function gammaSeries(a: number, x: number): number {
  let ap = a;
  let sum = 1 / a;
  let del = sum;
  for (let n = 0; n < 100000; n++) {
    ap += 1;
    del *= x / ap;
    sum += del;
    if (Math.abs(del) < Math.abs(sum) * 1e-17) break;
  }
  return sum * Math.exp(-x + a * Math.log(x) - logGamma(a));
}

function gammaContinuedFraction(a: number, x: number): number {
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 100000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-17) break;
  }
  return Math.exp(-x + a * Math.log(x) - logGamma(a)) * h;
}

/** Upper-tail p-value of a chi-square statistic with df degrees of freedom. */
export function chiSquarePValue(stat: number, df: number): number {
  return gammaQ(df / 2, stat / 2);
}

/** x - log1p(x) = (1 + x) - 1 - log(1 + x): the Itakura-Saito divergence of r = 1 + x, accurate near 0. */
export function xMinusLog1p(x: number): number {
  if (Math.abs(x) < 1e-3) {
    // x^2/2 - x^3/3 + x^4/4 - x^5/5 + ...
    let term = x;
    let s = 0;
    for (let k = 2; k < 12; k++) {
      term *= -x;
      s -= term / k;
    }
    return s;
  }
  return x - Math.log1p(x);
}
