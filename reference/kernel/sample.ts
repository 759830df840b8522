// Exact forward sampling x_t ~ q_t(. | x0) by path simulation (docs/math.md §2.1): never a V-vector.
// 1. masked with probability 1 - e^{-Lambda_m(t)};
// 2. else look back from t for the last reset: the reset clock distance E ~ Exp(1); none when
//    E >= Lambda_u(t); otherwise its time tau solves Lambda_u(t) - Lambda_u(tau) = E and its channel
//    is j with probability sigma_uj(tau) / sigma_u(tau), and the walk starts at y ~ pi_j;
// 3. walk N ~ Poisson(Lambda_a(t) - Lambda_a(tau)) steps on the jump graph(s).
import type { SparseGraph } from '../../runtime/kernel/tables/graph.ts';
import type { Structure } from './structure.ts';

export function samplePoisson(mu: number, rng: () => number): number {
  if (mu <= 0) return 0;
  if (mu > 500) {
    const h = mu / 2;
    return samplePoisson(h, rng) + samplePoisson(mu - h, rng);
  }
  // Inversion of the CDF.
  const u = rng();
  let k = 0;
  let p = Math.exp(-mu);
  let F = p;
  while (u > F) {
    k++;
    p = (p * mu) / k;
    const F2 = F + p;
    if (F2 === F && k > mu) break; // u above the representable CDF: the far tail, vanishing probability.
    F = F2;
  }
  return k;
}

/** Index i with probability w[i] / sum(w) (inversion). */
export function sampleCategorical(w: ArrayLike<number>, rng: () => number, lo = 0, hi = w.length): number {
  let z = 0;
  for (let i = lo; i < hi; i++) z += w[i]!;
  const u = rng() * z;
  let acc = 0;
  let last = lo;
  for (let i = lo; i < hi; i++) {
    if (w[i]! <= 0) continue;
    acc += w[i]!;
    last = i;
    if (u < acc) return i;
  }
  return last;
}

/** One hop from x: a neighbour drawn from row x of g. */
export function sampleStep(g: SparseGraph, x: number, rng: () => number): number {
  const i = sampleCategorical(g.w, rng, g.rowPtr[x]!, g.rowPtr[x + 1]!);
  return g.col[i]!;
}

/** Smallest tau in [lo, hi] with f(tau) >= target, for f non-decreasing (bisection to 1e-15). */
function invert(f: (tau: number) => number, target: number, lo: number, hi: number): number {
  for (let it = 0; it < 200 && hi - lo > 1e-15; it++) {
    const mid = 0.5 * (lo + hi);
    if (f(mid) < target) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}

export function sampleForward(st: Structure, x0: number, t: number, rng: () => number): number {
  if (!Number.isInteger(x0) || x0 < 0 || x0 >= st.V) throw new RangeError(`x0 = ${x0} is not a token (0..${st.V - 1})`);
  const Lt = st.lambdas(t);
  const T = st.totals(Lt);
  if (st.hasMask && rng() < -Math.expm1(-T.m)) return st.m;
  return walkBack(st, t, Lt, x0, -Math.log(rng()), rng);
}

/**
 * A draw from rho_t / |rho_t| (docs/math.md §1.3): the token at t given that some reset happened in
 * (origin, t] and no mask tick, by the same path simulation with the reset-clock distance E drawn
 * from Exp(1) conditioned on E < Lambda_u(t). The law of the x-independent part of every row.
 */
export function sampleRho(st: Structure, t: number, rng: () => number): number {
  const Lt = st.lambdas(t);
  const Tu = st.totals(Lt).u;
  if (!(Tu > 0)) throw new RangeError(`no reset can have happened by t = ${t} (the reset amount is 0)`);
  return walkBack(st, t, Lt, -1, -Math.log1p(-rng() * -Math.expm1(-Tu)), rng);
}

/**
 * The unmasked path to t from x0, given the reset-clock distance E back from t to the last reset
 * (none when E >= Lambda_u(t)); Lt = Lambda_c(t), which the caller has already evaluated.
 */
function walkBack(st: Structure, t: number, Lt: Float64Array, x0: number, E: number, rng: () => number): number {
  const T = st.totals(Lt);
  let x = x0;
  // Jump clock interval (in Lambda_a units) that the walk covers, and where it starts.
  let aFrom = 0;
  if (E < T.u) {
    let j: number;
    const L0 = st.lambdas(0);
    const T0 = st.totals(L0);
    if (st.coProportional) {
      // Every non-mask channel advances in fixed ratios: the jump amount since the reset is (L_a / L_u) E.
      aFrom = T.a - (T.a / T.u) * E;
      j = sampleCategorical(st.resets.map((r) => Lt[r.c]!), rng);
    } else if (E <= T.u - T0.u) {
      const tau = invert((y) => st.totals(st.lambdas(y)).u, T.u - E, 0, t);
      const sg = st.sigmas(tau);
      j = sampleCategorical(st.resets.map((r) => sg[r.c]!), rng);
      aFrom = st.totals(st.lambdas(tau)).a;
    } else {
      // The reset falls in the proportional prefix (amounts Lambda_c(0)).
      const f = (E - (T.u - T0.u)) / T0.u;
      aFrom = T0.a * (1 - f);
      j = sampleCategorical(st.resets.map((r) => L0[r.c]!), rng);
    }
    x = sampleCategorical(st.resets[j]!.pi, rng);
  }
  const N = samplePoisson(Math.max(0, T.a - aFrom), rng);
  if (N === 0) return x;
  if (st.hopExpansion) {
    for (let n = 0; n < N; n++) x = sampleStep(st.Abar!, x, rng);
    return x;
  }
  // Graphs mixed in time-varying ratios: the N jump events sit uniformly on the jump clock; take them
  // in time order and pick each one's graph by the rates at its time.
  const L0 = st.lambdas(0);
  const T0 = st.totals(L0);
  const marks: number[] = [];
  for (let n = 0; n < N; n++) marks.push(aFrom + (T.a - aFrom) * rng());
  marks.sort((p, q) => p - q);
  for (const mk of marks) {
    let weights: number[];
    if (mk < T0.a) weights = st.jumps.map((g) => L0[g.c]!);
    else {
      const tau = invert((y) => st.totals(st.lambdas(y)).a, mk, 0, t);
      const sg = st.sigmas(tau);
      weights = st.jumps.map((g) => sg[g.c]!);
    }
    const g = st.jumps[sampleCategorical(weights, rng)]!;
    x = sampleStep(g.A, x, rng);
  }
  return x;
}
