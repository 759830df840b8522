// Host float64 scalars that turn the structured operators into numbers at given times
// (docs/math.md, closure): every row of P_{s->t} is
//   keep * [ sum_n hop_n e_x^T A^n  +  sum_g sum_n reset_{g,n} pi_g^T A^n ]  +  maskProb e_m
// with hop_n = e^{-dLm - dLu} Pois(n; dLa) and reset_{g,n} = e^{-dLm} * integral over the time of
// the last reset (closed form when proportional, Gauss-Legendre quadrature otherwise).
// The GPU receives these per sequence and never evaluates a schedule.
import { evalExpr } from '../../compiler/expr/eval.ts';
import type { KernelStructure } from './structure.ts';
import { KernelRuntimeError } from './errors.ts';
import { gaussLegendre, poissonPmf, poissonTailGE } from './poisson.ts';
import { MAX_HOPS } from '../../compiler/limits.ts';

/** Cumulative rates and rates per channel; runtime/kernel/tables provides one for tabulated schedules. */
export interface RateSource {
  /** Lambda_c(t), counted from the clean-data origin (docs/math.md §1.6): > 0 at t = 0 for a schedule that starts corrupted. */
  Lambda(c: number, t: number): number;
  sigma(c: number, t: number): number;
}

/** Rates from the IR's closed-form expressions. */
export function exprRates(st: KernelStructure): RateSource {
  const chans = st.spec.channels;
  const need = (c: number, what: 'Lambda' | 'sigma') => {
    const e = chans[c]?.[what];
    if (!e) {
      throw new KernelRuntimeError(
        `channel ${c} has no closed-form ${what}(t) (a tabulated schedule): pass rate tables from runtime/kernel/tables`,
        `channels[${c}].${what}`,
      );
    }
    return e;
  };
  return {
    Lambda: (c, t) => evalExpr(need(c, 'Lambda'), { t, params: st.params }),
    sigma: (c, t) => evalExpr(need(c, 'sigma'), { t, params: st.params }),
  };
}

export interface Totals {
  /** Cumulative mask, reset and jump rates. */
  m: number;
  u: number;
  a: number;
}

export interface TransitionCoefs {
  /** Hop truncation used and the contract's bound e^{-dLm - dLu} P(Pois(dLa) > H). */
  H: number;
  bound: number;
  /** Probability of being masked over the interval, and of not being masked (computed separately, so both tails are exact). */
  maskProb: number;
  keep: number;
  /** e^{-dLu}: no reset over the interval. */
  noReset: number;
  /** hop[n] = e^{-dLm - dLu} Pois(n; dLa), n = 0..H. */
  hop: Float64Array;
  /**
   * reset[g][n] = e^{-dLm} * R_{g,n}, n = 0..resetHops, per reset group. The reset part is summed
   * until its Poisson tail is below RHO_TAIL (it is one vector per time, so exactness is cheap);
   * only the x0-dependent walk is truncated at H.
   */
  reset: Float64Array[];
  resetHops: number;
  totals: Totals;
}

/** Tail mass left out of the reset part (as the reference, docs/math.md §1.5). */
export const RHO_TAIL = 1e-18;

/** Smallest N with P(Pois(mu) > N) <= tol. */
export function poissonQuantile(mu: number, tol: number): number {
  if (!(mu > 0)) return 0;
  let N = Math.floor(mu);
  while (poissonTailGE(mu, N + 1) > tol) N += Math.max(1, Math.ceil(Math.sqrt(mu) / 4));
  while (N > 0 && poissonTailGE(mu, N) <= tol) N--;
  return N;
}

export interface HopsRule {
  mode: 'adaptive' | 'fixed';
  cap: number;
  H: number;
}

export class KernelCoefficients {
  readonly hops: HopsRule;
  private readonly gl = gaussLegendre(16);

  /** Every reset channel and the jump total advance in fixed ratios (closed-form reset weights, exact forward sampling). */
  readonly coProportional: boolean;

  constructor(readonly st: KernelStructure, readonly rates: RateSource) {
    const h = st.spec.hops;
    this.hops = h.mode === 'fixed' ? { mode: 'fixed', cap: h.H, H: h.H } : { mode: 'adaptive', cap: h.cap, H: h.cap };
    this.coProportional = st.proportional || this.fixedRatios([...st.resetChannels.map((c) => [c]), st.jumpChannels].filter((g) => g.length > 0));
  }

  /** The groups' shares of their total cumulative rate and rate are constant in t (grid of 65 points, relative 1e-12). */
  private fixedRatios(groups: ReadonlyArray<readonly number[]>): boolean {
    if (groups.length <= 1) return true;
    let ref: number[] | null = null;
    for (let i = 0; i <= 64; i++) {
      const t = i / 64;
      for (const f of [(c: number) => this.rates.Lambda(c, t), (c: number) => this.rates.sigma(c, t)]) {
        const g = groups.map((cs) => cs.reduce((a, c) => a + f(c), 0));
        const tot = g.reduce((a, b) => a + b, 0);
        if (!(tot > 0)) continue;
        const r = g.map((x) => x / tot);
        if (!ref) ref = r;
        else if (r.some((x, k) => Math.abs(x - ref![k]!) > 1e-12 * Math.max(1, Math.abs(x)))) return false;
      }
    }
    return true;
  }

  /** Lambda_c(t) for every channel. */
  lambdas(t: number): Float64Array {
    const n = this.st.spec.channels.length;
    const out = new Float64Array(n);
    for (let c = 0; c < n; c++) out[c] = this.rates.Lambda(c, t);
    return out;
  }

  totals(t: number): Totals {
    const L = this.lambdas(t);
    const sum = (cs: readonly number[]) => cs.reduce((a, c) => a + L[c]!, 0);
    return { m: sum(this.st.maskChannels), u: sum(this.st.resetChannels), a: sum(this.st.jumpChannels) };
  }

  private sigmaSum(cs: readonly number[], t: number): number {
    let s = 0;
    for (const c of cs) s += this.rates.sigma(c, t);
    return s;
  }

  /** Adaptive hop count for jump mass `La` (docs/math.md, hop truncation): ceil(La + 4 sqrt(La)), capped; or the fixed H. */
  hopsFor(La: number): number {
    if (this.st.jumpChannels.length === 0) return 0;
    if (this.hops.mode === 'fixed') return this.hops.H;
    return Math.min(this.hops.cap, Math.ceil(La + 4 * Math.sqrt(La)));
  }

  /** The contract's truncation bound for a row at t with H hops. */
  boundFor(tot: Totals, H: number): number {
    if (this.st.jumpChannels.length === 0) return 0;
    return Math.exp(-tot.m - tot.u) * poissonTailGE(tot.a, H + 1);
  }

  /**
   * Coefficients of P_{s->t}. From the clean-data origin by default when s = 0 (the row q_t(. | x0),
   * which for a schedule that starts corrupted includes the prefix before 0, docs/math.md §1.6);
   * `fromOrigin = false` with s = 0 is the transition from time 0 itself (a reverse step to s = 0).
   */
  transition(s: number, t: number, Hopt?: number, fromOrigin = s <= 0): TransitionCoefs {
    const T1 = this.totals(t);
    const T0 = fromOrigin ? { m: 0, u: 0, a: 0 } : this.totals(s);
    const d: Totals = { m: T1.m - T0.m, u: T1.u - T0.u, a: T1.a - T0.a };
    if (Hopt !== undefined && !(Number.isInteger(Hopt) && Hopt >= 0 && Hopt <= MAX_HOPS)) {
      throw new KernelRuntimeError(`the hop truncation H = ${Hopt} must be a whole number in [0, ${MAX_HOPS}] (docs/limits.md: each hop is a pass over the graph)`);
    }
    const H = Hopt ?? this.hopsFor(d.a);
    const keep = Math.exp(-d.m);
    const maskProb = -Math.expm1(-d.m);
    const noReset = Math.exp(-d.u);
    const pois = poissonPmf(d.a, H);
    const hop = new Float64Array(H + 1);
    const scale = Math.exp(-d.m - d.u);
    if (this.st.jumpChannels.length === 0) hop[0] = scale;
    else for (let n = 0; n <= H; n++) hop[n] = scale * pois[n]!;
    const resetHops = this.st.jumpChannels.length && this.st.resets.length ? poissonQuantile(d.a, RHO_TAIL) : 0;
    const reset = this.resetWeights(s, t, d, resetHops, fromOrigin).map((r) => r.map((x) => x * keep));
    return { H, bound: this.boundFor(d, H), maskProb, keep, noReset, hop, reset, resetHops, totals: d };
  }

  /**
   * R_{g,n}(s, t) = integral_s^t sigma_g(tau) e^{-(Lu(t) - Lu(tau))} Pois(n; La(t) - La(tau)) dtau.
   * Proportional kernels: with E = Lu(t) - Lu(tau) and r = share_a / share_u,
   *   R_{g,n} = kappa_g r^n / (1 + r)^{n+1} P(Pois((1 + r) dLu) >= n + 1).
   */
  private resetWeights(s: number, t: number, d: Totals, H: number, fromOrigin: boolean): Float64Array[] {
    const st = this.st;
    const groups = st.resets;
    if (groups.length === 0) return [];
    const hasJump = st.jumpChannels.length > 0;
    if (this.coProportional) {
      // Amounts of the interval per channel give the fixed ratios (equal to the shares when proportional).
      const L1 = this.lambdas(t);
      const L0 = fromOrigin ? new Float64Array(L1.length) : this.lambdas(s);
      return this.closedResetWeights(L1.map((x, c) => x - L0[c]!), d.u, H);
    }
    // Quadrature over the time of the last reset: composite 16-point Gauss-Legendre.
    const out = groups.map(() => new Float64Array(H + 1));
    const pieces = t > s ? 64 : 0;
    const h = (t - s) / 64;
    const Tt = this.totals(t);
    for (let p = 0; p < pieces; p++) {
      const a = s + p * h;
      for (let i = 0; i < this.gl.x.length; i++) {
        const tau = a + (h * (this.gl.x[i]! + 1)) / 2;
        const wq = (h / 2) * this.gl.w[i]!;
        const Tk = this.totals(tau);
        const surv = Math.exp(-(Tt.u - Tk.u));
        const pois = hasJump ? poissonPmf(Tt.a - Tk.a, H) : null;
        groups.forEach((g, gi) => {
          const sig = this.sigmaSum(g.channels, tau) * surv * wq;
          if (!pois) out[gi]![0]! += sig;
          else for (let n = 0; n <= H; n++) out[gi]![n]! += sig * pois[n]!;
        });
      }
    }
    // From the clean-data origin of a schedule that starts corrupted: a last reset in the prefix
    // before 0 (amounts Lambda_c(0), in fixed proportion there) survives (0, t] with probability
    // e^{-(Lu(t) - Lu(0))}, and its hop count adds the prefix's to Pois(La(t) - La(0)) (§1.6).
    if (fromOrigin) {
      const A0 = this.lambdas(0);
      const sum = (cs: readonly number[]) => cs.reduce((a, c) => a + A0[c]!, 0);
      const u0 = sum(st.resetChannels);
      if (u0 > 0) {
        const pre = this.closedResetWeights(A0, u0, H);
        const decay = Math.exp(-(Tt.u - u0));
        const pw = hasJump ? poissonPmf(Math.max(0, Tt.a - sum(st.jumpChannels)), H) : Float64Array.of(1);
        out.forEach((o, gi) => {
          for (let n = 0; n <= H; n++) {
            let acc = 0;
            for (let k = 0; k <= Math.min(n, pw.length - 1); k++) acc += pw[k]! * pre[gi]![n - k]!;
            o[n]! += decay * acc;
          }
        });
      }
    }
    return out;
  }

  /**
   * Reset weights of an interval whose reset and jump amounts are in fixed proportion (amounts per
   * channel `amt`, total reset amount du): R_{g,n} = kappa_g r^n / (1 + r)^{n+1} P(Pois((1 + r) du) >= n + 1).
   */
  private closedResetWeights(amt: ArrayLike<number>, du: number, H: number): Float64Array[] {
    const st = this.st;
    const hasJump = st.jumpChannels.length > 0;
    const sum = (cs: readonly number[]) => cs.reduce((a, c) => a + amt[c]!, 0);
    const su = sum(st.resetChannels);
    const sa = sum(st.jumpChannels);
    const r = hasJump && su > 0 ? sa / su : 0;
    return st.resets.map((g) => {
      const kappa = su > 0 ? sum(g.channels) / su : 0;
      const out = new Float64Array(H + 1);
      if (!(du > 0)) return out;
      if (!hasJump) {
        out[0] = kappa * -Math.expm1(-du);
        return out;
      }
      let coef = 1 / (1 + r);
      for (let n = 0; n <= H; n++) {
        out[n] = kappa * coef * poissonTailGE((1 + r) * du, n + 1);
        coef *= r / (1 + r);
      }
      return out;
    });
  }

  /** Rates sigma by kind at t (for the ELBO and reverse rates), and per reset group and jump channel. */
  sigmas(t: number): { m: number; u: number; a: number; resetGroups: Float64Array; jumps: Float64Array } {
    const st = this.st;
    const resetGroups = new Float64Array(st.resets.map((g) => this.sigmaSum(g.channels, t)));
    const jumps = new Float64Array(st.jumpChannels.map((c) => this.rates.sigma(c, t)));
    return {
      m: this.sigmaSum(st.maskChannels, t),
      u: resetGroups.reduce((a, b) => a + b, 0),
      a: jumps.reduce((a, b) => a + b, 0),
      resetGroups,
      jumps,
    };
  }
}
