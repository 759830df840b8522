// The mutual_info schedule (docs/math.md §3.2): Lambda(t) such that the normalised mutual information
// between x0 ~ p (unigram, else uniform) and x_t falls linearly from 1 at t = 0 to eps at t = 1,
//   NMI(Lambda) = I(x0; x_t) / H(x0) = e^{-s_m Lambda} sum_x0 p(x0) KL(r_x0 || rbar) / H(p),
// for a kernel whose channels are constant shares s_c of Lambda. r_x0 is the real-token row of the
// non-mask process, rbar = p^T r its marginal (the mask only scales the information, §3.2).
// NMI is evaluated on a grid of Lambda by streaming hop vectors e_x0^T Abar^n once per x0 for all grid
// points at once, then inverted monotonically. x0 runs over every token (exact) for small V, and
// over a seeded, stratified (randomised-QMC) sample of the unigram CDF otherwise.
import { philox4x32_10, randOpen01, seedKey } from '../../gpu/philox.ts';
import { vecMat, type SparseGraph } from './graph.ts';
import { monotoneCubic } from './monotone.ts';
import { poissonCutoff, poissonTails, poissonWeights } from './poisson.ts';

/** A kernel reduced to what the mutual information needs: constant shares of one schedule. */
export interface ShareKernel {
  V: number;
  /** Sum of the mask channels' shares. */
  sm: number;
  resets: Array<{ share: number; pi: Float64Array }>;
  /** Sum of the jump channels' shares, and their mixture graph sum_g s_g A_g / s_a. */
  sa: number;
  A: SparseGraph | null;
}

export interface MutualInfoOptions {
  eps: number;
  intervals: number;
  exactMaxV: number;
  polishMaxV: number;
  samples: number;
  seed: number;
  maxLambda: number;
}

export class MutualInfoError extends Error {
  override readonly name = 'MutualInfoError';
}

const REPLICATES = 4;

export interface XSet {
  x0: Int32Array;
  /** Weight of each x0 in its replicate (each replicate's weights sum to 1). */
  w: Float64Array;
  /** Replicate index of each x0. */
  rep: Int32Array;
  replicates: number;
}

export function entropy(p: Float64Array): number {
  let h = 0;
  for (const x of p) if (x > 0) h -= x * Math.log(x);
  return h;
}

/** Every token with p > 0, weighted by p (one replicate). */
export function exactSet(p: Float64Array): XSet {
  const idx: number[] = [];
  p.forEach((x, i) => x > 0 && idx.push(i));
  return { x0: Int32Array.from(idx), w: Float64Array.from(idx, (i) => p[i]!), rep: new Int32Array(idx.length), replicates: 1 };
}

/**
 * R replicates of n / R systematic draws from the CDF of p over tokens sorted by probability
 * (stratified by frequency), each replicate with its own Philox-seeded shift; repeats merged.
 */
export function sampledSet(p: Float64Array, n: number, seed: number): XSet {
  const order = Array.from(p, (_, i) => i).sort((a, b) => p[b]! - p[a]! || a - b);
  const cdf = new Float64Array(order.length);
  let acc = 0;
  order.forEach((v, i) => (cdf[i] = acc += p[v]!));
  const per = Math.max(1, Math.floor(n / REPLICATES));
  const x0: number[] = [], w: number[] = [], rep: number[] = [];
  const key = seedKey(seed);
  for (let r = 0; r < REPLICATES; r++) {
    const [a, b] = philox4x32_10([r, 0x6d69, 0, 0], key);
    const shift = randOpen01(a, b);
    const counts = new Map<number, number>();
    let j = 0;
    for (let i = 0; i < per; i++) {
      const u = ((i + shift) / per) * acc;
      while (j < cdf.length - 1 && cdf[j]! < u) j++;
      const v = order[j]!;
      counts.set(v, (counts.get(v) ?? 0) + 1);
    }
    for (const [v, c] of counts) {
      x0.push(v);
      w.push(c / per);
      rep.push(r);
    }
  }
  return { x0: Int32Array.from(x0), w: Float64Array.from(w), rep: Int32Array.from(rep), replicates: REPLICATES };
}

interface GridPoint {
  Lu: number;
  La: number;
  eu: number;
  /** Hop weights Pois(n; La) on [lo, hi]. */
  w: Float64Array;
  lo: number;
  hi: number;
}

/** x0 values processed together: their hop vectors share each pass over the graph. */
const BATCH = 16;

/**
 * sum over x0 in the set (per replicate) of w(x0) KL(r_x0 || rbar) at every schedule value in Ls,
 * without the mask factor: out[r * G + g]. Hop series are cut where the Poisson tail is below `tail`.
 */
export function realInformation(k: ShareKernel, p: Float64Array, set: XSet, Ls: Float64Array, tail: number): Float64Array {
  const V = k.V;
  const G = Ls.length;
  const su = k.resets.reduce((s, r) => s + r.share, 0);
  const grid: GridPoint[] = Array.from(Ls, (L) => {
    const La = k.A ? k.sa * L : 0;
    const hi = poissonCutoff(La, tail);
    const w = poissonWeights(La, hi);
    let lo = 0;
    let below = 0;
    while (lo < hi && below + w[lo]! <= tail) below += w[lo++]!;
    return { Lu: su * L, La, eu: Math.exp(-su * L), w, lo, hi };
  });
  const maxHop = Math.max(0, ...grid.map((g) => g.hi));
  // rho_g = sum_j sum_n W_{g,j,n} pi_j^T Abar^n, W closed-form (docs/math.md §1.5).
  const rho = Array.from({ length: G }, () => new Float64Array(V));
  for (const r of k.resets) {
    const W = grid.map((g) => {
      if (g.Lu === 0) return new Float64Array(1);
      const X = g.Lu + g.La;
      const N = k.A ? poissonCutoff(X, tail) : 0;
      const tails = poissonTails(X, N);
      const out = new Float64Array(N + 1);
      let pow = (r.share * (g.Lu / su)) / X;
      for (let n = 0; n <= N; n++) {
        out[n] = pow * tails[n]!;
        pow *= g.La / X;
      }
      return out;
    });
    const N = Math.max(...W.map((x) => x.length - 1));
    stream(k, r.pi, 1, N, (n, y) => {
      W.forEach((Wg, g) => {
        const c = Wg[n] ?? 0;
        if (c !== 0) axpy(c, y, rho[g]!);
      });
    });
  }
  // rbar_g = e^{-Lu} p^T P^a + rho_g.
  const rbar = rho.map((r) => Float64Array.from(r));
  stream(k, p, 1, maxHop, (n, y) => grid.forEach((g, gi) => n >= g.lo && n <= g.hi && axpy(g.eu * g.w[n]!, y, rbar[gi]!)));
  const out = new Float64Array(set.replicates * G);
  const acc = Array.from({ length: G }, () => new Float64Array(V * BATCH));
  const e = new Float64Array(V * BATCH);
  for (let s0 = 0; s0 < set.x0.length; s0 += BATCH) {
    const B = Math.min(BATCH, set.x0.length - s0);
    for (const a of acc) a.fill(0);
    e.fill(0);
    for (let b = 0; b < B; b++) e[set.x0[s0 + b]! * BATCH + b] = 1;
    stream(k, e, BATCH, maxHop, (n, y) => {
      grid.forEach((g, gi) => {
        if (n >= g.lo && n <= g.hi) axpy(g.w[n]!, y, acc[gi]!);
      });
    });
    grid.forEach((g, gi) => {
      const a = acc[gi]!, rh = rho[gi]!, rb = rbar[gi]!;
      for (let b = 0; b < B; b++) {
        let kl = 0;
        for (let i = 0; i < V; i++) {
          const q = g.eu * a[i * BATCH + b]! + rh[i]!;
          if (q > 0) kl += q * Math.log(q / rb[i]!);
        }
        const s = s0 + b;
        out[set.rep[s]! * G + gi]! += set.w[s]! * Math.max(0, kl);
      }
    });
  }
  return out;
}

function axpy(c: number, x: Float64Array, y: Float64Array): void {
  for (let i = 0; i < x.length; i++) y[i]! += c * x[i]!;
}

/** out = Y Abar for B row vectors stored interleaved (Y[i * B + b]); rows of Y that are all zero are skipped. */
function vecMatBatch(A: SparseGraph, Y: Float64Array, Z: Float64Array, B: number): void {
  Z.fill(0);
  const { rowPtr, col, w } = A;
  for (let i = 0; i < A.V; i++) {
    const base = i * B;
    let any = false;
    for (let b = 0; b < B; b++) if (Y[base + b] !== 0) {
      any = true;
      break;
    }
    if (!any) continue;
    for (let q = rowPtr[i]!; q < rowPtr[i + 1]!; q++) {
      const j = col[q]! * B;
      const x = w[q]!;
      for (let b = 0; b < B; b++) Z[j + b]! += x * Y[base + b]!;
    }
  }
}

/** Calls f(n, Y Abar^n) for n = 0..N, Y holding B interleaved row vectors. */
function stream(k: ShareKernel, v: Float64Array, B: number, N: number, f: (n: number, y: Float64Array) => void): void {
  let y = Float64Array.from(v);
  let z = new Float64Array(y.length);
  for (let n = 0; n <= N; n++) {
    f(n, y);
    if (n === N || !k.A) break;
    if (B === 1) vecMat(k.A, y, z);
    else vecMatBatch(k.A, y, z, B);
    [y, z] = [z, y];
  }
}

export interface MutualInfoTable {
  t: Float64Array;
  Lambda: Float64Array;
  nmi: Float64Array;
  stdErr: Float64Array;
  method: 'exact' | 'monte-carlo';
  samples: number;
  entropy: number;
  polished: boolean;
}

/** NMI at each schedule value (mask factor included), and its replicate standard error. */
function nmiCurve(k: ShareKernel, p: Float64Array, set: XSet, Ls: Float64Array, base: Float64Array, tail: number): { nmi: Float64Array; se: Float64Array } {
  const G = Ls.length;
  const info = realInformation(k, p, set, Ls, tail);
  const nmi = new Float64Array(G);
  const se = new Float64Array(G);
  const R = set.replicates;
  for (let g = 0; g < G; g++) {
    const mask = Math.exp(-k.sm * Ls[g]!);
    // Ratio estimator: each replicate's information over its own estimate of H(x0) = I at Lambda = 0.
    const ratios = Array.from({ length: R }, (_, r) => (mask * info[r * G + g]!) / base[r]!);
    const mean = ratios.reduce((a, b) => a + b, 0) / R;
    nmi[g] = mean;
    if (R > 1) se[g] = Math.sqrt(ratios.reduce((a, b) => a + (b - mean) ** 2, 0) / (R - 1) / R);
  }
  return { nmi, se };
}

/** Exact evaluation: hop series to a 1e-17 tail; Monte-Carlo: 1e-12 (far below the sampling error). */
const TAIL_EXACT = 1e-17;
const TAIL_MC = 1e-12;
/** Lambda grid points: many when exact (and cheap), fewer when each costs a pass over sampled rows. */
const GRID_EXACT = 72;
const GRID_MC = 16;

export function mutualInfoSchedule(k: ShareKernel, p: Float64Array, o: MutualInfoOptions): MutualInfoTable {
  if (!(o.eps > 0 && o.eps < 1)) throw new MutualInfoError(`mutual_info needs 0 < eps < 1, got ${o.eps}`);
  const H = entropy(p);
  if (!(H > 0)) throw new MutualInfoError('mutual_info needs an x0 law with positive entropy (more than one token with mass)');
  const exact = k.V <= o.exactMaxV;
  const tail = exact ? TAIL_EXACT : TAIL_MC;
  const set = exact ? exactSet(p) : sampledSet(p, o.samples, o.seed);
  // Each replicate's estimate of H(x0): its information at Lambda = 0.
  const base = realInformation(k, p, set, new Float64Array([0]), tail);
  const su = k.resets.reduce((s, r) => s + r.share, 0);
  // The range: masks and resets bound NMI by e^{-(s_m + s_u) Lambda} (docs/math.md §3.2); below that
  // bound, double Lambda until NMI <= eps on the x0 set (a jump-only kernel has no bound).
  const bound = k.sm + su > 0 ? (Math.log(1 / o.eps) / (k.sm + su)) * (1 + 1e-9) : Infinity;
  const at = (L: number) => nmiCurve(k, p, set, new Float64Array([L]), base, tail).nmi[0]!;
  // The search runs on the first replicate only (a quarter of the samples), at the geometric points
  // 0.5 * 1.5^i up to a cap in one streaming pass (then a cap 4 times larger, ...); the grid pass
  // below extends the range if the whole set needs more.
  const pilot = exact ? set : firstReplicate(set);
  const pilotBase = exact ? base : base.subarray(0, 1);
  const limit = Math.min(o.maxLambda, bound);
  let Lhi = NaN;
  let lastNmi = 1;
  for (let cap = Math.min(16, limit), from = 0.5; ; cap = Math.min(4 * cap, limit)) {
    const pts: number[] = [];
    for (let L = from; L < cap; L *= 1.5) pts.push(L);
    pts.push(cap);
    const { nmi: y } = nmiCurve(k, p, pilot, Float64Array.from(pts), pilotBase, tail);
    const i = y.findIndex((v) => v <= o.eps);
    if (i >= 0) {
      Lhi = pts[i]!;
      break;
    }
    lastNmi = y[y.length - 1]!;
    if (cap >= limit) {
      if (cap === bound) Lhi = bound;
      break;
    }
    from = cap * 1.5;
  }
  if (Number.isNaN(Lhi))
    throw new MutualInfoError(
      `mutual_info: the normalised mutual information is still ${lastNmi.toPrecision(3)} at Lambda = ${limit} (target eps = ${o.eps}); ` +
        'the jump graph mixes too slowly or is disconnected. Add a reset channel, raise eps, or raise maxLambda.',
    );
  // Grid in Lambda, denser near 0 where NMI falls fastest.
  const GRID = exact ? GRID_EXACT : GRID_MC;
  const kappa = 4;
  const Ls: Float64Array = Float64Array.from({ length: GRID + 1 }, (_, i) => (Lhi * Math.expm1((kappa * i) / GRID)) / Math.expm1(kappa));
  let { nmi, se } = nmiCurve(k, p, set, Ls, base, tail);
  while (nmi[GRID]! > o.eps) {
    // The whole set needs a little more than the pilot did: extend the grid by half.
    if (Lhi >= Math.min(o.maxLambda, bound)) throw new MutualInfoError(`mutual_info: NMI is still ${nmi[GRID]!.toPrecision(3)} at Lambda = ${Lhi}; raise maxLambda`);
    Lhi = Math.min(1.5 * Lhi, o.maxLambda, bound);
    for (let i = 0; i <= GRID; i++) Ls[i] = (Lhi * Math.expm1((kappa * i) / GRID)) / Math.expm1(kappa);
    ({ nmi, se } = nmiCurve(k, p, set, Ls, base, tail));
  }
  // Invert: Lambda as a monotone function of u = -log NMI (strictly increasing where NMI falls).
  const us: number[] = [], ls: number[] = [], ses: number[] = [];
  for (let i = 0; i <= GRID; i++) {
    const u = -Math.log(Math.max(nmi[i]!, 1e-300));
    if (us.length && u <= us[us.length - 1]!) continue;
    us.push(u);
    ls.push(Ls[i]!);
    ses.push(se[i]!);
  }
  if (us.length < 2) throw new MutualInfoError('mutual_info: the kernel does not reduce the mutual information (no channel mixes tokens)');
  const inv = monotoneCubic(Float64Array.from(us), Float64Array.from(ls));
  const t = scheduleNodes(o.eps, o.intervals);
  const T = t.length - 1;
  const target = (ti: number) => 1 - (1 - o.eps) * ti;
  const Lambda = t.map((ti) => (ti === 0 ? 0 : inv.value(-Math.log(target(ti)))));
  const polished = exact && k.V <= o.polishMaxV;
  if (polished) for (let i = 1; i <= T; i++) Lambda[i] = solveDecreasing(at, target(t[i]!), Ls, nmi, Lambda[i]!);
  for (let i = 1; i <= T; i++) Lambda[i] = Math.max(Lambda[i]!, Lambda[i - 1]!);
  // What the table achieves at its nodes: exact evaluation when exact, else the sampled curve
  // (interpolated in Lambda) with its replicate standard error.
  let out: { nmi: Float64Array; se: Float64Array };
  if (exact) out = nmiCurve(k, p, set, Lambda, base, tail);
  else {
    const seCurve = linearInterp(Float64Array.from(ls), Float64Array.from(ses));
    out = { nmi: Lambda.map((L) => Math.exp(-invert(inv, L))), se: Lambda.map((L) => seCurve(L)) };
  }
  return { t, Lambda, nmi: out.nmi, stdErr: out.se, method: exact ? 'exact' : 'monte-carlo', samples: set.x0.length, entropy: H, polished };
}

function firstReplicate(set: XSet): XSet {
  const idx: number[] = [];
  set.rep.forEach((r, i) => r === 0 && idx.push(i));
  return { x0: Int32Array.from(idx, (i) => set.x0[i]!), w: Float64Array.from(idx, (i) => set.w[i]!), rep: new Int32Array(idx.length), replicates: 1 };
}

/** u with inv(u) = L, inv increasing (bisection on the interpolant). */
function invert(inv: { value(u: number): number; x: Float64Array }, L: number): number {
  let lo = inv.x[0]!, hi = inv.x[inv.x.length - 1]!;
  for (let it = 0; it < 100; it++) {
    const m = 0.5 * (lo + hi);
    if (inv.value(m) < L) lo = m;
    else hi = m;
  }
  return 0.5 * (lo + hi);
}

/** Piecewise-linear interpolation (for standard errors, which need not be monotone). */
function linearInterp(x: Float64Array, y: Float64Array): (t: number) => number {
  return (t) => {
    if (t <= x[0]!) return y[0]!;
    for (let i = 1; i < x.length; i++) if (t <= x[i]!) return y[i - 1]! + ((y[i]! - y[i - 1]!) * (t - x[i - 1]!)) / (x[i]! - x[i - 1]!);
    return y[y.length - 1]!;
  };
}

/** Root of f(L) = y for f decreasing, bracketed from the grid, by the Illinois method to 1e-15. */
function solveDecreasing(f: (L: number) => number, y: number, Ls: Float64Array, vals: Float64Array, guess: number): number {
  let i = 0;
  while (i < Ls.length - 1 && vals[i + 1]! > y) i++;
  let a = Ls[i]!, fa = vals[i]! - y;
  let b = Ls[Math.min(i + 1, Ls.length - 1)]!, fb = vals[Math.min(i + 1, Ls.length - 1)]! - y;
  if (!(fa >= 0 && fb <= 0)) return guess;
  let x = Math.min(Math.max(guess, a), b);
  let fx = f(x) - y;
  if (fx > 0) [a, fa] = [x, fx];
  else [b, fb] = [x, fx];
  let side = 0;
  for (let it = 0; it < 80 && Math.abs(fx) > 1e-15 && b - a > 1e-15 * Math.max(1, b); it++) {
    x = (a * fb - b * fa) / (fb - fa);
    fx = f(x) - y;
    if (fx > 0) {
      [a, fa] = [x, fx];
      if (side === 1) fb /= 2;
      side = 1;
    } else {
      [b, fb] = [x, fx];
      if (side === -1) fa /= 2;
      side = -1;
    }
  }
  return x;
}

/**
 * Table nodes: `intervals` uniform steps in t, merged with `intervals / 2` uniform steps in the
 * information clock u = -log(1 - (1 - eps) t) (which crowds nodes near t = 1, where Lambda(t) has a
 * log-like rise) and 12 geometric nodes 2^-j / intervals near t = 0, duplicates dropped.
 */
export function scheduleNodes(eps: number, intervals: number): Float64Array {
  const U = -Math.log(eps);
  const ts = new Set<number>();
  for (let i = 0; i <= intervals; i++) ts.add(i / intervals);
  const n = Math.max(1, Math.floor(intervals / 2));
  for (let j = 1; j < n; j++) ts.add(-Math.expm1((-U * j) / n) / (1 - eps));
  // Near t = 0 a jump or reset kernel has Lambda ~ t / log(1/t): geometric nodes resolve it (not
  // finer than 2^-12 / intervals, where the root-finding tolerance would start to show in the slopes).
  for (let j = 1; j <= 12; j++) ts.add(2 ** -j / intervals);
  const sorted = [...ts].sort((a, b) => a - b);
  const out: number[] = [];
  for (const x of sorted) if (!out.length || x - out[out.length - 1]! > 1e-14) out.push(x);
  out[out.length - 1] = 1;
  return Float64Array.from(out);
}

/**
 * The schedule between nodes: a monotone cubic F in the information clock u(t) = -log(1 - (1 - eps) t),
 * Lambda(t) = F(u(t)), sigma(t) = F'(u) u'(t). Masking's mutual_info schedule is F(u) = u (loglinear)
 * and is reproduced exactly; for any kernel F is close to linear for large u (docs/math.md §3.2).
 */
export function scheduleCurve(eps: number, t: Float64Array, Lambda: Float64Array): { value(t: number): number; slope(t: number): number } {
  const c = 1 - eps;
  const u = (x: number) => -Math.log1p(-c * x);
  const F = monotoneCubic(t.map(u), Lambda);
  const clamp = (x: number) => Math.min(1, Math.max(0, x));
  return {
    value: (x) => F.value(u(clamp(x))),
    slope: (x) => F.slope(u(clamp(x))) * (c / (1 - c * clamp(x))),
  };
}
