// The forward process over one time interval, in the event-ordering form of docs/math.md §1.3-1.6:
//
//   P_{s->t}(x, .) = (1 - e^{-L_m}) e_m + e^{-L_m} [ e^{-L_u} e_x^T P^a_{s,t} + rho_{s,t} ]   (x real)
//
// L_m, L_u, L_a are the mask, reset and jump amounts of the interval, P^a the jump-only propagator and
// rho the reset-then-walk part (independent of x). `start === null` means "from the clean data": the
// interval (virtual origin, t], which includes the amounts Lambda_c(0) (docs/math.md §1.6).
import { matVec, vecMat } from '../../runtime/kernel/tables/graph.ts';
import { poissonQuantileForTail, poissonTail, poissonWeights } from '../math/special.ts';
import { integrate } from '../math/quadrature.ts';
import type { Structure } from './structure.ts';
import { OdeJumps } from './ode.ts';
import { closedFormResetWeights, RHO_TAIL } from './weights.ts';
import { MAX_HOPS } from '../../compiler/limits.ts';
import { ReferenceKernelError } from './errors.ts';

export type Start = number | null;

/** Absolute tolerance of the reset-weight quadrature (max-norm, docs/math.md §1.5). */
export const QUAD_TOL = 1e-13;

export class Interval {
  readonly Lm: number;
  readonly Lu: number;
  readonly La: number;
  readonly em: number;
  readonly eu: number;
  readonly ea: number;
  /** Per-channel amounts Lambda_c(t) - Lambda_c(s) (or Lambda_c(t) from the clean data). */
  readonly amounts: Float64Array;
  private rhoCache: Float64Array | null = null;
  private rhoMassCache: number | null = null;
  private readonly ode: OdeJumps | null;

  constructor(readonly st: Structure, readonly start: Start, readonly t: number) {
    if (start !== null && !(start <= t)) throw new RangeError(`an interval needs s <= t, got s = ${start}, t = ${t}`);
    const Lt = st.lambdas(t);
    const Ls = start === null ? null : st.lambdas(start);
    this.amounts = Lt.map((x, c) => Math.max(0, x - (Ls ? Ls[c]! : 0)));
    const tot = st.totals(this.amounts);
    this.Lm = tot.m;
    this.Lu = tot.u;
    this.La = tot.a;
    this.em = Math.exp(-this.Lm);
    this.eu = Math.exp(-this.Lu);
    this.ea = Math.exp(-this.La);
    this.ode = st.hopExpansion ? null : new OdeJumps(st, start, t);
  }

  /** Adaptive H = min(cap, ceil(L_a + 4 sqrt(L_a))), or the spec's fixed H (docs/math.md §2.2). */
  defaultHops(): number {
    const h = this.st.spec.hops;
    if (h.mode === 'fixed') return h.H;
    return Math.min(h.cap, Math.ceil(this.La + 4 * Math.sqrt(this.La)));
  }

  /** L1 mass left out of a row (or any column entry) truncated at H hops: e^{-L_m - L_u} P(Pois(L_a) > H). */
  bound(H: number): number {
    if (!this.st.hopExpansion) return 0;
    return this.em * this.eu * poissonTail(this.La, H);
  }

  /** v^T P^a over the real tokens: sum_{n<=H} Pois(n; L_a) v^T Abar^n. */
  walkRow(v: Float64Array, H: number): Float64Array {
    if (this.ode) return this.ode.walkRow(v);
    return this.series(v, H, (y, out) => vecMat(this.st.Abar!, y, out));
  }

  /** P^a c over the real tokens: sum_{n<=H} Pois(n; L_a) Abar^n c. */
  walkCol(c: Float64Array, H: number): Float64Array {
    if (this.ode) return this.ode.walkCol(c);
    return this.series(c, H, (y, out) => matVec(this.st.Abar!, y, out));
  }

  private series(v: Float64Array, H: number, step: (y: Float64Array, out: Float64Array) => Float64Array): Float64Array {
    const V = this.st.V;
    const out = new Float64Array(V);
    if (this.La === 0 || !this.st.Abar) {
      out.set(v.subarray(0, V));
      return out;
    }
    if (!(Number.isInteger(H) && H >= 0 && H <= MAX_HOPS)) throw new ReferenceKernelError(`the hop truncation H = ${H} must be a whole number in [0, ${MAX_HOPS}] (docs/limits.md)`);
    const w = poissonWeights(this.La, H);
    let y = Float64Array.from(v.subarray(0, V));
    let z = new Float64Array(V);
    for (let n = 0; ; n++) {
      const wn = w[n]!;
      for (let i = 0; i < V; i++) out[i]! += wn * y[i]!;
      if (n === H) break;
      step(y, z);
      [y, z] = [z, y];
    }
    return out;
  }

  /** rho over the real tokens (total mass 1 - e^{-L_u}), exact to RHO_TAIL and the quadrature tolerance. */
  rho(): Float64Array {
    if (!this.rhoCache) this.rhoCache = this.ode ? this.ode.rho() : this.rhoByHops();
    return this.rhoCache;
  }

  /** |rho| = sum of rho over the real tokens (summed once per interval). */
  rhoMass(): number {
    if (this.rhoMassCache === null) {
      let s = 0;
      for (const r of this.rho()) s += r;
      this.rhoMassCache = s;
    }
    return this.rhoMassCache;
  }

  private rhoByHops(): Float64Array {
    const st = this.st;
    const V = st.V;
    const J = st.resets.length;
    if (this.Lu === 0 || J === 0) return new Float64Array(V);
    const N = st.Abar && this.La > 0 ? poissonQuantileForTail(this.La, RHO_TAIL) : 0;
    const W = st.coProportional ? closedFormResetWeights(st, this.amounts, N) : this.quadratureResetWeights(N);
    // rho = sum_n (sum_j W_{j,n} pi_j)^T Abar^n, by Horner from the highest hop down.
    let acc = new Float64Array(V);
    let tmp = new Float64Array(V);
    for (let n = N; n >= 0; n--) {
      if (n < N) {
        vecMat(st.Abar!, acc, tmp);
        [acc, tmp] = [tmp, acc];
      }
      for (let j = 0; j < J; j++) {
        const wjn = W[j * (N + 1) + n]!;
        if (wjn === 0) continue;
        const pi = st.resets[j]!.pi;
        for (let i = 0; i < V; i++) acc[i]! += wjn * pi[i]!;
      }
    }
    return acc;
  }

  /**
   * W_{j,n} = integral over the interval of sigma_uj(tau) e^{-(Lambda_u(t) - Lambda_u(tau))}
   * Pois(n; Lambda_a(t) - Lambda_a(tau)) dtau, by adaptive Gauss-Kronrod (docs/math.md §1.5), plus
   * the proportional prefix of the clean-data interval composed in closed form (§1.6).
   */
  private quadratureResetWeights(N: number): Float64Array {
    const st = this.st;
    const J = st.resets.length;
    const Lt = st.lambdas(this.t);
    const tt = st.totals(Lt);
    const a = this.start ?? 0;
    const f = (tau: number, out: Float64Array) => {
      const L = st.lambdas(tau);
      const sg = st.sigmas(tau);
      const tot = st.totals(L);
      const decay = Math.exp(-Math.max(0, tt.u - tot.u));
      const pw = poissonWeights(Math.max(0, tt.a - tot.a), N);
      for (let j = 0; j < J; j++) {
        const sj = sg[st.resets[j]!.c]! * decay;
        for (let n = 0; n <= N; n++) out[j * (N + 1) + n] = sj * pw[n]!;
      }
    };
    const W = this.t > a ? integrate(f, J * (N + 1), a, this.t, { absTol: QUAD_TOL, maxDepth: 40 }).value : new Float64Array(J * (N + 1));
    if (this.start === null) {
      const L0 = st.lambdas(0);
      const t0 = st.totals(L0);
      if (t0.u > 0) {
        // tau in the prefix: decay e^{-(Lambda_u(t) - Lambda_u(0))} times the prefix's own decay, and the
        // hop count is a sum of independent Poisson counts (prefix part + [0, t] part).
        const pre = closedFormResetWeights(st, L0, N);
        const decay = Math.exp(-(tt.u - t0.u));
        const pw = poissonWeights(Math.max(0, tt.a - t0.a), N);
        for (let j = 0; j < J; j++) {
          for (let n = 0; n <= N; n++) {
            let s = 0;
            for (let k = 0; k <= n; k++) s += pw[k]! * pre[j * (N + 1) + n - k]!;
            W[j * (N + 1) + n]! += decay * s;
          }
        }
      }
    }
    return W;
  }
}
