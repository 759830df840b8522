// Forward-backward for the Markov source seen through per-position noise (docs/eval.md, "Synthetic
// source and the error decomposition"). The corruption of a kernel acts on every position
// independently, so given a noisy sequence x_t the clean sequence is a hidden Markov chain with
// emissions e_j(v) = q_t(x_t^j | x0^j = v):
//
//   p(x0 | x_t)  proportional to  pi(x0^1) prod_j P(x0^j, x0^{j+1}) prod_j e_j(x0^j).
//
// Everything here is O(L V^2) per sequence, float64, with the forward messages normalised at each
// position (their log normalisers add up to log p(x_t)) and the backward messages scaled by their
// largest entry, so that long sequences neither underflow nor overflow.
import type { MarkovSource } from './source.ts';

export interface ForwardBackward {
  readonly L: number;
  /** p(x0^j = v | x_t^{1..j-1}): the forward prediction before position j's emission, [L, V]. */
  readonly pred: Float64Array;
  /** p(x0^j = v | x_t^{1..j}): the normalised forward message, [L, V]. */
  readonly alpha: Float64Array;
  /** The backward message p(x_t^{j+1..L} | x0^j = v) up to a factor per j (largest entry 1), [L, V]. */
  readonly beta: Float64Array;
  /** log p(x_t) under the source (-Infinity when no clean sequence can produce x_t). */
  readonly logLik: number;
}

/** Runs forward-backward on the emissions E ([L, V] row-major, E[j V + v] = e_j(v)). */
export function forwardBackward(src: MarkovSource, E: Float64Array, L = E.length / src.V): ForwardBackward {
  const V = src.V;
  const { P, pi } = src;
  const pred = new Float64Array(L * V);
  const alpha = new Float64Array(L * V);
  const beta = new Float64Array(L * V);
  let logLik = 0;
  for (let j = 0; j < L; j++) {
    const o = j * V;
    if (j === 0) pred.set(pi);
    else {
      // pred_j(v) = sum_u alpha_{j-1}(u) P(u, v)
      for (let u = 0; u < V; u++) {
        const a = alpha[o - V + u]!;
        if (a === 0) continue;
        const row = u * V;
        for (let v = 0; v < V; v++) pred[o + v]! += a * P[row + v]!;
      }
    }
    let c = 0;
    for (let v = 0; v < V; v++) c += alpha[o + v] = pred[o + v]! * E[o + v]!;
    if (!(c > 0)) return { L, pred, alpha, beta, logLik: -Infinity };
    for (let v = 0; v < V; v++) alpha[o + v] = alpha[o + v]! / c;
    logLik += Math.log(c);
  }
  beta.fill(1, (L - 1) * V, L * V);
  const w = new Float64Array(V);
  for (let j = L - 2; j >= 0; j--) {
    const o = j * V;
    for (let v = 0; v < V; v++) w[v] = E[o + V + v]! * beta[o + V + v]!;
    let mx = 0;
    for (let u = 0; u < V; u++) {
      const row = u * V;
      let s = 0;
      for (let v = 0; v < V; v++) s += P[row + v]! * w[v]!;
      beta[o + u] = s;
      if (s > mx) mx = s;
    }
    for (let u = 0; u < V; u++) beta[o + u] = beta[o + u]! / mx;
  }
  return { L, pred, alpha, beta, logLik };
}

/**
 * p(x0^i = v | x_t^{-i}) for every position, [L, V]: the posterior of position i given every OTHER
 * position, pred_i(v) beta_i(v) normalised. It is the x0-prediction that makes the plug-in reverse
 * step exact and minimises the ELBO (reference/sample/oracle.ts, elboOptimal).
 */
export function leaveOneOut(src: MarkovSource, fb: ForwardBackward): Float64Array {
  return product(src.V, fb.L, fb.pred, fb.beta, null);
}

/** p(x0^i = v | x_t) for every position, [L, V]. */
export function posteriorMarginals(src: MarkovSource, fb: ForwardBackward, E: Float64Array): Float64Array {
  return product(src.V, fb.L, fb.pred, fb.beta, E);
}

function product(V: number, L: number, a: Float64Array, b: Float64Array, e: Float64Array | null): Float64Array {
  const out = new Float64Array(L * V);
  for (let j = 0; j < L; j++) {
    const o = j * V;
    let z = 0;
    for (let v = 0; v < V; v++) z += out[o + v] = a[o + v]! * b[o + v]! * (e ? e[o + v]! : 1);
    for (let v = 0; v < V; v++) out[o + v] = out[o + v]! / z;
  }
  return out;
}

/**
 * E[-log p(x0) | x_t] exactly, from the posterior of the first position and of every adjacent pair,
 * xi_j(u, v) proportional to alpha_j(u) P(u, v) e_{j+1}(v) beta_{j+1}(v).
 */
export function expectedNll(src: MarkovSource, fb: ForwardBackward, E: Float64Array): number {
  const V = src.V;
  const { alpha, beta, L } = fb;
  const g0 = posteriorMarginals(src, { ...fb, L: 1 }, E);
  let nll = 0;
  for (let v = 0; v < V; v++) if (g0[v]! > 0) nll -= g0[v]! * src.logPi[v]!;
  const w = new Float64Array(V);
  for (let j = 0; j + 1 < L; j++) {
    const o = j * V;
    for (let v = 0; v < V; v++) w[v] = E[o + V + v]! * beta[o + V + v]!;
    let z = 0;
    let s = 0;
    for (let u = 0; u < V; u++) {
      const a = alpha[o + u]!;
      if (a === 0) continue;
      const row = u * V;
      for (let v = 0; v < V; v++) {
        const x = a * src.P[row + v]! * w[v]!;
        z += x;
        s += x * src.logP[row + v]!;
      }
    }
    nll -= s / z;
  }
  return nll;
}

/** One exact draw x0 ~ p(x0 | x_t) by backward sampling on the forward messages (FFBS). */
export function sampleBackward(src: MarkovSource, fb: ForwardBackward, u: () => number): Int32Array {
  const V = src.V;
  const { alpha, L } = fb;
  const x = new Int32Array(L);
  const w = new Float64Array(V);
  const draw = () => {
    let z = 0;
    for (let v = 0; v < V; v++) z += w[v]!;
    const r = u() * z;
    let s = 0;
    let last = 0;
    for (let v = 0; v < V; v++) {
      if (w[v]! <= 0) continue;
      last = v;
      if (r < (s += w[v]!)) return v;
    }
    return last;
  };
  w.set(alpha.subarray((L - 1) * V, L * V));
  x[L - 1] = draw();
  for (let j = L - 2; j >= 0; j--) {
    const next = x[j + 1]!;
    for (let v = 0; v < V; v++) w[v] = alpha[j * V + v]! * src.P[v * V + next]!;
    x[j] = draw();
  }
  return x;
}
