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

/** Sum_n w_n (start^T G^n) for a sparse start, on the support only (dense scratch, touched lists). */
function sparseSeries(iv: Interval, start: Sparse, H: number, dir: 'row' | 'col'): { v: Sparse; work: number } {
  const w = hopWeights(iv, H);
  const g = dir === 'row' ? iv.st.Abar : iv.st.AbarT;
  const V = iv.st.V;
  const out = new Float64Array(V);
  const inOut = new Uint8Array(V);
  const support: number[] = [];
  let cur = new Float64Array(V);
  let next = new Float64Array(V);
  let curList: number[] = [];
  const mark = new Uint8Array(V);
  for (const [x, v] of start) {
    cur[x] = v;
    curList.push(x);
    out[x] = w[0]! * v;
    inOut[x] = 1;
    support.push(x);
  }
  let work = 0;
  for (let n = 1; n < w.length; n++) {
    const nextList: number[] = [];
    for (const y of curList) {
      const v = cur[y]!;
      for (let p = g!.rowPtr[y]!; p < g!.rowPtr[y + 1]!; p++) {
        const u = g!.col[p]!;
        if (!mark[u]) {
          mark[u] = 1;
          nextList.push(u);
        }
        next[u]! += v * g!.w[p]!;
      }
      work += g!.rowPtr[y + 1]! - g!.rowPtr[y]!;
      cur[y] = 0;
    }
    for (const u of nextList) {
      mark[u] = 0;
      out[u]! += w[n]! * next[u]!;
      if (!inOut[u]) {
        inOut[u] = 1;
        support.push(u);
      }
    }
    [cur, next] = [next, cur];
    curList = nextList;
  }
  return { v: new Map(support.map((x) => [x, out[x]!])), work };
}

/** e_x^T R_H on its support (the H-hop out-ball of x). */
export function sparseWalkRow(iv: Interval, x: number, H: number): { v: Sparse; work: number } {
  return sparseSeries(iv, new Map([[x, 1]]), H, 'row');
}

/** R_H c on its support for a sparse c (the H-hop in-ball of c's support): entry y is sum_x sum_n Pois(n; L_a) Abar^n(y, x) c_x. */
export function sparseWalkCol(iv: Interval, c: number | Sparse, H: number): { v: Sparse; work: number } {
  return sparseSeries(iv, typeof c === 'number' ? new Map([[c, 1]]) : c, H, 'col');
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
  const V = iv.st.V;
  // level[x] = the smallest j with x in Ball_j; the balls are prefixes of `order`.
  const level = new Int32Array(V).fill(-1);
  const order: number[] = [];
  const ends: number[] = [];
  for (const y of targets) {
    if (level[y] === -1) {
      level[y] = 0;
      order.push(y);
    }
  }
  ends.push(order.length);
  for (let j = 1; j <= Hn; j++) {
    const from = j === 1 ? 0 : ends[j - 2]!;
    for (let i = from; i < ends[j - 1]!; i++) {
      const y = order[i]!;
      for (let q = AT!.rowPtr[y]!; q < AT!.rowPtr[y + 1]!; q++) {
        const x = AT!.col[q]!;
        if (level[x] === -1) {
          level[x] = j;
          order.push(x);
        }
      }
    }
    ends.push(order.length);
  }
  let cur = new Float64Array(V);
  let next = new Float64Array(V);
  for (let i = 0; i < ends[Hn]!; i++) cur[order[i]!] = p[order[i]!]!;
  const T = ends[0]!;
  const out = new Float64Array(T);
  for (let i = 0; i < T; i++) out[i] = w[0]! * p[order[i]!]!;
  let work = 0;
  for (let n = 1; n <= Hn; n++) {
    const m = ends[Hn - n]!;
    for (let i = 0; i < m; i++) {
      const y = order[i]!;
      let s = 0;
      for (let q = AT!.rowPtr[y]!; q < AT!.rowPtr[y + 1]!; q++) s += cur[AT!.col[q]!]! * AT!.w[q]!;
      work += AT!.rowPtr[y + 1]! - AT!.rowPtr[y]!;
      next[y] = s;
    }
    for (let i = 0; i < T; i++) out[i]! += w[n]! * next[order[i]!]!;
    [cur, next] = [next, cur];
  }
  return { v: new Map(order.slice(0, T).map((y, i) => [y, out[i]!])), work, ball: ends[Hn]! };
}

/** A draw from e_x^T R_H / |R_H|: N ~ Pois(L_a) conditioned on N <= H, then N hops of Abar. */
export function sampleTruncatedWalk(iv: Interval, x: number, H: number, rng: () => number): number {
  const w = hopWeights(iv, H);
  const N = w.length === 1 ? 0 : sampleCategorical(w, rng);
  for (let n = 0; n < N; n++) x = sampleStep(iv.st.Abar!, x, rng);
  return x;
}
