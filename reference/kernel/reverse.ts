// The plug-in reverse step and the estimated reverse rates (docs/math.md §2.3, §2.5).
import { Pvec, unit, vecP } from './forward.ts';
import type { Interval, Start } from './interval.ts';
import type { Structure } from './structure.ts';

export interface Ctx {
  st: Structure;
  interval(start: Start, t: number): Interval;
}

/** p_hat over V extended with a zero at [MASK]. */
export function extend(st: Structure, probs: Float64Array): Float64Array {
  if (probs.length !== st.V) throw new RangeError(`probs has ${probs.length} entries, expected V = ${st.V}`);
  const p = new Float64Array(st.S);
  p.set(probs);
  return p;
}

function checkState(st: Structure, x: number, what: string): void {
  if (!Number.isInteger(x) || x < 0 || x >= st.S) throw new RangeError(`${what} = ${x} is not a state (0..${st.S - 1})`);
}

/** b_s = p_hat^T P_s over S (the model's marginal at s). */
export function modelMarginal(ctx: Ctx, probs: Float64Array, s: number, H?: number): Float64Array {
  const iv = ctx.interval(null, s);
  return vecP(iv, extend(ctx.st, probs), H ?? iv.defaultHops());
}

/** p(x_s | x_t) proportional to P_{s->t}(x_s, x_t) b_s(x_s) (docs/math.md §2.3). */
export function reverseStep(ctx: Ctx, probs: Float64Array, xt: number, t: number, s: number, H?: number): Float64Array {
  checkState(ctx.st, xt, 'xt');
  if (!(s <= t)) throw new RangeError(`a reverse step needs s <= t, got s = ${s}, t = ${t}`);
  const b = modelMarginal(ctx, probs, s, H);
  const ivst = ctx.interval(s, t);
  const col = Pvec(ivst, unit(ctx.st.S, xt), H ?? ivst.defaultHops());
  let z = 0;
  for (let i = 0; i < b.length; i++) {
    b[i] = b[i]! * col[i]!;
    z += b[i]!;
  }
  for (let i = 0; i < b.length; i++) b[i] = b[i]! / z;
  return b;
}

/**
 * The reverse step as a mixture over the fixed components (stay, walk, reset, unmask), docs/math.md §2.3:
 *   x_t = [MASK]: stay (remain masked) with weight b_m; unmask with weight (1 - e^{-L_m}) sum b_real,
 *                 drawing x_s ~ b_real;
 *   x_t real:     stay (x_s = x_t, no event) with weight e^{-L_u - L_a} b(x_t);
 *                 walk (>= 1 jump, no reset) with weight e^{-L_u} sum_x [P^a(x, x_t) - e^{-L_a} 1{x = x_t}] b(x);
 *                 reset with weight rho_{s,t}(x_t) sum b_real, drawing x_s ~ b_real.
 * (The common factor e^{-L_m} of a real x_t is dropped.) Each component's law is normalised.
 */
export function reverseMixture(ctx: Ctx, probs: Float64Array, xt: number, t: number, s: number, H?: number): { weights: Float64Array; components: Float64Array[] } {
  const st = ctx.st;
  checkState(st, xt, 'xt');
  if (!(s <= t)) throw new RangeError(`a reverse step needs s <= t, got s = ${s}, t = ${t}`);
  const S = st.S;
  const V = st.V;
  const b = modelMarginal(ctx, probs, s, H);
  const ivst = ctx.interval(s, t);
  const weights = new Float64Array(4);
  const components = [0, 1, 2, 3].map(() => new Float64Array(S));
  let breal = 0;
  for (let i = 0; i < V; i++) breal += b[i]!;
  const fromB = (out: Float64Array) => {
    for (let i = 0; i < V; i++) out[i] = b[i]! / breal;
  };
  if (st.hasMask && xt === st.m) {
    weights[0] = b[st.m]!;
    components[0]![st.m] = 1;
    weights[3] = -Math.expm1(-ivst.Lm) * breal;
    if (weights[3]! > 0) fromB(components[3]!);
  } else {
    weights[0] = ivst.eu * ivst.ea * b[xt]!;
    components[0]![xt] = 1;
    const walk = ivst.walkCol(unit(V, xt), H ?? ivst.defaultHops());
    walk[xt] = Math.max(0, walk[xt]! - ivst.ea);
    let wz = 0;
    for (let i = 0; i < V; i++) {
      walk[i] = walk[i]! * b[i]!;
      wz += walk[i]!;
    }
    weights[1] = ivst.eu * wz;
    if (wz > 0) for (let i = 0; i < V; i++) components[1]![i] = walk[i]! / wz;
    weights[2] = ivst.rho()[xt]! * breal;
    if (weights[2]! > 0) fromB(components[2]!);
  }
  let z = 0;
  for (const w of weights) z += w;
  for (let k = 0; k < 4; k++) weights[k] = weights[k]! / z;
  return { weights, components };
}

/**
 * Off-diagonal entries of column z of the generator, Q_t(y, z) for y != z, split by channel:
 * out[c][y]. Only [MASK] columns have mask entries; [MASK] rows are zero (absorbing).
 */
export function generatorColumnByChannel(st: Structure, sig: Float64Array, z: number): Float64Array[] {
  const out = st.spec.channels.map(() => new Float64Array(st.S));
  const V = st.V;
  if (st.hasMask && z === st.m) {
    for (const c of st.mask) out[c]!.fill(sig[c]!, 0, V);
    return out;
  }
  for (const r of st.resets) {
    const q = sig[r.c]! * r.pi[z]!;
    out[r.c]!.fill(q, 0, V);
    out[r.c]![z] = 0;
  }
  for (const j of st.jumps) {
    const s = sig[j.c]!;
    for (let p = j.AT.rowPtr[z]!; p < j.AT.rowPtr[z + 1]!; p++) {
      const y = j.AT.col[p]!;
      if (y !== z) out[j.c]![y]! += s * j.AT.w[p]!;
    }
  }
  return out;
}

/** R_hat(x_t -> y) = Q_t(y, x_t) b_y / b_{x_t}; entry x_t = -(sum of the others) (docs/math.md §2.5). */
export function reverseRates(ctx: Ctx, probs: Float64Array, xt: number, t: number, H?: number): Float64Array {
  const st = ctx.st;
  checkState(st, xt, 'xt');
  const b = modelMarginal(ctx, probs, t, H);
  const cols = generatorColumnByChannel(st, st.sigmas(t), xt);
  const out = new Float64Array(st.S);
  let tot = 0;
  for (let y = 0; y < st.S; y++) {
    if (y === xt) continue;
    let q = 0;
    for (const col of cols) q += col[y]!;
    out[y] = q === 0 ? 0 : (q * b[y]!) / b[xt]!;
    tot += out[y]!;
  }
  out[xt] = -tot;
  return out;
}
