// Graph-aware measures of where samples go on the kNN graph of the SemDLM kernels:
// - the basin score: the share of generated tokens with a graph neighbour elsewhere in the same
//   sample (a token "in a basin" shares the sample with one of its kNN neighbours);
// - the community entropy: the entropy of the graph communities a sample's tokens fall in.
// docs/eval.md, "Basin score" and "Community entropy".
import { MetricError } from './errors.ts';
import { checkMetricGraph, type MetricGraph } from './graph.ts';
import { checkSamples, histogramEntropy, type Samples } from './samples.ts';

export interface BasinResult {
  /** Tokens with a neighbour elsewhere in their sample / all tokens (pooled over samples). */
  readonly score: number;
  /** The mean over non-empty samples of the same share within each sample. */
  readonly sampleMean: number;
  readonly hits: number;
  readonly tokens: number;
}

/**
 * Position i of sample x (token v) is a hit when some other position j of x holds a token u != v
 * with u among v's graph neighbours (the columns of row v; a self-loop is not a neighbour). The
 * graph is read as given (directed: u in kNN(v)); pass a symmetrised graph for "either way".
 */
export function basinScore(samples: Samples, graph: MetricGraph): BasinResult {
  const V = checkMetricGraph('basin', graph);
  checkSamples('basin', samples, V);
  // stamp[u] === s + 1 when token u occurs in sample s (no clearing between samples).
  const stamp = new Int32Array(V);
  let hits = 0;
  let tokens = 0;
  let sum = 0;
  let used = 0;
  samples.forEach((x, s) => {
    for (let i = 0; i < x.length; i++) stamp[x[i]!] = s + 1;
    let h = 0;
    for (let i = 0; i < x.length; i++) {
      const v = x[i]!;
      for (let p = graph.rowPtr[v]!; p < graph.rowPtr[v + 1]!; p++) {
        const u = graph.col[p]!;
        if (u !== v && stamp[u] === s + 1) {
          h++;
          break;
        }
      }
    }
    hits += h;
    tokens += x.length;
    if (x.length > 0) {
      sum += h / x.length;
      used++;
    }
  });
  return { score: tokens === 0 ? NaN : hits / tokens, sampleMean: used === 0 ? NaN : sum / used, hits, tokens };
}

export interface CommunityEntropyResult {
  /** Mean over samples of the entropy (nats) of the community histogram of each sample's tokens. */
  readonly mean: number;
  /** Entropy (nats) of the community histogram of all tokens of all samples. */
  readonly pooled: number;
  /** Mean number of distinct communities per sample. */
  readonly visited: number;
  /** Number of communities of the partition. */
  readonly communities: number;
}

/** Entropy of the communities samples visit, for a community label per token (e.g. detectCommunities(g).label). */
export function communityEntropy(samples: Samples, label: Int32Array | Uint32Array | readonly number[]): CommunityEntropyResult {
  const V = label.length;
  checkSamples('community-entropy', samples, V);
  let K = 0;
  for (let v = 0; v < V; v++) {
    const c = label[v]!;
    if (!(Number.isInteger(c) && c >= 0)) throw new MetricError('community-entropy', `token ${v} has community ${c}, not a non-negative integer`);
    K = Math.max(K, c + 1);
  }
  const all = new Float64Array(K);
  let hSum = 0;
  let visitedSum = 0;
  for (const x of samples) {
    const local = new Map<number, number>();
    for (let i = 0; i < x.length; i++) {
      const c = label[x[i]!]!;
      local.set(c, (local.get(c) ?? 0) + 1);
      all[c]!++;
    }
    hSum += histogramEntropy(local.values());
    visitedSum += local.size;
  }
  return { mean: hSum / samples.length, pooled: histogramEntropy(all), visited: visitedSum / samples.length, communities: new Set(Array.from(label)).size };
}
