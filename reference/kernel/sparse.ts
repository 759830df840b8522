// Sparse actions of the jump-only propagator R_H = sum_{n<=H} Pois(n; L_a) Abar^n (docs/math.md §2.7):
// what the sparse training loss and the sparse reverse step need instead of a dense p_hat^T P_t.
//
// - sparseWalkRow / sparseWalkCol: e_x^T R_H and R_H e_x, H hops from a one-hot start, on its support;
// - prunedWalkRow: (p^T R_H)(y) for a few targets y and a dense p, propagating p only on the in-balls
//   of the targets (hop n computes the nodes within H - n in-hops of some target);
// - sampleTruncatedWalk: a draw from e_x^T R_H / |R_H| (N ~ Pois(L_a) given N <= H, then N hops).
// Each returns the work it did (gathered multiply-adds), which is what the GPU pays.
import { poissonWeights } from '../math/special.ts';
import type { Interval } from './interval.ts';
import { sampleCategorical, sampleStep } from './sample.ts';
import { ReferenceKernelError } from './errors.ts';

/** A sparse vector: token -> value. */
export type Sparse = Map<number, number>;

/** The hop weights Pois(n; L_a), n = 0..H, of an interval; [1] when it has no jumps. */
export function hopWeights(iv: Interval, H: number): Float64Array {
  if (!iv.st.hopExpansion) throw new ReferenceKernelError('the sparse quantities need the hop expansion (one fixed mixture graph, docs/math.md §1.4)');
  if (iv.La === 0 || !iv.st.Abar) return Float64Array.of(1);
  return poissonWeights(iv.La, H);
}

/** The real mass of a truncated walk row: sum_{n<=H} Pois(n; L_a) (rows of Abar sum to 1). */
export function walkMass(iv: Interval, H: number): number {
  let s = 0;
  for (const w of hopWeights(iv, H)) s += w;
  return s;
}

function oneHotSeries(iv: Interval, x: number, H: number, dir: 'row' | 'col'): { v: Sparse; work: number } {
  const w = hopWeights(iv, H);
  const g = dir === 'row' ? iv.st.Abar : iv.st.AbarT;
  const out: Sparse = new Map([[x, w[0]!]]);
  let cur: Sparse = new Map([[x, 1]]);
  let work = 0;
  for (let n = 1; n < w.length; n++) {
    const next: Sparse = new Map();
    for (const [y, v] of cur) {
      for (let p = g!.rowPtr[y]!; p < g!.rowPtr[y + 1]!; p++) {
        const u = g!.col[p]!;
        next.set(u, (next.get(u) ?? 0) + v * g!.w[p]!);
      }
      work += g!.rowPtr[y + 1]! - g!.rowPtr[y]!;
    }
    for (const [u, v] of next) out.set(u, (out.get(u) ?? 0) + w[n]! * v);
    cur = next;
  }
  return { v: out, work };
}

/** e_x^T R_H on its support (the H-hop out-ball of x). */
export function sparseWalkRow(iv: Interval, x: number, H: number): { v: Sparse; work: number } {
  return oneHotSeries(iv, x, H, 'row');
}

/** R_H e_x on its support (the H-hop in-ball of x): entry y is sum_n Pois(n; L_a) Abar^n(y, x). */
export function sparseWalkCol(iv: Interval, x: number, H: number): { v: Sparse; work: number } {
  return oneHotSeries(iv, x, H, 'col');
}

/**
 * (p^T R_H)(y) for every y in `targets`, with p dense over the real tokens. Ball_0 = targets,
 * Ball_{j+1} = Ball_j and the in-neighbours of its nodes; hop n of p^T Abar^n is computed on
 * Ball_{H-n} only, which holds every node that a later hop reads.
 */
export function prunedWalkRow(iv: Interval, p: ArrayLike<number>, targets: Iterable<number>, H: number): { v: Sparse; work: number; ball: number } {
  const w = hopWeights(iv, H);
  const Hn = w.length - 1;
  const AT = iv.st.AbarT;
  const balls: number[][] = [[...new Set(targets)]];
  const seen = new Set(balls[0]);
  for (let j = 1; j <= Hn; j++) {
    const next = [...balls[j - 1]!];
    for (const y of balls[j - 1]!) {
      for (let q = AT!.rowPtr[y]!; q < AT!.rowPtr[y + 1]!; q++) {
        const x = AT!.col[q]!;
        if (!seen.has(x)) {
          seen.add(x);
          next.push(x);
        }
      }
    }
    balls.push(next);
  }
  let cur: Sparse = new Map(balls[Hn]!.map((x) => [x, p[x]!]));
  const out: Sparse = new Map(balls[0]!.map((y) => [y, w[0]! * p[y]!]));
  let work = 0;
  for (let n = 1; n <= Hn; n++) {
    const next: Sparse = new Map();
    for (const y of balls[Hn - n]!) {
      let s = 0;
      for (let q = AT!.rowPtr[y]!; q < AT!.rowPtr[y + 1]!; q++) s += cur.get(AT!.col[q]!)! * AT!.w[q]!;
      work += AT!.rowPtr[y + 1]! - AT!.rowPtr[y]!;
      next.set(y, s);
    }
    for (const y of balls[0]!) out.set(y, out.get(y)! + w[n]! * next.get(y)!);
    cur = next;
  }
  return { v: out, work, ball: seen.size };
}

/** A draw from e_x^T R_H / |R_H|: N ~ Pois(L_a) conditioned on N <= H, then N hops of Abar. */
export function sampleTruncatedWalk(iv: Interval, x: number, H: number, rng: () => number): number {
  const w = hopWeights(iv, H);
  const N = w.length === 1 ? 0 : sampleCategorical(w, rng);
  for (let n = 0; n < N; n++) x = sampleStep(iv.st.Abar!, x, rng);
  return x;
}
