// Row and column actions of P over one interval on the full state space (docs/math.md §1.3, §2.2):
//   (v^T P)_real = e^{-L_m} [ e^{-L_u} v_real^T P^a + (sum v_real) rho ],
//   (v^T P)_m    = v_m + (1 - e^{-L_m}) sum v_real,
//   (P c)_real   = e^{-L_m} [ e^{-L_u} P^a c_real + (rho . c_real) ] + (1 - e^{-L_m}) c_m,
//   (P c)_m      = c_m.
// Rows, columns, transitions, p_hat^T P_s and the ELBO's gradient are all one of these two.
import type { Interval } from './interval.ts';

export function vecP(iv: Interval, v: Float64Array, H: number): Float64Array {
  const st = iv.st;
  const V = st.V;
  const out = new Float64Array(st.S);
  let mass = 0;
  for (let i = 0; i < V; i++) mass += v[i]!;
  const walk = iv.walkRow(v, H);
  const rho = iv.rho();
  const k = iv.em * iv.eu;
  for (let i = 0; i < V; i++) out[i] = k * walk[i]! + iv.em * mass * rho[i]!;
  if (st.hasMask) out[st.m] = (st.S > V ? v[st.m] ?? 0 : 0) - Math.expm1(-iv.Lm) * mass;
  return out;
}

export function Pvec(iv: Interval, c: Float64Array, H: number): Float64Array {
  const st = iv.st;
  const V = st.V;
  const out = new Float64Array(st.S);
  const walk = iv.walkCol(c, H);
  const rho = iv.rho();
  let rc = 0;
  for (let i = 0; i < V; i++) rc += rho[i]! * c[i]!;
  const cm = st.hasMask ? c[st.m] ?? 0 : 0;
  const k = iv.em * iv.eu;
  const maskPart = -Math.expm1(-iv.Lm) * cm;
  for (let i = 0; i < V; i++) out[i] = k * walk[i]! + iv.em * rc + maskPart;
  if (st.hasMask) out[st.m] = cm;
  return out;
}

/** The unit vector e_x over S states. */
export function unit(S: number, x: number): Float64Array {
  const e = new Float64Array(S);
  e[x] = 1;
  return e;
}
