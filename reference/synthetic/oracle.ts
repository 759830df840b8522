// The exact denoiser of the Markov source under any kernel (docs/eval.md, "Synthetic source and the
// error decomposition"). The kernel corrupts every position independently, so p(x0 | x_t) is a
// hidden-Markov posterior with emissions e_j(v) = q_t(x_t^j | v), the float64 reference kernel's
// columns (docs/math.md §2.2), and forward-backward gives in O(L V^2):
//
// * p(x0^i | x_t^{-i}), the posterior of position i given every other position: the ELBO's
//   minimiser, with which the plug-in reverse step b_s = p_hat^T P_s (§2.3) is the exact marginal
//   p(x_s^i | x_t) and the model's reverse rates (§2.5) are the true ones (reference/sample/oracle.ts
//   explains this for table laws; this is the same quantity for a law too big to tabulate);
// * p(x0^i | x_t), the cross-entropy's minimiser (for `loss ce` and `weighted_ce`);
// * the exact reverse process from x_1: x0 ~ p(x0 | x_1) by backward sampling, and
//   E[-log p_data(x0) | x_1] exactly.
//
// The kernel's vocabulary may be larger than the source's (a tokenizer's eos and pad): those
// tokens have probability 0 as x0, and x_t may still hold them (a reset can draw them).
import type { ReferenceKernel } from '../kernel/index.ts';
import { expectedNll, forwardBackward, leaveOneOut, posteriorMarginals, sampleBackward, type ForwardBackward } from './hmm.ts';
import { SyntheticError, type MarkovSource } from './source.ts';

export interface MarkovOracleOptions {
  /**
   * Hop truncation of the columns q_t(z | .) (docs/math.md §2.2): 'kernel' (default) the kernel's
   * own rule, as its runtime uses; 'exact' hops to a 1e-15 tail, for identities that must hold to
   * rounding (the NELBO test).
   */
  hops?: 'kernel' | 'exact';
}

/** Columns per t kept (the sampler visits each grid time once per step). */
const CACHE = 64;

export class MarkovOracle {
  /** The kernel's real tokens (>= the source's). */
  readonly V: number;
  /** The kernel's states (V, plus [MASK]). */
  readonly S: number;
  /** The source's tokens. */
  readonly Vs: number;
  readonly L: number;
  private readonly cols = new Map<number, Float64Array[]>();
  private readonly hops: 'kernel' | 'exact';

  constructor(readonly source: MarkovSource, readonly ref: ReferenceKernel, o: MarkovOracleOptions = {}) {
    if (ref.V < source.V) throw new SyntheticError(`the kernel has V = ${ref.V} tokens, fewer than the source's ${source.V}`);
    this.V = ref.V;
    this.S = ref.S;
    this.Vs = source.V;
    this.L = source.L;
    this.hops = o.hops ?? 'kernel';
  }

  /** The hop truncation used at t (undefined: the kernel's rule). */
  hopsAt(t: number): number | undefined {
    return this.hops === 'exact' ? this.ref.hopsExact(t, 1e-15) : undefined;
  }

  /** q_t(z | v) for every state z, over the source's tokens v (S arrays of Vs). */
  columns(t: number): Float64Array[] {
    let c = this.cols.get(t);
    if (!c) {
      const H = this.hopsAt(t);
      c = Array.from({ length: this.S }, (_, z) => this.ref.column(t, z, H).slice(0, this.Vs));
      if (this.cols.size >= CACHE) this.cols.delete(this.cols.keys().next().value!);
      this.cols.set(t, c);
    }
    return c;
  }

  /** The emissions e_j(v) = q_t(x_t^j | v), [n, Vs], of the n positions of x_t from `at`. */
  emissions(t: number, xt: ArrayLike<number>, at = 0, n = this.L): Float64Array {
    const cols = this.columns(t);
    const E = new Float64Array(n * this.Vs);
    for (let j = 0; j < n; j++) {
      const z = xt[at + j]!;
      const col = cols[z];
      if (!col) throw new SyntheticError(`x_t[${j}] = ${z} is not a state of the kernel (0..${this.S - 1})`);
      E.set(col, j * this.Vs);
    }
    return E;
  }

  /** Forward-backward on x_t; an x_t that no clean sequence can produce is an error. */
  infer(t: number, xt: ArrayLike<number>, at = 0, n = this.L): { fb: ForwardBackward; E: Float64Array } {
    const E = this.emissions(t, xt, at, n);
    const fb = forwardBackward(this.source, E, n);
    if (fb.logLik === -Infinity) {
      const shown = Array.from({ length: n }, (_, j) => xt[at + j]).join(' ');
      throw new SyntheticError(`x_t = (${shown}) at t = ${t} has probability 0 under the source and the kernel: no clean sequence produces it, so its posterior is undefined`);
    }
    return { fb, E };
  }

  /** log p(x_t): the law of the noisy sequence at t. */
  logMarginal(t: number, xt: ArrayLike<number>, at = 0, n = this.L): number {
    return forwardBackward(this.source, this.emissions(t, xt, at, n), n).logLik;
  }

  /** p(x0^i = v | x_t^{-i}) as [L, V] over the kernel's tokens (0 beyond the source's). */
  elboOptimal(t: number, xt: ArrayLike<number>, at = 0): Float64Array {
    return this.widen(leaveOneOut(this.source, this.infer(t, xt, at).fb));
  }

  /** p(x0^i = v | x_t) as [L, V] over the kernel's tokens. */
  posterior(t: number, xt: ArrayLike<number>, at = 0): Float64Array {
    const { fb, E } = this.infer(t, xt, at);
    return this.widen(posteriorMarginals(this.source, fb, E));
  }

  /** The denoiser a kernel's loss trains towards: 'elbo' (p(x0^i | x_t^{-i})) or 'posterior' (p(x0^i | x_t)). */
  denoiser(kind: 'elbo' | 'posterior', t: number, xt: ArrayLike<number>, at = 0): Float64Array {
    return kind === 'elbo' ? this.elboOptimal(t, xt, at) : this.posterior(t, xt, at);
  }

  /** log p(x0 | x_t) = log p(x0) + sum_j log e_j(x0^j) - log p(x_t) (-Infinity when x0 cannot give x_t). */
  posteriorLogProb(x0: ArrayLike<number>, t: number, xt: ArrayLike<number>): number {
    const { fb, E } = this.infer(t, xt);
    let s = this.source.logProb(x0) - fb.logLik;
    for (let j = 0; j < this.L; j++) s += Math.log(E[j * this.Vs + x0[j]!]!);
    return s;
  }

  /** The exact reverse process from x_1 (docs/eval.md): E[-log p_data(x0) | x_1], exactly. */
  reverseNll(x1: ArrayLike<number>, at = 0): number {
    const { fb, E } = this.infer(1, x1, at);
    return expectedNll(this.source, fb, E);
  }

  /** The exact reverse process from x_1: one draw x0 ~ p(x0 | x_1) and E[-log p_data(x0) | x_1]. */
  reverse(x1: ArrayLike<number>, u: () => number, at = 0): { x0: Int32Array; nll: number } {
    const { fb, E } = this.infer(1, x1, at);
    return { x0: sampleBackward(this.source, fb, u), nll: expectedNll(this.source, fb, E) };
  }

  private widen(p: Float64Array): Float64Array {
    if (this.V === this.Vs) return p;
    const out = new Float64Array(this.L * this.V);
    for (let j = 0; j < this.L; j++) out.set(p.subarray(j * this.Vs, (j + 1) * this.Vs), j * this.V);
    return out;
  }
}
