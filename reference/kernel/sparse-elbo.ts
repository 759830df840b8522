// The sparse, unbiased estimator of the ELBO integrand and its gradient (docs/math.md §2.7), for
// training kernels with a graph channel. With a = q_t(. | x0), b = p_hat^T P_t, z = x_t, A the
// common real mass of a and b (A = B: both rows lose the same mass to the hop truncation),
// a_hat = a / A, b_hat = b / A:
//
//   L = c_z (A / a_z) [ KL(a_hat || b_hat) + IS(a_z / b_z) ] + sum_{y in in(z)} q_y D(a_y / a_z || b_y / b_z),
//
// c_z = sum_j sigma_uj pi_j(z) at a real z, sum of the mask rates at z = [MASK] (where the IS term is
// 0). KL(a_hat || b_hat) = sum_y D(a_hat_y || b_hat_y) (both sum to 1) is estimated by importance
// sampling from the mixture m = (a_hat + b_hat) / 2, stratified (half the draws from each part), whose
// draws need no V-vector (a draw from a_hat is a forward path from x0, one from b_hat a forward path
// from x ~ p_hat):
//
//   KL ~ (1/M) sum_i D(a_hat_{y_i} || b_hat_{y_i}) / m(y_i),
//
// with m held fixed under differentiation, so the value and the gradient are unbiased. The graph sum
// is exact when z has at most `maxInDegree` in-neighbours; a hub's is estimated by `hubDraws` draws
// y ~ q_y / Q (Q = sum_y q_y), each term weighted Q / (hubDraws q_y) (unbiased, bounded work).
// b is needed only at z, the graph's y and the draws: pruned propagation of p_hat on their in-balls.
// The gradient w.r.t. p_hat is sum_y dL/db_y (e^{-L_m - L_u} R_H e_y + e^{-L_m} rho(y) 1); the
// constant part cancels in the softmax Jacobian, leaving sparse columns plus one elementwise pass.
import { xMinusLog1p } from '../math/special.ts';
import { softmax } from './elbo.ts';
import type { Ctx } from './reverse.ts';
import { sampleCategorical, sampleRho } from './sample.ts';
import { prunedWalkRow, sampleTruncatedWalk, sparseWalkCol, sparseWalkRow, walkMass } from './sparse.ts';

export interface ElboEstimateOptions {
  /** Draws from the mixture (a_hat + b_hat) / 2 for the KL term (default 4). */
  M?: number;
  /** A z with more in-neighbours than this has its graph sum estimated (default 32). */
  maxInDegree?: number;
  /** Draws of y for a hub's graph sum (default 16). */
  hubDraws?: number;
  /** Hop truncation (default: the spec's rule at t). */
  H?: number;
}

export interface ElboEstimate {
  value: number;
  /** d value / d logits (length V). */
  grad: Float64Array;
  /** Gathered multiply-adds spent: a's row, b's pruned propagation, the gradient's columns. */
  work: number;
  /** Distinct tokens the pruned propagation of p_hat touched. */
  ball: number;
}

function D(u: number, v: number): number {
  return u === 0 ? v : u * Math.log(u / v) - u + v;
}

export function elboEstimate(ctx: Ctx, logits: Float64Array, x0: number, xt: number, t: number, rng: () => number, o: ElboEstimateOptions = {}): ElboEstimate {
  const st = ctx.st;
  const V = st.V;
  if (logits.length !== V) throw new RangeError(`logits has ${logits.length} entries, expected V = ${V}`);
  if (!Number.isInteger(x0) || x0 < 0 || x0 >= V) throw new RangeError(`x0 = ${x0} is not a token (0..${V - 1})`);
  if (!Number.isInteger(xt) || xt < 0 || xt >= st.S) throw new RangeError(`xt = ${xt} is not a state (0..${st.S - 1})`);
  const M = o.M ?? 4;
  const maxIn = o.maxInDegree ?? 32;
  const hubDraws = o.hubDraws ?? 16;
  for (const [name, v, lo] of [['M', M, 1], ['maxInDegree', maxIn, 0], ['hubDraws', hubDraws, 1]] as const) {
    if (!(Number.isInteger(v) && v >= lo && v <= 1 << 20)) throw new RangeError(`${name} = ${v} must be a whole number in [${lo}, ${1 << 20}]`);
  }
  const iv = ctx.interval(null, t);
  const H = o.H ?? iv.defaultHops();
  const probs = softmax(logits);
  const rho = iv.rho();
  const k = iv.em * iv.eu;
  const walkW = walkMass(iv, H);
  const A = iv.em * (iv.eu * walkW + iv.rhoMass());
  const row = sparseWalkRow(iv, x0, H);
  let work = row.work;
  const aAt = (y: number) => (y === st.m && st.hasMask ? -Math.expm1(-iv.Lm) : k * (row.v.get(y) ?? 0) + iv.em * rho[y]!);
  const z = xt;
  const masked = st.hasMask && z === st.m;
  const az = aAt(z);
  if (!(az > 0)) throw new RangeError(`x_t = ${xt} has probability 0 under q_t(. | x0 = ${x0}) at t = ${t} with H = ${H}`);
  const sig = st.sigmas(t);

  // The draws: the KL's mixture draws and the graph's (y, weight q_y * factor).
  let cz = 0;
  if (masked) for (const c of st.mask) cz += sig[c]!;
  else for (const r of st.resets) cz += sig[r.c]! * r.pi[z]!;
  const klDraws: number[] = [];
  if (cz > 0) {
    const pWalk = (k * walkW) / A;
    for (let i = 0; i < M; i++) {
      // Stratified: half the draws start at x0 (a_hat), half at x ~ p_hat (b_hat); an odd M's last
      // draw picks its half by a coin. Each term is still weighted by the mixture density m.
      const fromA = M % 2 === 1 && i === M - 1 ? rng() < 0.5 : i % 2 === 0;
      const start = fromA ? x0 : sampleCategorical(probs, rng);
      klDraws.push(rng() < pWalk ? sampleTruncatedWalk(iv, start, H, rng) : sampleRho(st, t, rng));
    }
  }
  const graph: Array<[number, number]> = [];
  if (!masked && st.jumps.length) {
    const q = new Map<number, number>();
    for (const j of st.jumps) {
      for (let p = j.AT.rowPtr[z]!; p < j.AT.rowPtr[z + 1]!; p++) {
        const y = j.AT.col[p]!;
        const w = sig[j.c]! * j.AT.w[p]!;
        if (y !== z && w > 0) q.set(y, (q.get(y) ?? 0) + w);
      }
    }
    if (q.size <= maxIn) graph.push(...q);
    else {
      const ys = [...q.keys()];
      const ws = ys.map((y) => q.get(y)!);
      const Q = ws.reduce((s, w) => s + w, 0);
      for (let i = 0; i < hubDraws; i++) graph.push([ys[sampleCategorical(ws, rng)]!, Q / hubDraws]);
    }
  }

  // b at every point needed, by pruned propagation of p_hat.
  const points = new Set<number>([...klDraws, ...graph.map(([y]) => y)]);
  if (!masked) points.add(z);
  const pr = prunedWalkRow(iv, probs, points, H);
  work += pr.work;
  const bAt = (y: number) => (y === st.m && st.hasMask ? -Math.expm1(-iv.Lm) : k * pr.v.get(y)! + iv.em * rho[y]!);
  const bz = bAt(z);

  let value = 0;
  const gb = new Map<number, number>(); // dL / db_y at real y
  const add = (y: number, g: number) => gb.set(y, (gb.get(y) ?? 0) + g);
  if (cz > 0) {
    const f = (cz * A) / az;
    let kl = 0;
    for (const y of klDraws) {
      const ah = aAt(y) / A;
      const bh = bAt(y) / A;
      const m = (ah + bh) / 2;
      kl += D(ah, bh) / (M * m);
      add(y, (f * (1 - ah / bh)) / (A * M * m));
    }
    let is = 0;
    if (!masked) {
      is = xMinusLog1p(az / bz - 1);
      add(z, f * (1 / bz - az / (bz * bz)));
    }
    value += f * (kl + is);
  }
  for (const [y, q] of graph) {
    const ay = aAt(y);
    const by = bAt(y);
    const u = ay / az;
    value += q * D(u, by / bz);
    add(y, q * (1 / bz - u / by));
    add(z, q * (u / bz - by / (bz * bz)));
  }

  // Back through b_y = k (p_hat^T R_H)(y) + e^{-L_m} rho(y): one column propagation R_H gb from the
  // sparse gb (the rho part is constant in p_hat and cancels in the softmax Jacobian).
  const col = sparseWalkCol(iv, gb, H);
  work += col.work;
  const g = col.v;
  let mean = 0;
  for (const [x, gx] of g) mean += probs[x]! * k * gx;
  const grad = new Float64Array(V);
  for (let i = 0; i < V; i++) grad[i] = probs[i]! * (k * (g.get(i) ?? 0) - mean);
  return { value, grad, work, ball: pr.ball };
}
