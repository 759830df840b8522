// The prior p_1 (docs/math.md §2.6): the mask mass the chain has at t = 1, and on the real tokens the
// limit law mu of the non-mask chain started from the data law p0 (unigram, else uniform):
//   p_1 = e^{-Lambda_m(1)} mu + (1 - e^{-Lambda_m(1)}) e_m,
//   mu = lim_n p0^T Bbar^n,  Bbar = sum_j kappa_j 1 pi_j^T + sum_g kappa_g A_g,  kappa_c = Lambda_c(1) / sum_{non-mask} Lambda_c(1),
// by power iteration (lazy, (I + Bbar) / 2, when there is no reset, so that a periodic graph converges).
import { vecMat } from '../../runtime/kernel/tables/graph.ts';
import type { Structure } from './structure.ts';
import { ReferenceKernelError } from './errors.ts';

/** Stop when the L1 distance to the limit is provably (resets) or apparently (graph only) below this. */
export const PRIOR_TOL = 1e-13;
const MAX_ITERS = 200_000;

export function priorLaw(st: Structure): Float64Array {
  const V = st.V;
  const L1 = st.lambdas(1);
  const tot = st.totals(L1);
  const nm = tot.u + tot.a;
  const mu = Float64Array.from(st.p0);
  if (nm > 0) {
    const ku = tot.u / nm;
    const lazy = ku === 0;
    let next = new Float64Array(V);
    const tmp = new Float64Array(V);
    let cur = mu;
    let converged = false;
    for (let it = 0; it < MAX_ITERS; it++) {
      next.fill(0);
      let mass = 0;
      for (let i = 0; i < V; i++) mass += cur[i]!;
      for (const r of st.resets) {
        const k = (L1[r.c]! / nm) * mass;
        for (let i = 0; i < V; i++) next[i]! += k * r.pi[i]!;
      }
      for (const j of st.jumps) {
        const k = L1[j.c]! / nm;
        if (k === 0) continue;
        vecMat(j.A, cur, tmp);
        for (let i = 0; i < V; i++) next[i]! += k * tmp[i]!;
      }
      if (lazy) for (let i = 0; i < V; i++) next[i] = 0.5 * (next[i]! + cur[i]!);
      let diff = 0;
      for (let i = 0; i < V; i++) diff += Math.abs(next[i]! - cur[i]!);
      [cur, next] = [next, cur];
      // With resets, Bbar contracts L1 by (1 - ku): the distance to the limit is <= diff (1 - ku) / ku.
      const bound = lazy ? diff : (diff * (1 - ku)) / ku;
      if (bound <= PRIOR_TOL) {
        converged = true;
        break;
      }
    }
    if (!converged) throw new ReferenceKernelError(`the prior's power iteration did not converge in ${MAX_ITERS} steps: the graph chain mixes too slowly`);
    mu.set(cur);
  }
  const p = new Float64Array(st.S);
  const em = Math.exp(-tot.m);
  for (let i = 0; i < V; i++) p[i] = em * mu[i]!;
  if (st.hasMask) p[st.m] = -Math.expm1(-tot.m);
  return p;
}

/** KL(q || p) in nats; Infinity where q puts mass that p lacks. */
export function kl(q: Float64Array, p: Float64Array): number {
  let s = 0;
  for (let i = 0; i < q.length; i++) {
    const qi = q[i]!;
    if (qi <= 0) continue;
    if (!(p[i]! > 0)) return Infinity;
    s += qi * Math.log(qi / p[i]!);
  }
  return Math.max(0, s);
}
