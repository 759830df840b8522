// A synthetic source with an exact law and semantic structure built in (docs/eval.md, "Synthetic
// source and the error decomposition"): a first-order Markov chain over V tokens arranged in C
// clusters of W = V / C tokens. Token (c, w) has id c W + w and the name `cCCwWW`.
//
//   P(x -> x') = (1 - coupling) A[c(x), c(x')] B_{c(x')}(w(x'))  +  coupling R[x, x'],
//
// A the cluster-level transition matrix, B_c the fixed within-cluster law and R a token-level
// matrix: the cluster part makes the tokens of a cluster interchangeable as predecessors (what a
// semantic kernel exploits), the coupling keeps them only near-interchangeable. Every entry is
// positive (full support: every sequence has a finite log-probability, every noisy sequence a
// posterior). Sequences of L tokens start from the stationary law pi, so every position has law pi
// and every adjacent pair the law pi(u) P(u, v). Each token has an embedding: its cluster's centre
// plus a small offset, with a shared first component so that all cosines between tokens are >= 0.
// Everything is float64 and a deterministic function of the options.
import { mixSeed, mulberry32 } from '../../runtime/data/index.ts';

export class SyntheticError extends Error {
  override name = 'SyntheticError';
}

export interface MarkovSourceOptions {
  /** Seed of every random choice (matrices and embeddings). */
  seed?: number;
  /** Tokens (a multiple of `clusters`). */
  V?: number;
  /** Clusters. */
  clusters?: number;
  /** Sequence length. */
  L?: number;
  /** Share of each transition row that is token-specific (0: tokens of a cluster exactly interchangeable). */
  coupling?: number;
  /** Peakedness of the cluster-level and token-level rows: rows are softmax(sharpness z), z standard normal. */
  sharpness?: number;
  /** Peakedness of the within-cluster laws (softmax(within z)). */
  within?: number;
  /** Embedding dimension (the centre's directions; one shared component is added). */
  dim?: number;
  /** Norm of a token's offset from its cluster centre (the centre has norm about sqrt(2)). */
  spread?: number;
}

export const MARKOV_DEFAULTS: Required<MarkovSourceOptions> = { seed: 0, V: 48, clusters: 8, L: 16, coupling: 0.1, sharpness: 2, within: 1, dim: 16, spread: 0.15 };

/** Largest vocabulary: the exact quantities are O(V^2) per position (O(V^3) once for pi). */
export const MAX_SOURCE_V = 1024;

function check(o: Required<MarkovSourceOptions>): void {
  const int = (x: number, what: string, lo: number, hi: number) => {
    if (!(Number.isInteger(x) && x >= lo && x <= hi)) throw new SyntheticError(`the Markov source's ${what} must be a whole number in ${lo}..${hi}, got ${x}`);
  };
  int(o.seed, 'seed', 0, 2 ** 32 - 1);
  int(o.V, 'V', 2, MAX_SOURCE_V);
  int(o.clusters, 'clusters', 1, o.V);
  int(o.L, 'length L', 1, 1 << 16);
  int(o.dim, 'dim', 1, 4096);
  if (o.V % o.clusters !== 0) throw new SyntheticError(`the Markov source's V = ${o.V} is not a multiple of clusters = ${o.clusters} (every cluster has V / clusters tokens)`);
  if (!(o.coupling >= 0 && o.coupling <= 1)) throw new SyntheticError(`the Markov source's coupling must be in [0, 1], got ${o.coupling}`);
  for (const k of ['sharpness', 'within', 'spread'] as const) {
    if (!(Number.isFinite(o[k]) && o[k] >= 0)) throw new SyntheticError(`the Markov source's ${k} must be a finite number >= 0, got ${o[k]}`);
  }
}

/** Standard normals from a uniform stream (Box-Muller). */
function normals(u: () => number): () => number {
  let spare: number | null = null;
  return () => {
    if (spare !== null) {
      const s = spare;
      spare = null;
      return s;
    }
    const r = Math.sqrt(-2 * Math.log(u()));
    const a = 2 * Math.PI * u();
    spare = r * Math.sin(a);
    return r * Math.cos(a);
  };
}

/** softmax(scale z) over n fresh normals. */
function randomRow(n: number, scale: number, z: () => number): Float64Array {
  const r = Float64Array.from({ length: n }, () => scale * z());
  let mx = -Infinity;
  for (const x of r) mx = Math.max(mx, x);
  let s = 0;
  for (let i = 0; i < n; i++) s += r[i] = Math.exp(r[i]! - mx);
  for (let i = 0; i < n; i++) r[i] = r[i]! / s;
  return r;
}

/**
 * The stationary law of a row-stochastic V x V matrix: pi^T (P - I) = 0, sum pi = 1, by Gaussian
 * elimination with partial pivoting on P^T - I with its last row replaced by ones (unique for an
 * irreducible chain; every entry here is positive).
 */
export function stationaryLaw(P: Float64Array, V: number): Float64Array {
  const n = V;
  const M = new Float64Array(n * (n + 1));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) M[i * (n + 1) + j] = i === n - 1 ? 1 : P[j * n + i]! - (i === j ? 1 : 0);
    M[i * (n + 1) + n] = i === n - 1 ? 1 : 0;
  }
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r * (n + 1) + c]!) > Math.abs(M[p * (n + 1) + c]!)) p = r;
    if (Math.abs(M[p * (n + 1) + c]!) < 1e-300) throw new SyntheticError('the chain has no unique stationary law (a singular system)');
    if (p !== c) for (let j = 0; j <= n; j++) [M[c * (n + 1) + j], M[p * (n + 1) + j]] = [M[p * (n + 1) + j]!, M[c * (n + 1) + j]!];
    const piv = M[c * (n + 1) + c]!;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = M[r * (n + 1) + c]! / piv;
      if (f === 0) continue;
      for (let j = c; j <= n; j++) M[r * (n + 1) + j]! -= f * M[c * (n + 1) + j]!;
    }
  }
  const pi = Float64Array.from({ length: n }, (_, i) => Math.max(0, M[i * (n + 1) + n]! / M[i * (n + 1) + i]!));
  let s = 0;
  for (const x of pi) s += x;
  for (let i = 0; i < n; i++) pi[i] = pi[i]! / s;
  return pi;
}

function entropyOf(p: ArrayLike<number>, at = 0, n = p.length): number {
  let h = 0;
  for (let i = 0; i < n; i++) {
    const x = p[at + i]!;
    if (x > 0) h -= x * Math.log(x);
  }
  return h;
}

export class MarkovSource {
  readonly options: Readonly<Required<MarkovSourceOptions>>;
  readonly V: number;
  readonly C: number;
  /** Tokens per cluster. */
  readonly W: number;
  readonly L: number;
  /** Row-major V x V transition matrix P(u, v). */
  readonly P: Float64Array;
  /** log P (every entry is finite). */
  readonly logP: Float64Array;
  /** The stationary law (the law of every position). */
  readonly pi: Float64Array;
  readonly logPi: Float64Array;
  /** The cluster-level matrix A (C x C) and the within-cluster laws B (C x W). */
  readonly A: Float64Array;
  readonly B: Float64Array;
  /** Token embeddings, row-major [V, d], d = dim + 1. */
  readonly embeddings: Float64Array;
  readonly d: number;

  constructor(options: MarkovSourceOptions = {}) {
    const o = { ...MARKOV_DEFAULTS, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) } as Required<MarkovSourceOptions>;
    check(o);
    this.options = Object.freeze(o);
    const V = (this.V = o.V);
    const C = (this.C = o.clusters);
    const W = (this.W = V / C);
    this.L = o.L;
    // Separate streams, so that changing one part (say the embedding dimension) keeps the chain.
    const chain = normals(mulberry32(mixSeed(o.seed, 1), { open: true }));
    this.A = new Float64Array(C * C);
    for (let c = 0; c < C; c++) this.A.set(randomRow(C, o.sharpness, chain), c * C);
    this.B = new Float64Array(C * W);
    for (let c = 0; c < C; c++) this.B.set(randomRow(W, o.within, chain), c * W);
    this.P = new Float64Array(V * V);
    for (let u = 0; u < V; u++) {
      const R = randomRow(V, o.sharpness, chain);
      const cu = Math.floor(u / W);
      for (let v = 0; v < V; v++) {
        const cv = Math.floor(v / W);
        this.P[u * V + v] = (1 - o.coupling) * this.A[cu * C + cv]! * this.B[cv * W + (v % W)]! + o.coupling * R[v]!;
      }
    }
    this.logP = Float64Array.from(this.P, Math.log);
    this.pi = stationaryLaw(this.P, V);
    this.logPi = Float64Array.from(this.pi, Math.log);
    const emb = normals(mulberry32(mixSeed(o.seed, 2), { open: true }));
    const d = (this.d = o.dim + 1);
    const centres = new Float64Array(C * d);
    for (let c = 0; c < C; c++) {
      // Shared first component 1 and a unit direction: cosines between centres are (1 + cos z) / 2 >= 0.
      const z = Float64Array.from({ length: o.dim }, () => emb());
      const n = Math.hypot(...z);
      centres[c * d] = 1;
      for (let j = 0; j < o.dim; j++) centres[c * d + 1 + j] = z[j]! / n;
    }
    this.embeddings = new Float64Array(V * d);
    for (let v = 0; v < V; v++) {
      const c = Math.floor(v / W);
      const off = Float64Array.from({ length: o.dim }, () => emb());
      const n = Math.hypot(...off) || 1;
      this.embeddings[v * d] = 1;
      for (let j = 0; j < o.dim; j++) this.embeddings[v * d + 1 + j] = centres[c * d + 1 + j]! + (o.spread * off[j]!) / n;
    }
  }

  clusterOf(v: number): number {
    return Math.floor(v / this.W);
  }

  /** The name of token v: `c` + cluster, `w` + index within the cluster, two digits each at least. */
  tokenName(v: number): string {
    const pad = (x: number, n: number) => String(x).padStart(Math.max(2, String(n - 1).length), '0');
    return `c${pad(this.clusterOf(v), this.C)}w${pad(v % this.W, this.W)}`;
  }

  /** The token of a name, or undefined. */
  tokenOf(name: string): number | undefined {
    const m = /^c(\d+)w(\d+)$/.exec(name);
    if (!m) return undefined;
    const v = Number(m[1]) * this.W + Number(m[2]);
    return Number(m[1]) < this.C && Number(m[2]) < this.W && this.tokenName(v) === name ? v : undefined;
  }

  /** Entropy rate: sum_u pi(u) H(P(u, .)) (nats per transition). */
  entropyRate(): number {
    let h = 0;
    for (let u = 0; u < this.V; u++) h += this.pi[u]! * entropyOf(this.P, u * this.V, this.V);
    return h;
  }

  /** H(x_{1:n}) = H(pi) + (n - 1) * entropy rate, exactly (nats); n defaults to L. */
  sequenceEntropy(n = this.L): number {
    return entropyOf(this.pi) + (n - 1) * this.entropyRate();
  }

  /** H(x_{1:L}) / L: the data law's F (nats per token). */
  entropyPerToken(): number {
    return this.sequenceEntropy() / this.L;
  }

  /** log p(x) of a sequence (any length >= 1) of tokens 0..V-1 starting at `at`. */
  logProb(x: ArrayLike<number>, at = 0, n = this.L): number {
    let s = this.logPi[this.token(x[at]!)]!;
    for (let i = 1; i < n; i++) s += this.logP[this.token(x[at + i - 1]!) * this.V + this.token(x[at + i]!)]!;
    return s;
  }

  /** The law of an adjacent pair (u, v), pi(u) P(u, v), row-major V x V (the same at every position). */
  pairLaw(): Float64Array {
    const out = new Float64Array(this.V * this.V);
    for (let u = 0; u < this.V; u++) for (let v = 0; v < this.V; v++) out[u * this.V + v] = this.pi[u]! * this.P[u * this.V + v]!;
    return out;
  }

  /** n exact sequences of L tokens, row-major [n, L], from uniforms `u` in [0, 1). */
  sample(n: number, u: () => number): Int32Array {
    const { V, L } = this;
    const out = new Int32Array(n * L);
    const cum = (p: Float64Array, at: number) => {
      const r = u();
      let s = 0;
      for (let v = 0; v < V - 1; v++) if (r < (s += p[at + v]!)) return v;
      return V - 1;
    };
    for (let s = 0; s < n; s++) {
      let x = cum(this.pi, 0);
      out[s * L] = x;
      for (let i = 1; i < L; i++) out[s * L + i] = x = cum(this.P, x * V);
    }
    return out;
  }

  /** n exact sequences under a seed (host mulberry32). */
  sampleSeeded(n: number, seed: number): Int32Array {
    return this.sample(n, mulberry32(mixSeed(seed, 0x5a3b)));
  }

  private token(v: number): number {
    if (!(Number.isInteger(v) && v >= 0 && v < this.V)) throw new SyntheticError(`${v} is not a token of the Markov source (0..${this.V - 1})`);
    return v;
  }
}
