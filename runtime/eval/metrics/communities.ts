// Deterministic community detection on a kNN graph: Louvain (Blondel et al. 2008, "Fast unfolding
// of communities in large networks", J. Stat. Mech.), modularity with a resolution gamma, on the
// symmetrised graph W = (A + A^T) / 2 without self-loops. Nodes are visited in a seeded
// permutation (mulberry32), a node moves only for a strictly better gain, ties go to the
// community met first, so a (graph, seed) pair always gives the same partition; final labels are
// renumbered by first appearance in token order (0, 1, ...). docs/eval.md, "Community entropy".
import { MetricError } from './errors.ts';
import { checkMetricGraph, type MetricGraph } from './graph.ts';
import { mulberry32 } from '../../data/random.ts';

export interface CommunityOptions {
  /** Modularity resolution gamma (> 0; larger gives more, smaller communities). Default 1. */
  resolution?: number;
  /** Seed of the node visiting order. Default 0. */
  seed?: number;
  /** Use edge weights (default) or count every edge as 1. */
  weighted?: boolean;
}

export interface Communities {
  /** Community of each token, 0..count-1, numbered by first appearance in token order. */
  readonly label: Int32Array;
  readonly count: number;
  /** Modularity (with the resolution) of the partition on the symmetrised graph. */
  readonly modularity: number;
  /** Louvain levels (move phase + aggregation) run. */
  readonly levels: number;
}

/** A symmetric weighted graph in CSR; self-loops (aggregated inner weight) allowed. */
interface SymGraph {
  n: number;
  ptr: Int32Array;
  nbr: Int32Array;
  wt: Float64Array;
}


function fromAdjacency(adj: Array<Map<number, number>>): SymGraph {
  const n = adj.length;
  const ptr = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) ptr[i + 1] = ptr[i]! + adj[i]!.size;
  const nbr = new Int32Array(ptr[n]!);
  const wt = new Float64Array(ptr[n]!);
  for (let i = 0; i < n; i++) {
    let p = ptr[i]!;
    for (const [j, w] of [...adj[i]!.entries()].sort((a, b) => a[0] - b[0])) {
      nbr[p] = j;
      wt[p++] = w;
    }
  }
  return { n, ptr, nbr, wt };
}

function symmetrise(g: MetricGraph, V: number, weighted: boolean): SymGraph {
  const adj = Array.from({ length: V }, () => new Map<number, number>());
  for (let v = 0; v < V; v++) {
    for (let j = g.rowPtr[v]!; j < g.rowPtr[v + 1]!; j++) {
      const u = g.col[j]!;
      if (u === v) continue;
      const w = (weighted ? g.w[j]! : 1) / 2;
      if (w === 0) continue;
      adj[v]!.set(u, (adj[v]!.get(u) ?? 0) + w);
      adj[u]!.set(v, (adj[u]!.get(v) ?? 0) + w);
    }
  }
  return fromAdjacency(adj);
}

/** One move phase: returns each node's community (0..K-1, by first appearance) and K. */
function movePhase(G: SymGraph, m2: number, gamma: number, rand: () => number): { comm: Int32Array; K: number } {
  const { n, ptr, nbr, wt } = G;
  const k = new Float64Array(n);
  for (let i = 0; i < n; i++) for (let p = ptr[i]!; p < ptr[i + 1]!; p++) k[i]! += wt[p]!;
  const comm = Int32Array.from({ length: n }, (_, i) => i);
  const tot = Float64Array.from(k);
  const order = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  const wTo = new Float64Array(n);
  const isTouched = new Uint8Array(n);
  const touched: number[] = [];
  for (let pass = 0; pass < 1000; pass++) {
    let moved = false;
    for (const i of order) {
      const ci = comm[i]!;
      for (let p = ptr[i]!; p < ptr[i + 1]!; p++) {
        const j = nbr[p]!;
        if (j === i) continue;
        const c = comm[j]!;
        if (!isTouched[c]) {
          isTouched[c] = 1;
          touched.push(c);
        }
        wTo[c]! += wt[p]!;
      }
      tot[ci]! -= k[i]!;
      // Gain of joining c, up to terms that do not depend on c: k_i,c - gamma k_i tot_c / 2m.
      let best = ci;
      let bestGain = wTo[ci]! - (gamma * k[i]! * tot[ci]!) / m2;
      for (const c of touched) {
        const gain = wTo[c]! - (gamma * k[i]! * tot[c]!) / m2;
        if (gain - bestGain > 1e-12 * Math.max(1, Math.abs(bestGain))) {
          best = c;
          bestGain = gain;
        }
      }
      tot[best]! += k[i]!;
      if (best !== ci) {
        comm[i] = best;
        moved = true;
      }
      for (const c of touched) {
        wTo[c] = 0;
        isTouched[c] = 0;
      }
      touched.length = 0;
    }
    if (!moved) break;
  }
  const renum = new Int32Array(n).fill(-1);
  let K = 0;
  for (let i = 0; i < n; i++) {
    const c = comm[i]!;
    if (renum[c] === -1) renum[c] = K++;
    comm[i] = renum[c]!;
  }
  return { comm, K };
}

function aggregate(G: SymGraph, comm: Int32Array, K: number): SymGraph {
  const adj = Array.from({ length: K }, () => new Map<number, number>());
  for (let i = 0; i < G.n; i++) {
    const a = adj[comm[i]!]!;
    for (let p = G.ptr[i]!; p < G.ptr[i + 1]!; p++) {
      const c = comm[G.nbr[p]!]!;
      a.set(c, (a.get(c) ?? 0) + G.wt[p]!);
    }
  }
  return fromAdjacency(adj);
}

/** Q = sum_c [ in_c / 2m - gamma (tot_c / 2m)^2 ] on the symmetrised graph. */
function modularity(G: SymGraph, label: Int32Array, K: number, m2: number, gamma: number): number {
  if (m2 === 0) return 0;
  const inner = new Float64Array(K);
  const tot = new Float64Array(K);
  for (let i = 0; i < G.n; i++) {
    for (let p = G.ptr[i]!; p < G.ptr[i + 1]!; p++) {
      tot[label[i]!]! += G.wt[p]!;
      if (label[G.nbr[p]!] === label[i]) inner[label[i]!]! += G.wt[p]!;
    }
  }
  let q = 0;
  for (let c = 0; c < K; c++) q += inner[c]! / m2 - gamma * (tot[c]! / m2) ** 2;
  return q;
}

/** Louvain communities of a kNN graph (see the file comment for the exact procedure). */
export function detectCommunities(g: MetricGraph, opts: CommunityOptions = {}): Communities {
  const V = checkMetricGraph('communities', g);
  const gamma = opts.resolution ?? 1;
  if (!(gamma > 0 && Number.isFinite(gamma))) throw new MetricError('communities', `resolution must be a finite number > 0, got ${gamma}`);
  const seed = opts.seed ?? 0;
  if (!Number.isInteger(seed)) throw new MetricError('communities', `seed must be an integer, got ${seed}`);
  const base = symmetrise(g, V, opts.weighted ?? true);
  let m2 = 0;
  for (const w of base.wt) m2 += w;
  const label = Int32Array.from({ length: V }, (_, i) => i);
  if (m2 === 0) return { label, count: V, modularity: 0, levels: 0 };
  const rand = mulberry32(seed);
  let G = base;
  let levels = 0;
  for (;;) {
    const { comm, K } = movePhase(G, m2, gamma, rand);
    levels++;
    for (let v = 0; v < V; v++) label[v] = comm[label[v]!]!;
    if (K === G.n) break;
    G = aggregate(G, comm, K);
  }
  // Canonical numbering: by first appearance in token order.
  const renum = new Map<number, number>();
  for (let v = 0; v < V; v++) {
    const c = label[v]!;
    if (!renum.has(c)) renum.set(c, renum.size);
    label[v] = renum.get(c)!;
  }
  return { label, count: renum.size, modularity: modularity(base, label, renum.size, m2, gamma), levels };
}
