// The exact reverse step without a dense b_s (docs/math.md §2.8). For a real x_t, with the common
// factor e^{-L_m(s)} e^{-L_m(s,t)} dropped,
//
//   p(x_s | x_t)  ∝  [ e^{-L_u(s)} R_s(x_s) + rho_s(x_s) ] [ e^{-L_u(s,t)} C(x_s) + rho_{s,t}(x_t) ],
//
// R_s = p_hat^T R_{H_s} (the model's jump-only marginal at s), C = R_{H_st} e_{x_t} (the jump-only
// column of the step, supported on the H_st-hop in-ball of x_t). The four products are components
// with simple laws:
//
//   walk  (R_s C)        weight e^{-L_u(s) - L_u(s,t)} sum_{x in ball} R_s(x) C(x)   law ∝ R_s C on the ball
//   jump  (R_s rho_st)   weight e^{-L_u(s)} rho_{s,t}(x_t) |R_{H_s}|                 x0 ~ p_hat, then a truncated walk
//   reset (rho_s C)      weight e^{-L_u(s,t)} sum_{x in ball} rho_s(x) C(x)          law ∝ rho_s C on the ball
//   fresh (rho_s rho_st) weight |rho_s| rho_{s,t}(x_t)                               x_s ~ rho_s (a reset path)
//
// and at x_t = [MASK]: stay (x_s = [MASK]) with weight 1 - e^{-L_m(s)}; unmask with weights
// (1 - e^{-L_m(s,t)}) e^{-L_m(s)} e^{-L_u(s)} |R_{H_s}| (x0 ~ p_hat, truncated walk) and
// (1 - e^{-L_m(s,t)}) e^{-L_m(s)} |rho_s| (x_s ~ rho_s). R_s is needed on the ball only (pruned
// propagation of p_hat); everything else is a scalar or a path. The law is exactly the dense
// reverseStep's, truncations included (the same H_s and H_st on both sides).
import type { Ctx } from './reverse.ts';
import { sampleCategorical, sampleRho } from './sample.ts';
import { prunedWalkRow, sampleTruncatedWalk, sparseWalkCol, walkMass, type Sparse } from './sparse.ts';

/** A component's law: a sparse law on explicit tokens, a truncated walk from x0 ~ p_hat, rho_s, or one state. */
export type ComponentLaw = { kind: 'sparse'; law: Sparse } | { kind: 'walk' } | { kind: 'rho' } | { kind: 'state'; x: number };

export interface ReverseParts {
  names: string[];
  /** Unnormalised component weights. */
  weights: number[];
  laws: ComponentLaw[];
  /** The hop truncations used: H_s for b_s, H_st for the step's column. */
  Hs: number;
  Hst: number;
  /** Gathered multiply-adds of the pruned propagation and the column, and the tokens it touched. */
  work: number;
  ball: number;
}

export function reverseParts(ctx: Ctx, probs: Float64Array, xt: number, t: number, s: number, H?: number): ReverseParts {
  const st = ctx.st;
  if (probs.length !== st.V) throw new RangeError(`probs has ${probs.length} entries, expected V = ${st.V}`);
  if (!Number.isInteger(xt) || xt < 0 || xt >= st.S) throw new RangeError(`xt = ${xt} is not a state (0..${st.S - 1})`);
  if (!(s <= t)) throw new RangeError(`a reverse step needs s <= t, got s = ${s}, t = ${t}`);
  const ivs = ctx.interval(null, s);
  const ivst = ctx.interval(s, t);
  const Hs = H ?? ivs.defaultHops();
  const Hst = H ?? ivst.defaultHops();
  const rhoS = ivs.rho();
  const rhoMass = ivs.rhoMass();
  const walkS = walkMass(ivs, Hs);
  if (st.hasMask && xt === st.m) {
    const unmask = -Math.expm1(-ivst.Lm) * ivs.em;
    return {
      names: ['stay', 'unmask-walk', 'unmask-reset'],
      weights: [-Math.expm1(-ivs.Lm), unmask * ivs.eu * walkS, unmask * rhoMass],
      laws: [{ kind: 'state', x: st.m }, { kind: 'walk' }, { kind: 'rho' }],
      Hs,
      Hst,
      work: 0,
      ball: 0,
    };
  }
  const col = sparseWalkCol(ivst, xt, Hst);
  const pr = prunedWalkRow(ivs, probs, col.v.keys(), Hs);
  const walk: Sparse = new Map();
  const reset: Sparse = new Map();
  let ww = 0;
  let wr = 0;
  for (const [x, c] of col.v) {
    const a = pr.v.get(x)! * c;
    const r = rhoS[x]! * c;
    if (a > 0) walk.set(x, a);
    if (r > 0) reset.set(x, r);
    ww += a;
    wr += r;
  }
  const rhoT = ivst.rho()[xt]!;
  return {
    names: ['walk', 'jump', 'reset', 'fresh'],
    weights: [ivs.eu * ivst.eu * ww, ivs.eu * rhoT * walkS, ivst.eu * wr, rhoMass * rhoT],
    laws: [{ kind: 'sparse', law: walk }, { kind: 'walk' }, { kind: 'sparse', law: reset }, { kind: 'rho' }],
    Hs,
    Hst,
    work: col.work + pr.work,
    ball: pr.ball,
  };
}

/** One exact draw x_s ~ p(x_s | x_t) from the parts: a component by weight, then its law. */
export function sampleReverse(ctx: Ctx, probs: Float64Array, xt: number, t: number, s: number, rng: () => number, H?: number): number {
  const parts = reverseParts(ctx, probs, xt, t, s, H);
  const law = parts.laws[sampleCategorical(parts.weights, rng)]!;
  switch (law.kind) {
    case 'state':
      return law.x;
    case 'walk':
      return sampleTruncatedWalk(ctx.interval(null, s), sampleCategorical(probs, rng), parts.Hs, rng);
    case 'rho':
      return sampleRho(ctx.st, s, rng);
    case 'sparse': {
      const xs = [...law.law.keys()];
      return xs[sampleCategorical(xs.map((x) => law.law.get(x)!), rng)]!;
    }
  }
}

/** The law over S that the parts define, assembled densely (tests: it must equal reverseStep). */
export function reverseLawFromParts(ctx: Ctx, probs: Float64Array, s: number, parts: ReverseParts): Float64Array {
  const st = ctx.st;
  const ivs = ctx.interval(null, s);
  const out = new Float64Array(st.S);
  let total = 0;
  for (const w of parts.weights) total += w;
  parts.laws.forEach((law, i) => {
    const w = parts.weights[i]! / total;
    if (!(w > 0)) return;
    let dense: ArrayLike<number>;
    if (law.kind === 'state') {
      const d = new Float64Array(st.S);
      d[law.x] = 1;
      dense = d;
    } else if (law.kind === 'walk') dense = ivs.walkRow(probs, parts.Hs);
    else if (law.kind === 'rho') dense = ivs.rho();
    else {
      const d = new Float64Array(st.S);
      for (const [x, v] of law.law) d[x] = v;
      dense = d;
    }
    let z = 0;
    for (let i2 = 0; i2 < dense.length; i2++) z += dense[i2]!;
    for (let i2 = 0; i2 < dense.length; i2++) out[i2]! += (w * dense[i2]!) / z;
  });
  return out;
}
