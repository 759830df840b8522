// The NELBO of the exact denoiser on the Markov source, two ways (docs/eval.md, "The NELBO of the
// oracle"). With the oracle p_hat = p(x0^i | x_t^{-i}) the model's reverse rates are the true reverse
// rates of the data-started process, so the model's path law differs from the forward path law only
// in its start (p_1 on every position instead of the true marginal q_1(x_1) of x_1). Hence, per x0,
//
//   NELBO(x0) = integral_0^1 E_{x_t | x0}[ sum_i L_i ] dt + sum_i KL(q_1(. | x0^i) || p_1)       (§2.4, §2.6)
//             = -log p(x0) + E_{x_1 | x0}[ log q_1(x_1) - log prod_i p_1(x_1^i) ],
//
// and the time integral alone is  E_{x_1 | x0}[ -log p(x0 | x_1) ]  (Bayes: the prior terms cancel).
// Over the data, E[NELBO] = H(x_{1:L}) + KL(q_1(x_1) || prod_i p_1), and E[integral] = H(x0 | x_1).
// `exact*` compute the right-hand sides by enumeration of x_1 (tiny sources); `oracleNelboQuadrature`
// computes the left-hand side from the kernel's ELBO integrand (reference kernel `elbo`) with the
// oracle's logits, x_t enumerated and t integrated by adaptive Gauss-Kronrod. Both sides agree to
// rounding when the oracle uses exact hops (MarkovOracle { hops: 'exact' }).
import { integrate } from '../math/quadrature.ts';
import { seqOf } from '../sample/index.ts';
import type { ReferenceKernel } from '../kernel/index.ts';
import { forwardBackward, leaveOneOut, posteriorMarginals } from './hmm.ts';
import type { MarkovOracle } from './oracle.ts';
import { SyntheticError } from './source.ts';

/** Largest number of noisy sequences (S^L) the enumerations visit. */
export const MAX_ENUMERATION = 1 << 14;

function checkSize(o: MarkovOracle, what: string): number {
  const n = o.S ** o.L;
  if (n > MAX_ENUMERATION) throw new SyntheticError(`${what} enumerates S^L = ${o.S}^${o.L} = ${n} noisy sequences, more than ${MAX_ENUMERATION}: use a smaller source`);
  return n;
}

/** q_t(x | x0) = prod_i q_t(x^i | x0^i) for every x in S^L (index base S), with the oracle's hops. */
function noisyLaw(o: MarkovOracle, t: number, x0: ArrayLike<number>): Float64Array {
  const rows = Array.from({ length: o.L }, (_, i) => o.ref.row(t, x0[i]!, o.hopsAt(t)));
  const out = new Float64Array(o.S ** o.L);
  for (let k = 0; k < out.length; k++) {
    const x = seqOf(k, o.S, o.L);
    let p = 1;
    for (let i = 0; i < o.L && p > 0; i++) p *= rows[i]![x[i]!]!;
    out[k] = p;
  }
  return out;
}

/** sum_i KL(q_1(. | x0^i) || p_1): the prior term of x0 (docs/math.md §2.6). */
export function priorTerm(ref: ReferenceKernel, x0: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x0.length; i++) s += ref.priorKL(x0[i]!);
  return s;
}

/** E_{x_1 ~ q_1(. | x0)}[ -log p(x0 | x_1) ] by enumeration: the exact time-integral part of the oracle's NELBO of x0. */
export function exactDiffusionTerm(o: MarkovOracle, x0: ArrayLike<number>): number {
  checkSize(o, 'exactDiffusionTerm');
  const q = noisyLaw(o, 1, x0);
  let s = 0;
  for (let k = 0; k < q.length; k++) if (q[k]! > 0) s -= q[k]! * o.posteriorLogProb(x0, 1, seqOf(k, o.S, o.L));
  return s;
}

/** E_{x_1 | x0}[ -log p(x0 | x_1) ] by Monte Carlo over exact forward draws of x_1 (any size): mean and standard error. */
export function sampledDiffusionTerm(o: MarkovOracle, x0: ArrayLike<number>, draws: number, u: () => number): { mean: number; se: number } {
  const xs = new Int32Array(o.L);
  let s = 0;
  let s2 = 0;
  for (let d = 0; d < draws; d++) {
    for (let i = 0; i < o.L; i++) xs[i] = o.ref.sampleForward(x0[i]!, 1, u);
    const v = -o.posteriorLogProb(x0, 1, xs);
    s += v;
    s2 += v * v;
  }
  const mean = s / draws;
  return { mean, se: Math.sqrt(Math.max(0, s2 / draws - mean * mean) / Math.max(1, draws - 1)) };
}

/**
 * The oracle's ELBO integrand of one noisy sequence, sum_i L(x0^i, x_t^i, p_hat_i) at t (docs/math.md
 * §2.4, the reference kernel's `elbo` with logits log p(x0^i | x_t^{-i})): the loss floor, a draw of
 * the quantity whose mean over x0 ~ data and x_t ~ q_t(. | x0) is the integrand of E[NELBO].
 */
export function oracleLoss(o: MarkovOracle, t: number, x0: ArrayLike<number>, xt: ArrayLike<number>): number {
  const p = o.elboOptimal(t, xt);
  const logits = new Float64Array(o.V);
  const H = o.hopsAt(t);
  let s = 0;
  for (let i = 0; i < o.L; i++) {
    for (let v = 0; v < o.V; v++) logits[v] = Math.log(p[i * o.V + v]!);
    s += o.ref.elbo(logits, x0[i]!, xt[i]!, t, H).value;
  }
  return s;
}

/** H(x0^i | x_t) of every position (nats): the exact posterior entropy. */
export function posteriorEntropies(o: MarkovOracle, t: number, xt: ArrayLike<number>): Float64Array {
  const p = o.posterior(t, xt);
  const out = new Float64Array(o.L);
  for (let i = 0; i < o.L; i++) {
    let h = 0;
    for (let v = 0; v < o.V; v++) {
      const x = p[i * o.V + v]!;
      if (x > 0) h -= x * Math.log(x);
    }
    out[i] = h;
  }
  return out;
}

export interface ExpectedNelbo {
  /** H(x_{1:L}) (nats per sequence). */
  entropy: number;
  /** KL(q_1(x_1) || prod_i p_1): what the prior's product form costs over the data (nats per sequence). */
  priorMismatch: number;
  /** E_data[NELBO] = entropy + priorMismatch. */
  total: number;
  /** E_data[prior term] = L sum_v pi(v) KL(q_1(. | v) || p_1). */
  priorTerm: number;
  /** E_data[time integral] = total - priorTerm = H(x0 | x_1). */
  diffusion: number;
}

/** The exact expected NELBO of the oracle over the source, by enumeration of x_1 (tiny sources). */
export function exactExpectedNelbo(o: MarkovOracle, prior: ArrayLike<number> = o.ref.prior()): ExpectedNelbo {
  const n = checkSize(o, 'exactExpectedNelbo');
  const logPrior = Array.from(prior, Math.log);
  let kl = 0;
  for (let k = 0; k < n; k++) {
    const x1 = seqOf(k, o.S, o.L);
    const lq = o.logMarginal(1, x1);
    if (lq === -Infinity) continue;
    let lp = 0;
    for (let i = 0; i < o.L; i++) lp += logPrior[x1[i]!]!;
    kl += Math.exp(lq) * (lq - lp);
  }
  let pt = 0;
  for (let v = 0; v < o.Vs; v++) pt += o.source.pi[v]! * o.ref.priorKL(v);
  pt *= o.L;
  const entropy = o.source.sequenceEntropy();
  return { entropy, priorMismatch: kl, total: entropy + kl, priorTerm: pt, diffusion: entropy + kl - pt };
}

export interface QuadratureNelbo {
  /** E_data[ integral_0^1 E_{x_t | x0}[ sum_i L_i ] dt ] (nats per sequence). */
  expected: number;
  /** The same integral for each x0 asked for. */
  perX0: Float64Array;
  /** Gauss-Kronrod's error estimate of the whole vector (max-norm). */
  error: number;
  evaluations: number;
}

/**
 * The oracle's ELBO integrand at t (docs/math.md §2.4, the reference kernel's `elbo` with logits
 * log p_hat, p_hat_i = p(x0^i | x_t^{-i}) over the kernel's tokens), x_t enumerated: entry 0 is the
 * mean over the data, sum_{x_t} p(x_t) sum_i sum_v p(x0^i = v | x_t) L(v, x_t^i, p_hat_i); entry 1 + m
 * the value for x0s[m], sum_{x_t} q_t(x_t | x0) sum_i L(x0^i, x_t^i, p_hat_i).
 */
export function oracleElboIntegrand(o: MarkovOracle, t: number, x0s: ReadonlyArray<ArrayLike<number>> = [], out: Float64Array = new Float64Array(1 + x0s.length)): Float64Array {
  const n = checkSize(o, 'oracleElboIntegrand');
  const { L, V, Vs, S, ref, source } = o;
  out.fill(0);
  const H = o.hopsAt(t);
  const q = x0s.map((x0) => noisyLaw(o, t, x0));
  const cols = o.columns(t);
  const E = new Float64Array(L * Vs);
  const logits = new Float64Array(V);
  for (let k = 0; k < n; k++) {
    const xt = seqOf(k, S, L);
    for (let j = 0; j < L; j++) E.set(cols[xt[j]!]!, j * Vs);
    const fb = forwardBackward(source, E, L);
    if (fb.logLik === -Infinity) continue;
    const px = Math.exp(fb.logLik);
    const loo = leaveOneOut(source, fb);
    const post = posteriorMarginals(source, fb, E);
    for (let i = 0; i < L; i++) {
      logits.fill(-Infinity);
      for (let v = 0; v < Vs; v++) logits[v] = Math.log(loo[i * Vs + v]!);
      const ell = (v: number) => ref.elbo(logits, v, xt[i]!, t, H).value;
      for (let v = 0; v < Vs; v++) {
        const g = post[i * Vs + v]!;
        if (g > 0) out[0]! += px * g * ell(v);
      }
      x0s.forEach((x0, m) => {
        if (q[m]![k]! > 0) out[1 + m]! += q[m]![k]! * ell(x0[i]!);
      });
    }
  }
  return out;
}

/**
 * The time integral of oracleElboIntegrand by adaptive Gauss-Kronrod (absolute tolerance absTol,
 * default 1e-8) in s with t = s^3. Where the kernel can move a token to another real token (reset,
 * jump) the integrand grows like log(1/t) as t -> 0 (an x_t^i != x0^i of probability O(t) carries a
 * rate ratio O(1/t)): integrable, but an interval [0, h] then never meets a tolerance proportional
 * to h. With t = s^3 the integrand becomes 3 s^2 f(s^3), which vanishes smoothly at 0.
 */
export function oracleNelboQuadrature(o: MarkovOracle, opts: { x0s?: ReadonlyArray<ArrayLike<number>>; absTol?: number } = {}): QuadratureNelbo {
  const x0s = opts.x0s ?? [];
  const f = (s: number, out: Float64Array) => {
    oracleElboIntegrand(o, s ** 3, x0s, out);
    for (let j = 0; j < out.length; j++) out[j] = out[j]! * 3 * s * s;
  };
  const r = integrate(f, 1 + x0s.length, 0, 1, { absTol: opts.absTol ?? 1e-8 });
  return { expected: r.value[0]!, perX0: r.value.slice(1), error: r.errorEstimate, evaluations: r.evaluations };
}
