// What buildRateTables returns: the cumulative rates Lambda_c(t) and rates sigma_c(t) of every
// channel as host float64 functions of t (docs/math.md §3), tabulated where the IR has no closed form.
import type { SparseGraph } from './graph.ts';

export interface RateTablesInputs {
  /** Number of real tokens. */
  V: number;
  /** Token frequencies (length V, sums to 1): reset(unigram) and the law of x0 for mutual_info. */
  unigram?: Float64Array;
  /** Every graph the spec declares, built. */
  graphs?: Record<string, SparseGraph>;
  /** reset(file) distributions by file name. */
  dists?: Record<string, Float64Array>;
  options?: RateTablesOptions;
}

export interface RateTablesOptions {
  /** Intervals of the t grid of a mutual_info schedule (default 128). */
  miIntervals?: number;
  /** Intervals of the t grid of a channel tabulated by quadrature (default 256). */
  quadIntervals?: number;
  /** Exact mutual information (every x0) when V <= this (default 512); Monte-Carlo above. */
  exactMaxV?: number;
  /** Polish each mutual_info table point by root finding on the exact MI when V <= this (default 64). */
  polishMaxV?: number;
  /** Monte-Carlo x0 samples for mutual_info (default 32, in 4 randomised-QMC replicates). */
  samples?: number;
  /** Seed of the Monte-Carlo x0 draws (default 0x5eed). */
  seed?: number;
  /** Largest schedule Lambda a mutual_info search may reach before it gives up (default 512). */
  maxLambda?: number;
}

/** How a mutual_info schedule was tabulated, for logs and for checking its accuracy. */
export interface MutualInfoReport {
  method: 'exact' | 'monte-carlo';
  /** x0 values used (all tokens with p > 0 when exact). */
  samples: number;
  /** H(x0) in nats. */
  entropy: number;
  /** The t grid and the schedule's Lambda there. */
  t: Float64Array;
  Lambda: Float64Array;
  /** Estimated normalised MI at each table point (target: 1 - (1 - eps) t). */
  nmi: Float64Array;
  /** Monte-Carlo standard error of nmi (0 when exact). */
  stdErr: Float64Array;
  /** Largest |nmi - target| over the table points, and whether each point was polished by root finding. */
  maxAbsError: number;
  polished: boolean;
  seconds: number;
}

export interface RateTables {
  /** Cache key: spec source hash, parameter values, unigram, graph hashes and options. */
  readonly key: string;
  /** Number of channels (spec.channels.length). */
  readonly channels: number;
  /** Lambda_c(t) for channel index c (spec.channels order): the IR expression when closed, else the monotone table (exact at grid points). */
  Lambda(c: number, t: number): number;
  /** sigma_c(t) = dLambda_c/dt: the IR expression, else the derivative of the monotone interpolant. */
  sigma(c: number, t: number): number;
  /** The schedule's Lambda(t) and sigma(t) (tabulated for mutual_info). */
  scheduleLambda(t: number): number;
  scheduleSigma(t: number): number;
  /** Which channels are tabulated (true) or closed-form (false). */
  readonly tabulated: readonly boolean[];
  /** The table's grid for each channel (null when closed-form) and its values there. */
  grid(c: number): { t: Float64Array; Lambda: Float64Array; sigma: Float64Array } | null;
  readonly mutualInfo: MutualInfoReport | null;
}
