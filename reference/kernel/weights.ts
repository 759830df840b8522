// Closed-form reset weights of the event-ordering form (docs/math.md §1.5).
import { poissonTails } from '../math/special.ts';
import type { Structure } from './structure.ts';

/** Tail mass left out of rho (its hop series is summed until the Poisson tail is below this). */
export const RHO_TAIL = 1e-18;

/**
 * Reset weights when every reset channel and the jump total advance in fixed proportions over the
 * interval (docs/math.md §1.5): with X = L_u + L_a,
 *   W_{j,n} = (L_uj / X) (L_a / X)^n P(Pois(X) > n).
 */
export function closedFormResetWeights(st: Structure, amounts: Float64Array, N: number): Float64Array {
  const J = st.resets.length;
  const W = new Float64Array(J * (N + 1));
  const { u: Lu, a: La } = st.totals(amounts);
  if (Lu === 0) return W;
  const X = Lu + La;
  const tails = poissonTails(X, N);
  const r = La / X;
  for (let j = 0; j < J; j++) {
    let pow = amounts[st.resets[j]!.c]! / X;
    for (let n = 0; n <= N; n++) {
      W[j * (N + 1) + n] = pow * tails[n]!;
      pow *= r;
    }
  }
  return W;
}

