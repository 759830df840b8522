// The synthetic Markov source (reference/synthetic/source.ts) and its plugins
// (runtime/eval/synthetic/plugins.ts): exact entropy against enumeration, the stationary law, exact
// sampling, the embeddings' clusters, determinism, the corpus/tokenizer/embeddings plugins and
// every refusal.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MarkovSource, SyntheticError, sourceTable } from '../../../reference/synthetic/index.ts';
import { buildKnnGraph } from '../../../reference/kernel/index.ts';
import { registry } from '../../../runtime/plugins/registry.ts';
import { DataError, type Corpus, type TokenizerBuilder } from '../../../runtime/data/index.ts';
import type { EmbeddingSource } from '../../../runtime/data/embed/index.ts';
import { MarkovCorpus, sourceEmbeddings } from '../../../runtime/eval/synthetic/index.ts';
import '../../../runtime/eval/synthetic/plugins.ts';

const ctx = { baseDir: '.', cacheDir: '/tmp/dlmk-synthetic-unused', log: () => {} };

test('tiny source: H(x_{1:L}) and log p against enumeration of all V^L sequences', () => {
  for (const [V, C, L, seed] of [[4, 2, 4, 7], [6, 3, 3, 1], [3, 1, 5, 2]] as const) {
    const src = new MarkovSource({ V, clusters: C, L, seed });
    const tab = sourceTable(src);
    let H = 0;
    let total = 0;
    for (const p of tab.probs as Float64Array) {
      total += p;
      H -= p * Math.log(p);
    }
    assert.ok(Math.abs(total - 1) < 1e-13, `probabilities sum to ${total}`);
    assert.ok(Math.abs(H - src.sequenceEntropy()) < 1e-12, `V ${V} L ${L}: enumeration ${H}, exact ${src.sequenceEntropy()}`);
    console.log(`  V = ${V}, C = ${C}, L = ${L}: H(x_1:L) = ${H.toFixed(12)} nats (enumeration), ${src.sequenceEntropy().toFixed(12)} (exact)`);
  }
});

test('default source: a stationary law, stochastic rows, positive entries, entropy printed', () => {
  const src = new MarkovSource();
  const { V } = src;
  assert.is(V, 48);
  assert.is(src.C, 8);
  assert.is(src.L, 16);
  let worst = 0;
  for (let v = 0; v < V; v++) {
    let s = 0;
    let row = 0;
    for (let u = 0; u < V; u++) s += src.pi[u]! * src.P[u * V + v]!;
    for (let u = 0; u < V; u++) row += src.P[v * V + u]!;
    worst = Math.max(worst, Math.abs(s - src.pi[v]!), Math.abs(row - 1));
  }
  assert.ok(worst < 1e-14, `pi P - pi, row sums: ${worst}`);
  assert.ok(src.P.every((p) => p > 0));
  const h = src.entropyPerToken();
  console.log(`  default source (V 48, 8 clusters, L 16): H = ${src.sequenceEntropy().toFixed(4)} nats, ${h.toFixed(4)} nats/token, rate ${src.entropyRate().toFixed(4)}, log V = ${Math.log(V).toFixed(4)}`);
  assert.ok(h > 1 && h < Math.log(V));
});

test('exact sampling: the mean of -log p over draws is H within 4 standard errors; first tokens follow pi', () => {
  const src = new MarkovSource({ seed: 3 });
  const n = 20000;
  const x = src.sampleSeeded(n, 11);
  let s = 0;
  let s2 = 0;
  const first = new Float64Array(src.V);
  for (let i = 0; i < n; i++) {
    const v = -src.logProb(x, i * src.L);
    s += v;
    s2 += v * v;
    first[x[i * src.L]!]! += 1 / n;
  }
  const m = s / n;
  const se = Math.sqrt((s2 / n - m * m) / (n - 1));
  assert.ok(Math.abs(m - src.sequenceEntropy()) < 4 * se, `mean ${m}, H ${src.sequenceEntropy()}, se ${se}`);
  let tv = 0;
  for (let v = 0; v < src.V; v++) tv += Math.abs(first[v]! - src.pi[v]!) / 2;
  assert.ok(tv < 0.05, `TV(first tokens, pi) = ${tv}`);
  assert.equal(src.sampleSeeded(3, 11), x.subarray(0, 3 * src.L));
});

test('embeddings: a knn graph with k = W - 1 links every token to exactly its cluster; eos and pad are no token\'s neighbour', () => {
  for (const seed of [0, 1, 2]) {
    const src = new MarkovSource({ seed });
    const g = buildKnnGraph(src.embeddings, src.V, src.d, { k: src.W - 1, bandwidth: 0.3, symmetric: false });
    for (let v = 0; v < src.V; v++) for (let j = g.rowPtr[v]!; j < g.rowPtr[v + 1]!; j++) assert.is(src.clusterOf(g.col[j]!), src.clusterOf(v), `seed ${seed}: token ${v} -> ${g.col[j]}`);
    const e = sourceEmbeddings(src, { specials: true });
    const g2 = buildKnnGraph(e.data, e.V, e.d, { k: 20, bandwidth: 0.3, symmetric: false });
    for (let v = 0; v < src.V; v++) for (let j = g2.rowPtr[v]!; j < g2.rowPtr[v + 1]!; j++) assert.ok(g2.col[j]! < src.V, `token ${v} has neighbour ${g2.col[j]}`);
  }
});

test('determinism: the same options give the same source; another seed another chain; names round-trip', () => {
  const a = new MarkovSource({ seed: 5, V: 12, clusters: 3 });
  const b = new MarkovSource({ seed: 5, V: 12, clusters: 3 });
  const c = new MarkovSource({ seed: 6, V: 12, clusters: 3 });
  assert.equal(a.P, b.P);
  assert.equal(a.embeddings, b.embeddings);
  assert.ok(a.P.some((p, i) => p !== c.P[i]));
  for (let v = 0; v < a.V; v++) assert.is(a.tokenOf(a.tokenName(v)), v);
  assert.is(a.tokenName(7), 'c01w03');
  assert.is(a.tokenOf('c03w00'), undefined);
  assert.is(a.tokenOf('c1w1'), undefined);
});

test('source refusals', () => {
  const bad: Array<[object, string]> = [
    [{ V: 10, clusters: 3 }, 'V = 10 is not a multiple of clusters = 3'],
    [{ V: 1 }, "V must be a whole number in 2..1024, got 1"],
    [{ coupling: 1.5 }, 'coupling must be in [0, 1], got 1.5'],
    [{ spread: -1 }, 'spread must be a finite number >= 0, got -1'],
  ];
  for (const [o, msg] of bad) {
    try {
      new MarkovSource(o);
      assert.unreachable(JSON.stringify(o));
    } catch (err) {
      assert.instance(err, SyntheticError);
      assert.ok((err as Error).message.includes(msg), (err as Error).message);
    }
  }
  assert.throws(() => new MarkovSource({ V: 4, clusters: 2 }).logProb([0, 4]), /4 is not a token of the Markov source \(0\.\.3\)/);
});

async function docs(c: Corpus, split: 'train' | 'validation' | 'test'): Promise<string[]> {
  const out: string[] = [];
  for await (const d of c.documents(split)) out.push(d);
  return out;
}

test('corpus and tokenizer plugins: documents of exactly L names, ids the source\'s, eos and pad after them', async () => {
  const corpus = (await registry.get('corpus', 'markov').create({ V: 12, clusters: 3, L: 5, train: 40, validation: 7, test: 3, seed: 2 }, ctx)) as MarkovCorpus;
  const tr = await docs(corpus, 'train');
  assert.is(tr.length, 40);
  assert.is((await docs(corpus, 'validation')).length, 7);
  assert.ok(tr.every((d) => d.split(' ').length === 5));
  assert.not.equal(tr.slice(0, 3), (await docs(corpus, 'test')).slice(0, 3));
  const builder = (await registry.get('tokenizer', 'markov').create({}, ctx)) as TokenizerBuilder;
  assert.is(builder.needsCorpus, true);
  const tok = await builder.build(corpus);
  assert.is(tok.vocabSize, 14);
  assert.is(tok.eos, 12);
  assert.is(tok.pad, 13);
  assert.ok(tok.id.startsWith('markov:12:'));
  const ids = corpus.split('train');
  assert.equal(Array.from(tok.encode(tr[0]!)), Array.from(ids.subarray(0, 5)));
  assert.is(tok.decode(tok.encode(tr[1]!)), tr[1]);
  assert.is(tok.decode([0, 12, 13, 14]), 'c00w00 <eos> <pad> [MASK]');
  assert.is(tok.lookup('c02w03'), 11);
  assert.is(corpus.describe().includes('12 tokens in 3 clusters'), true);
  const again = (await registry.get('corpus', 'markov').create({ V: 12, clusters: 3, L: 5, train: 40, validation: 7, test: 3, seed: 2 }, ctx)) as MarkovCorpus;
  assert.is(await again.fingerprint(), await corpus.fingerprint());
  assert.equal(await docs(again, 'train'), tr);
  const other = (await registry.get('corpus', 'markov').create({ V: 12, clusters: 3, L: 5, train: 40, validation: 7, test: 3, seed: 3 }, ctx)) as MarkovCorpus;
  assert.is.not(await other.fingerprint(), await corpus.fingerprint());
});

test('plugin refusals: bad options, another corpus, an unknown token, a wrong id', async () => {
  const fails = async (f: () => unknown, cls: Function, msg: string) => {
    try {
      await f();
      assert.unreachable(msg);
    } catch (err) {
      assert.instance(err, cls);
      assert.ok((err as Error).message.includes(msg), (err as Error).message);
    }
  };
  await fails(() => registry.get('corpus', 'markov').create({ V: 10, clusters: 3 }, ctx), DataError, "corpus 'markov': the Markov source's V = 10 is not a multiple of clusters = 3");
  await fails(() => registry.get('corpus', 'markov').create({ L: 0 }, ctx), DataError, "corpus 'markov' options are not valid: $.L must be >= 1");
  await fails(() => registry.get('corpus', 'markov').create({ size: 3 }, ctx), DataError, "has an unknown property 'size'");
  const builder = (await registry.get('tokenizer', 'markov').create({}, ctx)) as TokenizerBuilder;
  const sotuLike = { name: 'sotu' } as Corpus;
  await fails(() => builder.build(sotuLike), DataError, "use it with corpus 'markov' (got corpus 'sotu')");
  const tok = await builder.build(new MarkovCorpus({ seed: 0, V: 4, clusters: 2, L: 3, train: 1, validation: 1, test: 1, coupling: 0.1, sharpness: 2, within: 1, dim: 4, spread: 0.1 }));
  await fails(() => tok.encode('c00w00 hello'), DataError, "tokenizer 'markov': 'hello' (word 2) is not a token of the source (c00w00 .. c01w01, <eos>, <pad>)");
  await fails(() => tok.decode([7]), DataError, 'markov: id 7 is neither a token (0..5) nor the mask (6)');
});

test('embeddings plugin: the source\'s vectors with eos and pad rows; a vocabulary of another size or naming is refused', async () => {
  const src = (await registry.get('embeddings', 'markov').create({ V: 12, clusters: 3, seed: 2 }, ctx)) as EmbeddingSource;
  assert.equal(src.needs, []);
  const s = new MarkovSource({ V: 12, clusters: 3, seed: 2 });
  const m = await src.embed({ V: 14, tokenString: (v) => (v < 12 ? s.tokenName(v) : v === 12 ? '<eos>' : '<pad>') });
  assert.is(m.V, 14);
  assert.is(m.d, s.d + 2);
  assert.ok(Math.abs(m.data[5 * m.d + 3]! - s.embeddings[5 * s.d + 3]!) < 1e-6);
  assert.is(m.report.semanticRows, 12);
  try {
    await src.embed({ V: 50 });
    assert.unreachable();
  } catch (err) {
    assert.ok((err as Error).message.includes('the source has 12 tokens (14 with eos and pad), but the vocabulary has 50'), (err as Error).message);
  }
  const other = new MarkovSource({ V: 12, clusters: 4 });
  try {
    await src.embed({ V: 14, tokenString: (v) => (v < 12 ? other.tokenName(v) : '<eos>') });
    assert.unreachable();
  } catch (err) {
    assert.ok((err as Error).message.includes("token 3 is 'c01w00' in the vocabulary but 'c00w03' in the source"), (err as Error).message);
  }
});

test.run();
