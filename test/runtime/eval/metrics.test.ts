// The generation metrics on inputs with answers worked out by hand (written out next to each
// case), the fast self-BLEU against the from-the-definition sentence BLEU, Louvain on planted
// communities, and the metric plugins through the registry.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildKnnGraph } from '../../../reference/graph/index.ts';
import { Registry, registry } from '../../../runtime/plugins/registry.ts';
import {
  basinScore,
  communityEntropy,
  detectCommunities,
  distinctN,
  genPerplexity,
  mdlmScoreMask,
  mean,
  meanStderr,
  MetricError,
  metricPlugins,
  registerMetricPlugins,
  repetitionRate,
  repetitionRates,
  sampleStd,
  samplePerplexities,
  selfBleu,
  selfBleuScores,
  sentenceBleu,
  standardError,
  unigramEntropies,
  unigramEntropy,
  type MetricFn,
  type MetricGraph,
} from '../../../runtime/eval/index.ts';

const u32 = (...xs: number[]) => Uint32Array.from(xs);
const close = (a: number, b: number, tol = 1e-12, msg = '') => assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${msg} ${a} != ${b}`);

function throwsWith(f: () => unknown, text: string) {
  try {
    f();
  } catch (err) {
    assert.instance(err, MetricError);
    assert.ok((err as Error).message.includes(text), `message "${(err as Error).message}" lacks "${text}"`);
    return;
  }
  assert.unreachable(`expected an error mentioning "${text}"`);
}

/** A CSR graph from rows of [col, weight]. */
function csr(rows: Array<Array<[number, number]>>): MetricGraph {
  const rowPtr = new Int32Array(rows.length + 1);
  rows.forEach((r, v) => (rowPtr[v + 1] = rowPtr[v]! + r.length));
  const flat = rows.flat();
  return { V: rows.length, rowPtr, col: Int32Array.from(flat, (e) => e[0]), w: Float64Array.from(flat, (e) => e[1]) };
}

function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('unigram entropy: per-sample histogram entropy in nats, averaged over samples (DUO record_entropy)', () => {
  // [0,0,1,1] -> ln 2; [5,5,5] -> 0; [0,1,2,3] -> ln 4; empty -> 0 (torch: entr of nothing sums to 0).
  const xs = [u32(0, 0, 1, 1), u32(5, 5, 5), u32(0, 1, 2, 3), u32()];
  const h = unigramEntropies(xs);
  close(h[0]!, Math.log(2));
  close(h[1]!, 0);
  close(h[2]!, Math.log(4));
  close(h[3]!, 0);
  close(unigramEntropy(xs), (Math.log(2) + Math.log(4)) / 4);
  // Not the entropy of the pooled histogram: [0,0] and [1,1] each have entropy 0.
  close(unigramEntropy([u32(0, 0), u32(1, 1)]), 0);
  throwsWith(() => unigramEntropy([u32(0, 7)], 6), 'sample 0, position 1: token 7 is not an integer in 0..5');
  throwsWith(() => unigramEntropy([]), 'needs at least one sample');
});

test('distinct-n: unique / total n-grams pooled over samples, n-grams never cross samples', () => {
  const xs = [u32(1, 2, 1, 2), u32(1, 2, 3)];
  // unigrams: 7 in all, {1,2,3} -> 3/7
  close(distinctN(xs, 1), 3 / 7);
  // bigrams: 12 21 12 | 12 23 -> 5 in all (6 if they crossed samples), {12,21,23} -> 3/5
  close(distinctN(xs, 2), 3 / 5);
  // trigrams: 121 212 | 123 -> 3/3
  close(distinctN(xs, 3), 1);
  // per sample: 2/4 and 3/3 -> 0.75
  close(distinctN(xs, 1, { average: 'sample' }), 0.75);
  assert.ok(Number.isNaN(distinctN(xs, 5)));
  // Large ids (base^n beyond 2^53) take string keys and give the same answer.
  const big = xs.map((x) => Uint32Array.from(x, (v) => v * 1_000_003 + 4_000_000_000 - 3_000_009));
  close(distinctN(big, 3), 1);
  close(distinctN(big, 2), 3 / 5);
  throwsWith(() => distinctN(xs, 0), 'n must be an integer in 1..16');
});

test('self-BLEU, hand case 1: two near-copies and a stranger', () => {
  // s0 = 1 2 3 4 5, s1 = 1 2 3 4 6, s2 = 7 8 9 10 11.
  // s0 vs {s1, s2}: p1 = 4/5, p2 = 3/4, p3 = 2/3, p4 = 1/2; closest ref length 5 = c -> BP = exp(1 - 5/5) = 1;
  //   BLEU = (4/5 * 3/4 * 2/3 * 1/2)^(1/4) = (1/5)^(1/4). s1 likewise (its 6 plays s0's 5).
  // s2: no unigram match -> 0 (NLTK returns 0 before smoothing).
  const xs = [u32(1, 2, 3, 4, 5), u32(1, 2, 3, 4, 6), u32(7, 8, 9, 10, 11)];
  const b = selfBleuScores(xs);
  close(b[0]!, 0.2 ** 0.25);
  close(b[1]!, 0.2 ** 0.25);
  close(b[2]!, 0);
  close(selfBleu(xs), (2 / 3) * 0.2 ** 0.25);
});

test('self-BLEU, hand case 2: clipping, method1 smoothing (epsilon 0.1) and the brevity penalty', () => {
  const A = u32(1, 1, 1, 1);
  const B = u32(1, 2, 3);
  const C = u32(1, 1, 2, 3, 4, 5);
  // A vs {B, C}: p1: four 1s clipped at C's two -> 2/4; p2: three 11s clipped at C's one -> 1/3;
  //   p3: 111 x2, no match -> smoothed 0.1/2; p4: 1111 x1 -> 0.1/1.
  //   Lengths 3 (|4-3| = 1) and 6 (2): r = 3 < c = 4 -> BP = 1. BLEU = (1/2 * 1/3 * 1/20 * 1/10)^(1/4) = (1/1200)^(1/4).
  const bA = (1 / 1200) ** 0.25;
  // B vs {A, C}: p1 = 3/3, p2 = 2/2 (12, 23 in C), p3 = 1/1 (123 in C), p4: no 4-gram -> 0/max(1, 0) -> 0.1/1.
  //   Lengths 4 (|4-3| = 1) and 6: r = 4 > c = 3 -> BP = exp(1 - 4/3). BLEU = exp(-1/3) * 0.1^(1/4).
  const bB = Math.exp(-1 / 3) * 0.1 ** 0.25;
  // C vs {A, B}: p1: 1 x2 (A has four) -> 2, 2 -> 1, 3 -> 1, 4, 5 -> 0: 4/6;
  //   p2: 11 (A) 12 (B) 23 (B) 34 45 -> 3/5; p3: 112 123 234 345 -> only 123: 1/4;
  //   p4: 1123 1234 2345 -> none: 0.1/3. r = 4 (|4-6| = 2 < |3-6|) < c = 6 -> BP = 1.
  //   BLEU = (2/3 * 3/5 * 1/4 * 1/30)^(1/4) = (1/300)^(1/4).
  const bC = (1 / 300) ** 0.25;
  const b = selfBleuScores([A, B, C]);
  close(b[0]!, bA);
  close(b[1]!, bB);
  close(b[2]!, bC);
  close(selfBleu([A, B, C]), (bA + bB + bC) / 3);
  // Without smoothing a zero 3- or 4-gram precision makes BLEU 0.
  close(selfBleu([A, B, C], { smoothing: 'none' }), 0);
  // BLEU-2: A = (1/2 * 1/3)^(1/2); B = exp(-1/3) * 1; C = (4/6 * 3/5)^(1/2).
  const b2 = selfBleuScores([A, B, C], { n: 2 });
  close(b2[0]!, Math.sqrt(1 / 6));
  close(b2[1]!, Math.exp(-1 / 3));
  close(b2[2]!, Math.sqrt(2 / 5));
  throwsWith(() => selfBleu([A]), 'needs at least two samples');
});

test('self-BLEU equals sentence BLEU of each sample against the others (random samples, ties in reference length)', () => {
  const rand = seeded(7);
  for (const n of [1, 2, 3, 4]) {
    const xs = Array.from({ length: 12 }, () => Uint32Array.from({ length: 3 + Math.floor(rand() * 9) }, () => Math.floor(rand() * 6)));
    const fast = selfBleuScores(xs, { n });
    xs.forEach((x, s) => close(fast[s]!, sentenceBleu([...xs.slice(0, s), ...xs.slice(s + 1)], x, { n }), 1e-12, `n=${n} s=${s}`));
  }
  // Hypothesis of length 5, references of lengths 4 and 6: r is the shorter (4), so BP = 1.
  close(sentenceBleu([u32(1, 2, 3, 4), u32(1, 2, 3, 4, 5, 6)], u32(1, 2, 3, 4, 5), { n: 1 }), 1);
  // maxSamples keeps the first ones (Texygen's fast mode).
  const xs = [u32(1, 2, 3, 4, 5), u32(1, 2, 3, 4, 6), u32(7, 8, 9, 10, 11)];
  close(selfBleu(xs, { maxSamples: 2 }), 0.2 ** 0.25);
});

test('repetition: seq-rep-n = 1 - unique/total n-grams within a sample, averaged over samples with >= n tokens', () => {
  // 1 2 1 2 1 2: bigrams 12 21 12 21 12 -> 2 unique of 5 -> 3/5; unigrams 2 of 6 -> 2/3.
  const xs = [u32(1, 2, 1, 2, 1, 2), u32(7)];
  const r = repetitionRates(xs, 2);
  close(r[0]!, 3 / 5);
  assert.ok(Number.isNaN(r[1]!));
  close(repetitionRate(xs, 2), 3 / 5);
  close(repetitionRate(xs, 1), (2 / 3 + 0) / 2);
  close(repetitionRate([u32(1, 2, 3, 4)], 4), 0);
});

test('basin score: tokens with a graph neighbour elsewhere in the same sample', () => {
  // Pairs 0-1, 2-3, 4-5 are neighbours; 6 has only a self-loop (no neighbour).
  const g = csr([[[1, 1]], [[0, 1]], [[3, 1]], [[2, 1]], [[5, 1]], [[4, 1]], [[6, 1]]]);
  // [0,1,2,4]: 0 and 1 hit, 2 (3 absent) and 4 (5 absent) miss -> 2/4
  // [3,3,5]: a repeat of the same token is not a neighbour -> 0/3
  // [4,5,5] -> 3/3; [6,6] -> the self-loop does not count -> 0/2
  const r = basinScore([u32(0, 1, 2, 4), u32(3, 3, 5), u32(4, 5, 5), u32(6, 6)], g);
  assert.is(r.hits, 5);
  assert.is(r.tokens, 12);
  close(r.score, 5 / 12);
  close(r.sampleMean, (0.5 + 0 + 1 + 0) / 4);
  // Directed: 0 -> 2 only. In [0, 2] token 0 hits, token 2 does not.
  const d = csr([[[2, 1]], [[1, 1]], [[1, 1]]]);
  close(basinScore([u32(0, 2)], d).score, 1 / 2);
  throwsWith(() => basinScore([u32(0, 9)], g), 'token 9 is not an integer in 0..6');
});

/** k cliques of m tokens; inside weight a to each other member, plus one edge of weight b to the next clique. */
function plantedGraph(k: number, m: number, a: number, b: number): MetricGraph {
  const rows: Array<Array<[number, number]>> = [];
  for (let c = 0; c < k; c++) {
    for (let i = 0; i < m; i++) {
      const v = c * m + i;
      const r: Array<[number, number]> = [];
      for (let j = 0; j < m; j++) if (j !== i) r.push([c * m + j, a]);
      if (i === 0) r.push([((c + 1) % k) * m + 1, b]);
      rows.push(r.sort((x, y) => x[0] - y[0]));
    }
  }
  return csr(rows);
}

test('communities: Louvain recovers planted cliques, for every seed, labelled by first appearance', () => {
  const g = plantedGraph(4, 5, 0.24, 0.04);
  const want = Array.from({ length: 20 }, (_, v) => Math.floor(v / 5));
  for (const seed of [0, 1, 2, 3, 17]) {
    const c = detectCommunities(g, { seed });
    assert.equal(Array.from(c.label), want, `seed ${seed}`);
    assert.is(c.count, 4);
  }
  // Modularity by hand on W = (A + A^T)/2 (each inner edge 0.24 both ways, each bridge 0.02 both ways):
  // 2m = 4 * (20 * 0.24 + 2 * 0.02) = 4 * 4.84; each clique: in = 20 * 0.24 = 4.8, tot = 4.84.
  const m2 = 4 * 4.84;
  close(detectCommunities(g).modularity, 4 * (4.8 / m2 - (4.84 / m2) ** 2), 1e-12);
  // A small resolution merges neighbouring cliques: joining two halves of the ring gains
  // 0.04 - gamma * 9.68^2 / 19.36, positive for gamma = 0.001 (one community), negative for 0.01 (two).
  assert.is(detectCommunities(g, { resolution: 0.001 }).count, 1);
  // (which two pairs of the ring join depends on the seed; both are optimal)
  const half = detectCommunities(g, { resolution: 0.01 });
  assert.is(half.count, 2);
  assert.ok(want.every((c, v) => half.label[v] === half.label[c * 5]));
  // No edges but self-loops: every token alone.
  const lone = detectCommunities(csr([[[0, 1]], [[1, 1]], [[2, 1]]]));
  assert.equal(Array.from(lone.label), [0, 1, 2]);
  throwsWith(() => detectCommunities(g, { resolution: 0 }), 'resolution must be a finite number > 0');
});

test('communities of a kNN graph of clustered embeddings (reference buildKnnGraph) are the clusters', () => {
  // 3 directions in 2-D, 4 jittered tokens each, interleaved in token order; k = 3 keeps kNN inside a cluster.
  const rand = seeded(3);
  const V = 12;
  const emb = new Float64Array(V * 2);
  for (let v = 0; v < V; v++) {
    const a = ((v % 3) * 2 * Math.PI) / 3 + (rand() - 0.5) * 0.2;
    emb[2 * v] = Math.cos(a);
    emb[2 * v + 1] = Math.sin(a);
  }
  const g = buildKnnGraph(emb, V, 2, { k: 3, bandwidth: 0.3, symmetric: false });
  const c = detectCommunities(g, { seed: 5 });
  assert.equal(Array.from(c.label), Array.from({ length: V }, (_, v) => v % 3));
});

test('community entropy: per-sample entropy of visited communities, pooled entropy, visited count', () => {
  const label = Int32Array.from([0, 0, 1, 1, 2, 2]);
  // [0,1] -> community 0 only -> 0; [0,2,4] -> three communities once each -> ln 3; [0,0,2,2] -> 2 and 2 -> ln 2.
  const r = communityEntropy([u32(0, 1), u32(0, 2, 4), u32(0, 0, 2, 2)], label);
  close(r.mean, (0 + Math.log(3) + Math.log(2)) / 3);
  // pooled counts: community 0: 2 + 1 + 2 = 5, 1: 1 + 2 = 3, 2: 1 -> H(5/9, 3/9, 1/9)
  close(r.pooled, -[5 / 9, 3 / 9, 1 / 9].reduce((s, p) => s + p * Math.log(p), 0));
  close(r.visited, (1 + 3 + 2) / 3);
  assert.is(r.communities, 3);
});

test('gen-PPL: exp of the token-level mean NLL over all samples; MDLM/DUO mask; per-sample PPL', () => {
  const L2 = Math.log(2);
  // (ln 2 + ln 8 + ln 4) / 3 = 2 ln 2 -> 4. Not the mean of per-sample PPLs ((sqrt(16) + 4) / 2 = 4 here by luck; see below).
  const r = genPerplexity([[L2, 3 * L2], [2 * L2]]);
  close(r.ppl, 4);
  close(r.meanNll, 2 * L2);
  assert.is(r.tokens, 3);
  // Weights [1, 0] and [1]: (ln 2 + ln 4) / 2 -> 2^1.5
  close(genPerplexity([[L2, 3 * L2], [2 * L2]], [[1, 0], [1]]).ppl, 2 ** 1.5);
  // Token-level pooling weighs long samples more: [ln 2 x3] and [ln 16]: (3 ln 2 + 4 ln 2) / 4 -> 2^(7/4); per sample 2 and 16.
  close(genPerplexity([[L2, L2, L2], [4 * L2]]).ppl, 2 ** 1.75);
  assert.equal(Array.from(samplePerplexities([[L2, L2, L2], [4 * L2]])).map((x) => Math.round(x * 1e9) / 1e9), [2, 16]);
  // Mask over targets x_1..x_{L-1}, EOS = 0: 5 6 0 0 0 -> 6:1, first EOS:1, later EOS:0,0
  assert.equal(Array.from(mdlmScoreMask([5, 6, 0, 0, 0], 0)), [1, 1, 0, 0]);
  // 0 5 0 7: the first EOS is x_0 (not a target), so the EOS at x_2 is a later one.
  assert.equal(Array.from(mdlmScoreMask([0, 5, 0, 7], 0)), [1, 0, 1]);
  throwsWith(() => genPerplexity([[0.5, NaN]]), 'sample 0, token 1: NLL NaN is not a number >= 0');
  throwsWith(() => genPerplexity([[0.5]], [[0]]), 'no token is scored');
});

test('mean, sample standard deviation (n - 1), standard error', () => {
  const xs = [1, 2, 3, 4];
  close(mean(xs), 2.5);
  close(sampleStd(xs), Math.sqrt(5 / 3));
  close(standardError(xs), Math.sqrt(5 / 3) / 2);
  assert.equal(meanStderr(xs), { mean: 2.5, stderr: Math.sqrt(5 / 3) / 2, n: 4 });
  assert.ok(Number.isNaN(standardError([1])));
});

test('metric plugins: registered on import, schemas by name, create -> (samples, context) -> value', () => {
  for (const name of ['unigram-entropy', 'distinct-n', 'self-bleu', 'repetition', 'basin', 'community-entropy', 'gen-ppl']) {
    assert.ok(registry.has('metric', name), name);
  }
  const run = (name: string, options: Record<string, unknown>, ctx = {}) => (registry.get<Record<string, unknown>, MetricFn>('metric', name).create(options, { baseDir: '.', cacheDir: '.', log: () => {} }) as MetricFn)([u32(1, 2, 1, 2), u32(1, 2, 3)], ctx);
  close(run('distinct-n', { n: 2 }) as number, 3 / 5);
  close(run('distinct-n', {}) as number, 3 / 7);
  close(run('repetition', { n: 1 }) as number, (1 / 2 + 0) / 2);
  const g = plantedGraph(2, 2, 1, 0);
  const ce = run('community-entropy', {}, { graph: g }) as Record<string, number>;
  assert.is(ce.communities, 2);
  assert.throws(() => run('basin', {}), /basin: needs context.graph/);
  assert.throws(() => run('gen-ppl', {}), /gen-ppl: needs context.nlls/);
  close((run('gen-ppl', {}, { nlls: [[Math.log(3)], [Math.log(3)]] }) as Record<string, number>).ppl!, 3);
  // The run schema's branch for distinct-n carries its options.
  const schema = JSON.stringify(registry.schemaOf('metric'));
  assert.ok(schema.includes('"distinct-n"') && schema.includes('"pooled"'));
  // A fresh registry gets them all; registering twice is harmless.
  const reg = new Registry();
  registerMetricPlugins(reg);
  registerMetricPlugins(reg);
  assert.equal(reg.names('metric'), metricPlugins.map((p) => p.name).sort());
});

test.run();
