// Host scalars of the hop expansion for the GPU path (docs/math.md §1.4, §1.5, §2.2): per-sequence
// hop weights, the hop count H, its truncation bound, and the closed-form reset weights W_{j,n}.
import type { Hops } from '../../../specs/types/kernel.ts';
import { poissonTails, poissonWeights } from './poisson.ts';

/** Pois(n; L_a) for n = 0..H. */
export function hopWeights(La: number, H: number): Float64Array {
  return poissonWeights(La, H);
}

/** H = min(cap, ceil(L_a + 4 sqrt(L_a))) for adaptive hops, else the fixed H. */
export function hopCount(La: number, hops: Hops): number {
  return hops.mode === 'fixed' ? hops.H : Math.min(hops.cap, Math.ceil(La + 4 * Math.sqrt(La)));
}

/** e^{-L_m - L_u} P(Poisson(L_a) > H): the L1 mass a row truncated at H hops leaves out. */
export function hopBound(Lm: number, Lu: number, La: number, H: number): number {
  if (La === 0) return 0;
  return Math.exp(-Lm - Lu) * poissonTails(La, H)[H]!;
}

/**
 * W_{j,n} = (L_uj / X) (L_a / X)^n P(Pois(X) > n), X = L_u + L_a, for n = 0..N, row-major [j][n]:
 * rho = sum_j sum_n W_{j,n} pi_j^T Abar^n when the non-mask channels advance in fixed proportions.
 */
export function resetWeights(Luj: ArrayLike<number>, La: number, N: number): Float64Array {
  const J = Luj.length;
  const W = new Float64Array(J * (N + 1));
  let Lu = 0;
  for (let j = 0; j < J; j++) Lu += Luj[j]!;
  if (Lu === 0) return W;
  const X = Lu + La;
  const tails = poissonTails(X, N);
  for (let j = 0; j < J; j++) {
    let pow = Luj[j]! / X;
    for (let n = 0; n <= N; n++) {
      W[j * (N + 1) + n] = pow * tails[n]!;
      pow *= La / X;
    }
  }
  return W;
}
