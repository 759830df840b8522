// Jump channels on several graphs whose relative rates change with t have no hop expansion: the
// jump-only propagator is a time-ordered exponential (docs/math.md §1.7). We integrate it, and the
// reset-then-walk part rho, by classical Runge-Kutta 4 on a partition of the interval into steps of
// equal non-mask clock C(tau) = Lambda_u(tau) + Lambda_a(tau) (so a rate that blows up near t = 1 gets
// short steps). Each step's generator has norm <= 2 h, so the global error is O(h^4); h = CLOCK_STEP
// keeps it below ~1e-11 (measured against dense Magnus-6 in test/reference/kernel).
import { matVec, vecMat, type SparseGraph } from '../../runtime/kernel/tables/graph.ts';
import { poissonQuantileForTail, poissonWeights } from '../math/special.ts';
import { closedFormResetWeights, RHO_TAIL } from './weights.ts';
import { mixGraphs, type Structure } from './structure.ts';
import { clockPartition } from './partition.ts';

export const CLOCK_STEP = 0.004;
const MIN_STEPS = 16;

export class OdeJumps {
  private readonly a: number;
  /** Step boundaries tau_0 = a < ... < tau_n = t, and sigma at every boundary and midpoint. */
  private readonly taus: Float64Array;
  private readonly sig: Float64Array[];
  private readonly pre: { La: number; A: SparseGraph | null; L0: Float64Array } | null;

  constructor(private readonly st: Structure, start: number | null, private readonly t: number) {
    this.a = start ?? 0;
    const clock = (tau: number) => {
      const tot = st.totals(st.lambdas(tau));
      return tot.u + tot.a;
    };
    this.taus = clockPartition(clock, this.a, t, CLOCK_STEP, MIN_STEPS);
    const n = this.taus.length - 1;
    this.sig = [];
    for (let k = 0; k <= 2 * n; k++) {
      const tau = k % 2 === 0 ? this.taus[k / 2]! : 0.5 * (this.taus[(k - 1) / 2]! + this.taus[(k + 1) / 2]!);
      this.sig.push(st.sigmas(tau));
    }
    if (start === null) {
      const L0 = st.lambdas(0);
      const La = st.totals(L0).a;
      const A = La > 0 ? mixGraphs(st.jumps.map((j) => [j.A, L0[j.c]! / La] as const)) : null;
      this.pre = { La, A, L0 };
    } else this.pre = null;
  }

  private get steps(): number {
    return this.taus.length - 1;
  }

  /** out = r J, J = sum_g sigma_g (A_g - I), row action. */
  private jumpRow(sg: Float64Array, r: Float64Array, out: Float64Array, tmp: Float64Array): void {
    out.fill(0);
    for (const j of this.st.jumps) {
      const s = sg[j.c]!;
      if (s === 0) continue;
      vecMat(j.A, r, tmp);
      for (let i = 0; i < out.length; i++) out[i]! += s * (tmp[i]! - r[i]!);
    }
  }

  /** out = J c, column action. */
  private jumpCol(sg: Float64Array, c: Float64Array, out: Float64Array, tmp: Float64Array): void {
    out.fill(0);
    for (const j of this.st.jumps) {
      const s = sg[j.c]!;
      if (s === 0) continue;
      matVec(j.A, c, tmp);
      for (let i = 0; i < out.length; i++) out[i]! += s * (tmp[i]! - c[i]!);
    }
  }

  /** RK4 over the partition, forwards (dir = 1) or backwards (dir = -1); f(sigmaIndex, y, dy). */
  private rk4(y: Float64Array, dir: 1 | -1, f: (k: number, y: Float64Array, dy: Float64Array) => void): Float64Array {
    const V = y.length;
    const k1 = new Float64Array(V), k2 = new Float64Array(V), k3 = new Float64Array(V), k4 = new Float64Array(V), z = new Float64Array(V);
    const n = this.steps;
    for (let step = 0; step < n; step++) {
      const i = dir === 1 ? step : n - 1 - step;
      const h = (this.taus[i + 1]! - this.taus[i]!) * dir;
      const [kA, kB] = dir === 1 ? [2 * i, 2 * i + 2] : [2 * i + 2, 2 * i];
      f(kA, y, k1);
      for (let q = 0; q < V; q++) z[q] = y[q]! + 0.5 * h * k1[q]!;
      f(2 * i + 1, z, k2);
      for (let q = 0; q < V; q++) z[q] = y[q]! + 0.5 * h * k2[q]!;
      f(2 * i + 1, z, k3);
      for (let q = 0; q < V; q++) z[q] = y[q]! + h * k3[q]!;
      f(kB, z, k4);
      for (let q = 0; q < V; q++) y[q]! += (h / 6) * (k1[q]! + 2 * k2[q]! + 2 * k3[q]! + k4[q]!);
    }
    return y;
  }

  private preSeries(v: Float64Array, row: boolean): Float64Array {
    const p = this.pre;
    if (!p || !p.A || p.La === 0) return v;
    const V = this.st.V;
    const N = poissonQuantileForTail(p.La, RHO_TAIL);
    const w = poissonWeights(p.La, N);
    const out = new Float64Array(V);
    let y = Float64Array.from(v);
    let z = new Float64Array(V);
    for (let n = 0; ; n++) {
      for (let i = 0; i < V; i++) out[i]! += w[n]! * y[i]!;
      if (n === N) break;
      if (row) vecMat(p.A, y, z);
      else matVec(p.A, y, z);
      [y, z] = [z, y];
    }
    return out;
  }

  walkRow(v: Float64Array): Float64Array {
    const tmp = new Float64Array(this.st.V);
    const y = this.preSeries(Float64Array.from(v.subarray(0, this.st.V)), true);
    return this.rk4(Float64Array.from(y), 1, (k, r, dr) => this.jumpRow(this.sig[k]!, r, dr, tmp));
  }

  walkCol(c: Float64Array): Float64Array {
    const tmp = new Float64Array(this.st.V);
    const y = this.rk4(Float64Array.from(c.subarray(0, this.st.V)), -1, (k, x, dx) => {
      // d/dtau P_{tau,t} c = -J(tau) P_{tau,t} c
      this.jumpCol(this.sig[k]!, x, dx, tmp);
      for (let i = 0; i < dx.length; i++) dx[i] = -dx[i]!;
    });
    return this.preSeries(y, false);
  }

  /** d rho / d tau = sum_j sigma_uj pi_j + rho (J - sigma_u I), rho(a) = 0 (or the prefix's rho). */
  rho(): Float64Array {
    const st = this.st;
    const V = st.V;
    const tmp = new Float64Array(V);
    let rho0 = new Float64Array(V);
    if (this.pre && st.totals(this.pre.L0).u > 0) {
      const p = this.pre;
      const N = p.A ? poissonQuantileForTail(p.La, RHO_TAIL) : 0;
      const W = closedFormResetWeights(st, p.L0, N);
      let tmp2 = new Float64Array(V);
      for (let n = N; n >= 0; n--) {
        if (n < N) {
          vecMat(p.A!, rho0, tmp2);
          [rho0, tmp2] = [tmp2, rho0];
        }
        st.resets.forEach((r, j) => {
          const w = W[j * (N + 1) + n]!;
          for (let i = 0; i < V; i++) rho0[i]! += w * r.pi[i]!;
        });
      }
    }
    return this.rk4(rho0, 1, (k, r, dr) => {
      const sg = this.sig[k]!;
      this.jumpRow(sg, r, dr, tmp);
      for (const res of st.resets) {
        const s = sg[res.c]!;
        for (let i = 0; i < V; i++) dr[i]! += s * (res.pi[i]! - r[i]!);
      }
    });
  }
}
