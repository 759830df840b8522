// The continuous-time ELBO integrand (x0-prediction) and its gradient w.r.t. the logits
// (docs/math.md §2.4). With a = q_t(. | x0), b = p_hat^T P_t and z = x_t:
//
//   L = sum_{y != z} Q_t(y, z) D(a_y / a_z || b_y / b_z),   D(u || v) = u log(u / v) - u + v.
//
// Mask and reset channels have y-independent Q_t(y, z), and their sum over y closes into
//   (A / a_z) [ KL(a_hat || b_hat) + IS(r) ],  r = (a_z / A) / (b_z / B),  IS(r) = r - 1 - log r,
// with A, B the real-token masses and a_hat, b_hat the normalised real parts. The graph channels are
// a sparse sum over the in-neighbours y of z (row z of A^T).
import { xMinusLog1p } from '../math/special.ts';
import { Pvec, vecP } from './forward.ts';
import { extend, type Ctx } from './reverse.ts';

export function softmax(logits: Float64Array): Float64Array {
  let mx = -Infinity;
  for (const x of logits) mx = Math.max(mx, x);
  const p = new Float64Array(logits.length);
  let z = 0;
  for (let i = 0; i < logits.length; i++) {
    p[i] = Math.exp(logits[i]! - mx);
    z += p[i]!;
  }
  for (let i = 0; i < p.length; i++) p[i] = p[i]! / z;
  return p;
}

/** D(u || v) = u log(u/v) - u + v, with D(0 || v) = v. */
function D(u: number, v: number): number {
  if (u === 0) return v;
  return u * Math.log(u / v) - u + v;
}

export function elbo(ctx: Ctx, logits: Float64Array, x0: number, xt: number, t: number, H?: number): { value: number; grad: Float64Array; byChannel: Float64Array } {
  const st = ctx.st;
  const V = st.V;
  const S = st.S;
  if (logits.length !== V) throw new RangeError(`logits has ${logits.length} entries, expected V = ${V}`);
  if (!Number.isInteger(x0) || x0 < 0 || x0 >= V) throw new RangeError(`x0 = ${x0} is not a token (0..${V - 1})`);
  if (!Number.isInteger(xt) || xt < 0 || xt >= S) throw new RangeError(`xt = ${xt} is not a state (0..${S - 1})`);
  const iv = ctx.interval(null, t);
  const h = H ?? iv.defaultHops();
  const probs = softmax(logits);
  const ex0 = new Float64Array(S);
  ex0[x0] = 1;
  const a = vecP(iv, ex0, h);
  const b = vecP(iv, extend(st, probs), h);
  const z = xt;
  const az = a[z]!;
  const bz = b[z]!;
  if (!(az > 0)) throw new RangeError(`x_t = ${xt} has probability 0 under q_t(. | x0 = ${x0}) at t = ${t} with H = ${h}`);
  const sig = st.sigmas(t);
  const byChannel = new Float64Array(st.nC);
  const gb = new Float64Array(S); // dL / db

  // Closed form of the y-independent channels: masses, KL of the normalised real parts, IS term.
  let A = 0, B = 0;
  for (let y = 0; y < V; y++) {
    A += a[y]!;
    B += b[y]!;
  }
  let kl = 0;
  for (let y = 0; y < V; y++) {
    const ay = a[y]!;
    if (ay > 0) kl += (ay / A) * Math.log((ay * B) / (b[y]! * A));
  }
  const r = (az * B) / (bz * A);
  const closed = A > 0 ? (A / az) * (kl + xMinusLog1p(r - 1)) : 0;
  // Gradient of sum_{real y != z} D(a_y / a_z || b_y / b_z) times a y-independent rate q:
  //   d/db_y = q (1 / b_z - a_y / (a_z b_y)),   d/db_z = q sum_{y != z} (a_y / (a_z b_z) - b_y / b_z^2).
  const closedGrad = (q: number) => {
    if (q === 0) return;
    for (let y = 0; y < V; y++) if (y !== z) gb[y]! += q * (1 / bz - a[y]! / (az * b[y]!));
    const Ao = z < V ? A - az : A;
    const Bo = z < V ? B - bz : B;
    gb[z]! += q * (Ao / (az * bz) - Bo / (bz * bz));
  };

  if (st.hasMask && z === st.m) {
    let sm = 0;
    for (const c of st.mask) sm += sig[c]!;
    for (const c of st.mask) byChannel[c] = sig[c]! * closed;
    closedGrad(sm);
  } else {
    for (const res of st.resets) {
      const q = sig[res.c]! * res.pi[z]!;
      byChannel[res.c] = q * closed;
      closedGrad(q);
    }
    // Graph channels: sparse sum over the in-neighbours y of z.
    for (const j of st.jumps) {
      let s = 0;
      for (let p = j.AT.rowPtr[z]!; p < j.AT.rowPtr[z + 1]!; p++) {
        const y = j.AT.col[p]!;
        if (y === z) continue;
        const q = sig[j.c]! * j.AT.w[p]!;
        if (q === 0) continue;
        const u = a[y]! / az;
        const v = b[y]! / bz;
        s += q * D(u, v);
        gb[y]! += q * (1 / bz - u / b[y]!);
        gb[z]! += q * (u / bz - b[y]! / (bz * bz));
      }
      byChannel[j.c] = s;
    }
  }
  let value = 0;
  for (const x of byChannel) value += x;
  // Back through b = p_hat^T P_t (a column action of P_t), then the softmax Jacobian.
  const gp = Pvec(iv, gb, h);
  let mean = 0;
  for (let i = 0; i < V; i++) mean += probs[i]! * gp[i]!;
  const grad = new Float64Array(V);
  for (let i = 0; i < V; i++) grad[i] = probs[i]! * (gp[i]! - mean);
  return { value, grad, byChannel };
}
