// The exact denoiser of a known data law (docs/sampling.md, "The oracle"): for a table of short
// sequences with probabilities, the posterior of every position given the whole noisy sequence,
//
//   p(x0 | x_t)  proportional to  p_data(x0) prod_i q_t(x_t^i | x0^i),
//   p(x0^i = v | x_t) = sum over x0 with x0^i = v of p(x0 | x_t),
//
// with q_t the float64 reference kernel's columns (docs/math.md §2.2). Float64 throughout.
import type { ReferenceKernel } from '../kernel/index.ts';

/** A data law over sequences of L tokens of a vocabulary of V: the sequences and their probabilities. */
export interface DataLaw {
  readonly V: number;
  readonly L: number;
  readonly seqs: ReadonlyArray<ArrayLike<number>>;
  readonly probs: ArrayLike<number>;
}

export class OracleError extends Error {
  override name = 'OracleError';
}

/** Largest table the exact computations enumerate (states^L). */
export const MAX_STATES = 1 << 16;

/** Checks a data law: tokens in range, probabilities non-negative and summing to 1 (to 1e-9). */
export function checkLaw(law: DataLaw): void {
  const { V, L } = law;
  if (!(Number.isInteger(V) && V >= 2)) throw new OracleError(`a data law needs V >= 2 tokens, got ${V}`);
  if (!(Number.isInteger(L) && L >= 1)) throw new OracleError(`a data law needs sequences of L >= 1 tokens, got ${L}`);
  if ((V + 1) ** L > MAX_STATES) throw new OracleError(`(V + 1)^L = ${(V + 1) ** L} states is too many for the exact oracle (at most ${MAX_STATES})`);
  if (law.seqs.length !== law.probs.length || law.seqs.length === 0) {
    throw new OracleError(`a data law needs one probability per sequence (${law.seqs.length} sequences, ${law.probs.length} probabilities)`);
  }
  let total = 0;
  law.seqs.forEach((x, j) => {
    if (x.length !== L) throw new OracleError(`sequence ${j} has ${x.length} tokens, not L = ${L}`);
    for (let i = 0; i < L; i++) {
      const v = x[i]!;
      if (!(Number.isInteger(v) && v >= 0 && v < V)) throw new OracleError(`sequence ${j}, position ${i}: ${v} is not a token (0..${V - 1})`);
    }
    const p = law.probs[j]!;
    if (!(p >= 0 && Number.isFinite(p))) throw new OracleError(`the probability of sequence ${j} is ${p}`);
    total += p;
  });
  if (Math.abs(total - 1) > 1e-9) throw new OracleError(`the probabilities sum to ${total}, not 1`);
}

/** The index of a sequence of L symbols in base `base` (position 0 most significant). */
export function seqIndex(x: ArrayLike<number>, base: number, L = x.length, at = 0): number {
  let k = 0;
  for (let i = 0; i < L; i++) k = k * base + x[at + i]!;
  return k;
}

/** The sequence of index k in base `base`. */
export function seqOf(k: number, base: number, L: number): Int32Array {
  const out = new Int32Array(L);
  for (let i = L - 1; i >= 0; i--) {
    out[i] = k % base;
    k = Math.floor(k / base);
  }
  return out;
}

/** The data law as a vector over V^L (duplicates in the table add up). */
export function lawVector(law: DataLaw): Float64Array {
  const out = new Float64Array(law.V ** law.L);
  law.seqs.forEach((x, j) => (out[seqIndex(x, law.V)]! += law.probs[j]!));
  return out;
}

/** Total-variation distance 1/2 sum |p - q| (the shorter vector is padded with zeros). */
export function tv(p: ArrayLike<number>, q: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < Math.max(p.length, q.length); i++) s += Math.abs((p[i] ?? 0) - (q[i] ?? 0));
  return s / 2;
}

/**
 * The posterior of every position of a sequence under a data law and a kernel's forward process.
 * Columns q_t(state | .) are cached per t (the last 64 times).
 */
export class Oracle {
  readonly V: number;
  readonly L: number;
  readonly S: number;
  private readonly seqs: Int32Array[];
  private readonly probs: Float64Array;
  private readonly cols = new Map<number, Float64Array[]>();

  constructor(
    readonly ref: ReferenceKernel,
    readonly law: DataLaw,
  ) {
    checkLaw(law);
    if (ref.V !== law.V) throw new OracleError(`the kernel has V = ${ref.V} tokens, the data law ${law.V}`);
    this.V = law.V;
    this.L = law.L;
    this.S = ref.S;
    this.seqs = law.seqs.map((x) => Int32Array.from(x as ArrayLike<number>));
    this.probs = Float64Array.from(law.probs);
  }

  /** q_t(state | x0) for every state (S arrays over x0 = 0..V-1). */
  columns(t: number): Float64Array[] {
    let c = this.cols.get(t);
    if (!c) {
      c = Array.from({ length: this.S }, (_, z) => this.ref.column(t, z));
      if (this.cols.size >= 64) this.cols.delete(this.cols.keys().next().value!);
      this.cols.set(t, c);
    }
    return c;
  }

  /** p(x0 = seq_j | x_t) for every sequence of the table (normalised); throws when x_t is impossible. */
  weights(t: number, xt: ArrayLike<number>, at = 0): Float64Array {
    const cols = this.columns(t);
    const w = new Float64Array(this.seqs.length);
    let z = 0;
    for (let j = 0; j < this.seqs.length; j++) {
      const x0 = this.seqs[j]!;
      let p = this.probs[j]!;
      for (let i = 0; i < this.L && p > 0; i++) p *= cols[xt[at + i]!]![x0[i]!]!;
      w[j] = p;
      z += p;
    }
    if (!(z > 0)) {
      const shown = Array.from({ length: this.L }, (_, i) => xt[at + i]).join(' ');
      throw new OracleError(`x_t = (${shown}) at t = ${t} has probability 0 under the data law: the posterior is undefined (give the law full support)`);
    }
    for (let j = 0; j < w.length; j++) w[j] = w[j]! / z;
    return w;
  }

  /** p(x0^i = v | x_t) as [L, V] (row i sums to 1). */
  posterior(t: number, xt: ArrayLike<number>, at = 0): Float64Array {
    const w = this.weights(t, xt, at);
    const out = new Float64Array(this.L * this.V);
    for (let j = 0; j < w.length; j++) {
      const x0 = this.seqs[j]!;
      for (let i = 0; i < this.L; i++) out[i * this.V + x0[i]!]! += w[j]!;
    }
    return out;
  }

  /**
   * The minimiser of the ELBO of docs/math.md §2.4 as [L, V]: p_hat(v) proportional to
   * p(x0^i = v | x_t) / q_t(x_t^i | v), which is p(x0^i = v | x_t^{-i}), the posterior of position i
   * given the OTHER positions. The ELBO fits the model's reverse rates Q b_y / b_z (b = p_hat^T q_t)
   * to the exact ones E[a_y / a_z | x_t]; this p_hat makes them equal, and makes the plug-in step
   * P_{s->t}(x_s, x_t) (p_hat^T q_s)(x_s) the exact marginal p(x_s^i | x_t). The full posterior
   * would count the evidence of x_t^i twice (docs/sampling.md). For a masked x_t^i the two agree.
   */
  elboOptimal(t: number, xt: ArrayLike<number>, at = 0): Float64Array {
    const cols = this.columns(t);
    const { L, V } = this;
    const out = new Float64Array(L * V);
    for (let i = 0; i < L; i++) {
      let z = 0;
      for (let j = 0; j < this.seqs.length; j++) {
        const x0 = this.seqs[j]!;
        let p = this.probs[j]!;
        for (let k = 0; k < L && p > 0; k++) if (k !== i) p *= cols[xt[at + k]!]![x0[k]!]!;
        out[i * V + x0[i]!]! += p;
        z += p;
      }
      if (!(z > 0)) {
        const shown = Array.from({ length: L }, (_, k) => xt[at + k]).join(' ');
        throw new OracleError(`x_t = (${shown}) at t = ${t}: the other positions than ${i} have probability 0 under the data law (give the law full support)`);
      }
      for (let v = 0; v < V; v++) out[i * V + v] = out[i * V + v]! / z;
    }
    return out;
  }

  /** The denoiser a kernel's loss trains towards: elboOptimal for `elbo`, the posterior for `ce` and `weighted_ce`. */
  denoiser(kind: 'elbo' | 'posterior', t: number, xt: ArrayLike<number>, at = 0): Float64Array {
    return kind === 'elbo' ? this.elboOptimal(t, xt, at) : this.posterior(t, xt, at);
  }
}
