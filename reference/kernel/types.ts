// The float64 reference of a compiled kernel (kernel-contract.md): the truth that the WGSL back end
// is tested against. Every formula is derived in docs/math.md.
import type { SparseGraph } from '../../runtime/kernel/tables/graph.ts';
import type { RateTables } from '../../runtime/kernel/tables/types.ts';

import type { ElboEstimate, ElboEstimateOptions } from './sparse-elbo.ts';
import type { ReverseParts } from './sparse-reverse.ts';

export type { SparseGraph, RateTables, ElboEstimate, ElboEstimateOptions, ReverseParts };

export interface KernelInputs {
  V: number;
  /** Every graph the spec declares, built. */
  graphs?: Record<string, SparseGraph>;
  /** Length V, sums to 1; needed by reset(unigram). */
  unigram?: Float64Array;
  /** reset(file) distributions by file name. */
  dists?: Record<string, Float64Array>;
  /** Needed when some channel's Lambda or sigma is null (buildRateTables). */
  tables?: RateTables;
}

/** The fixed component layout of reverseMixture (docs/math.md §2.3). */
export const MIXTURE_COMPONENTS = ['stay', 'walk', 'reset', 'unmask'] as const;

export interface ReferenceKernel {
  /** Number of states: V, plus [MASK] at index V when the spec has a mask channel. */
  readonly S: number;
  readonly V: number;
  /** True when the jump channels act through one fixed mixture graph (docs/math.md §1.4); else rows are exact ODE solves and H is ignored. */
  readonly hopExpansion: boolean;
  /** Cumulative rate of every channel at t, in spec.channels order. */
  lambdas(t: number): Float64Array;
  /** Rate sigma_c(t) of every channel at t. */
  sigmas(t: number): Float64Array;
  /** Adaptive hop truncation at t (docs/math.md §2.2) unless the spec fixes H; bound = exp(-L_m - L_u) * P(Poisson(L_a) > H). */
  hops(t: number): { H: number; bound: number };
  /** The same for the transition s -> t (amounts Lambda_c(t) - Lambda_c(s)). */
  hopsBetween(s: number, t: number): { H: number; bound: number };
  /** Smallest H whose truncation bound at t is <= tol (for "exact" rows in tests). */
  hopsExact(t: number, tol?: number): number;
  /** q_t(. | x0) over S states. H defaults to hops(t).H. */
  row(t: number, x0: number, H?: number): Float64Array;
  /** q_t(xt | x0) for x0 = 0..V-1 (length V). */
  column(t: number, xt: number, H?: number): Float64Array;
  /** P_{s->t}(xs, .) over S states, s <= t. H defaults to hopsBetween(s, t).H. */
  transitionRow(s: number, t: number, xs: number, H?: number): Float64Array;
  /**
   * p(x_s | x_t) over S: P_{s->t}(x_s, x_t) (p_hat^T P_s)(x_s), normalised (docs/math.md §2.3).
   * H, when given, truncates both propagations; by default b_s uses hops(s).H and the column hopsBetween(s, t).H.
   */
  reverseStep(probs: Float64Array, xt: number, t: number, s: number, H?: number): Float64Array;
  /** reverseStep as a mixture: weights over MIXTURE_COMPONENTS (sum 1) and each component's law over S (sum 1, or all 0 when its weight is 0). */
  reverseMixture(probs: Float64Array, xt: number, t: number, s: number, H?: number): { weights: Float64Array; components: Float64Array[] };
  /** R_hat(xt -> y) = Q_t(y, xt) b_y / b_xt over S, b = p_hat^T P_t; entry xt holds -(sum of the others) (docs/math.md §2.5). */
  reverseRates(probs: Float64Array, xt: number, t: number, H?: number): Float64Array;
  /** Continuous-time ELBO integrand at (x0, xt, t), its gradient w.r.t. the V logits, and its split by channel (docs/math.md §2.4). */
  elbo(logits: Float64Array, x0: number, xt: number, t: number, H?: number): { value: number; grad: Float64Array; byChannel: Float64Array };
  /**
   * One draw of the unbiased sparse estimator of elbo()'s value and gradient (docs/math.md §2.7): KL by
   * importance sampling from (a_hat + b_hat) / 2, hubs' graph sums by drawn in-neighbours, b only where
   * needed. Kernels with the hop expansion only.
   */
  elboEstimate(logits: Float64Array, x0: number, xt: number, t: number, rng: () => number, o?: ElboEstimateOptions): ElboEstimate;
  /** reverseStep's law as the components of the sparse exact step (docs/math.md §2.8). */
  reverseParts(probs: Float64Array, xt: number, t: number, s: number, H?: number): ReverseParts;
  /** One exact draw from reverseStep's law with no dense b_s (docs/math.md §2.8). */
  sampleReverse(probs: Float64Array, xt: number, t: number, s: number, rng: () => number, H?: number): number;
  /** p_1 over S (docs/math.md §2.6). */
  prior(): Float64Array;
  /** KL(q_1(. | x0) || p_1), with exact hops. */
  priorKL(x0: number): number;
  /** One exact draw x_t ~ q_t(. | x0) by path simulation; rng returns uniforms in (0, 1). */
  sampleForward(x0: number, t: number, rng: () => number): number;
  /** Dense S x S generator Q_t, row-major (tests, S <= 64). */
  denseGenerator(t: number): Float64Array;
  /** Dense P_{s->t} by matrix exponential (time-ordered when not proportional), row-major. */
  denseTransition(s: number, t: number): Float64Array;
  /** Dense q_t (row x0 is q_t(. | x0)); equals denseTransition(0, t) when every Lambda_c(0) = 0. */
  denseForward(t: number): Float64Array;
}

export interface RuleEnv {
  t: number;
  s: number;
  step: number;
  graphs?: Record<string, SparseGraph>;
}

export interface KnnOptions {
  k: number;
  bandwidth: number;
  symmetric: boolean;
  classes?: Int32Array | null;
}
