// The sparse ELBO estimator's variance and work (docs/math.md §2.7), in float64 on the host:
// `npx tsx bench/kernel.ts --variance` (or this file directly).
//
//   npx tsx bench/kernel-variance.ts [--kernel kernels/semdlm_plus.kernel] [--graph random,corpus]
//        [--V 30522] [--k 10] [--positions 200] [--reps 8] [--M 1,2,4,8] [--seed 1]
//
// A training step draws t ~ U(0, 1), x0 from the data and x_t ~ q_t(. | x0) per position; the exact
// integrand L(t, x0, x_t) already varies over those draws (its variance Var_draws). The estimator
// adds the variance of its own draws given (t, x0, x_t), Var_est = E[Var(L_hat | t, x0, x_t)],
// measured with `reps` estimates per position. The printed ratio Var_est / Var_draws is the
// estimator's extra variance per training position (target <= 0.25 for the loss); the same ratio is
// printed for the gradient (E||g_hat - g||^2 against the spread of the exact gradients). Two models:
// one near the data (p_hat = 0.9 on x0, the rest by the unigram) and a near-uniform one (logits
// N(0, 0.1^2)). Work is the gathered multiply-adds per position (a's row, the pruned propagation of
// p_hat, the gradient's column propagation), next to the exact form's 3 H k V, and the work of a
// runtime that takes per position the cheaper of the two.
//
// Graphs: `random` is the k-regular graph of bench/kernel.ts; `corpus` is the knn graph of the
// corpus embeddings (PPMI + SVD of the embedded SOTU corpus, bert-base-uncased vocabulary, V 30522
// with [MASK]), built on the GPU adapter, with the corpus unigram: real hubs.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compileKernel } from '../compiler/index.ts';
import { makeReferenceKernel, type ReferenceKernel } from '../reference/kernel/index.ts';
import { buildRateTables } from '../runtime/kernel/tables/index.ts';
import type { CsrGraph } from '../runtime/kernel/index.ts';
import { mulberry32 } from '../runtime/data/random.ts';
import { fmt, lpad, pad } from './util.ts';
import { randomRegularGraph, zipfUnigram } from './graphs.ts';

const argv = process.argv.slice(2);
const arg = (name: string, def: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1]! : def;
};
const root = fileURLToPath(new URL('..', import.meta.url));
const kernelFile = arg('--kernel', `${root}kernels/semdlm_plus.kernel`);
const k = Number(arg('--k', '10'));
const positions = Number(arg('--positions', '200'));
const reps = Number(arg('--reps', '8'));
const Ms = arg('--M', '1,2,4,8').split(',').map(Number);
const seed = Number(arg('--seed', '1'));
const graphsWanted = arg('--graph', 'random,corpus').split(',');

interface Bound {
  name: string;
  V: number;
  graph: CsrGraph;
  unigram: Float64Array;
}

async function corpusGraph(): Promise<Bound> {
  await import('../runtime/plugins/builtin.ts');
  const { embedCorpus } = await import('../runtime/train/embed.ts');
  const { getGpu } = await import('../runtime/gpu/index.ts');
  const { buildKnnGraphGpu } = await import('../runtime/kernel/index.ts');
  const { tmpdir } = await import('node:os');
  const t0 = performance.now();
  const r = await embedCorpus({
    corpus: { name: 'sotu' },
    tokenizer: { name: 'bert-base-uncased' },
    ctx: { baseDir: root, cacheDir: `${tmpdir()}/dlmk-bench-cache`, log: () => {} },
  });
  const V = r.matrix.V;
  const gpu = await getGpu();
  const g = await buildKnnGraphGpu(gpu, r.matrix.data, V, r.matrix.d, { k, bandwidth: 0.3, symmetric: false, classes: null });
  const unigram = new Float64Array(V);
  for (const x of r.tokens.tokens) unigram[x]! += 1;
  // Tokens never seen keep a small mass (the reset law must be a distribution the walk can use).
  let z = 0;
  for (let i = 0; i < V; i++) z += (unigram[i]! += 0.01);
  for (let i = 0; i < V; i++) unigram[i] = unigram[i]! / z;
  console.log(`corpus graph: ${V} tokens, embeddings ${r.matrix.d}-d, knn on ${gpu.description} in ${fmt((performance.now() - t0) / 1000, 1)} s`);
  return { name: 'corpus (SOTU, bert-base-uncased)', V, graph: g.graph, unigram };
}

function inDegrees(g: CsrGraph): Int32Array {
  const d = new Int32Array(g.V);
  for (let p = 0; p < g.col.length; p++) d[g.col[p]!]!++;
  return d;
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

async function measure(b: Bound): Promise<void> {
  const spec = compileKernel(readFileSync(kernelFile, 'utf8'), { path: kernelFile, params: { k } });
  const base = { V: b.V, graphs: { near: b.graph }, unigram: b.unigram };
  const t0 = performance.now();
  const tabulated = spec.channels.some((c) => c.Lambda === null || c.sigma === null);
  const K: ReferenceKernel = makeReferenceKernel(spec, tabulated ? { ...base, tables: buildRateTables(spec, base) } : base);
  const deg = inDegrees(b.graph);
  let maxDeg = 0;
  for (const x of deg) maxDeg = Math.max(maxDeg, x);
  console.log(`\n== ${spec.name} on the ${b.name} graph: V ${b.V}, k ${k}, largest in-degree ${maxDeg}; reference ready in ${fmt((performance.now() - t0) / 1000, 1)} s`);
  const rng = mulberry32(seed, { open: true });
  const cdf = new Float64Array(b.V);
  let acc = 0;
  for (let i = 0; i < b.V; i++) cdf[i] = acc += b.unigram[i]!;
  const drawX0 = () => {
    const u = rng() * acc;
    let lo = 0, hi = b.V - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const models: Array<[string, (x0: number) => Float64Array]> = [
    ['near the data', (x0) => Float64Array.from(b.unigram, (u, i) => Math.log(0.1 * u + (i === x0 ? 0.9 : 0)))],
    ['near-uniform', () => Float64Array.from({ length: b.V }, () => 0.1 * (rng() + rng() + rng() - 1.5) * 2)],
  ];
  for (const [model, logitsFor] of models) {
    const exact: number[] = [];
    const gradSq: number[] = [];
    const gradSum = new Float64Array(b.V);
    const est = Ms.map(() => ({ condVar: 0, gradErr: 0, work: [] as number[], ball: [] as number[], chosen: 0, ms: 0 }));
    const Hs: number[] = [];
    let skipped = 0;
    const tm = performance.now();
    for (let p = 0; p < positions; p++) {
      const t = rng();
      const x0 = drawX0();
      const xt = K.sampleForward(x0, t, rng);
      const logits = logitsFor(x0);
      let ex;
      try {
        ex = K.elbo(logits, x0, xt, t);
      } catch {
        skipped++; // beyond the hop truncation: the trainer leaves such positions out and counts them
        continue;
      }
      Hs.push(K.hops(t).H);
      exact.push(ex.value);
      let sq = 0;
      for (let i = 0; i < b.V; i++) {
        gradSum[i]! += ex.grad[i]!;
        sq += ex.grad[i]! ** 2;
      }
      gradSq.push(sq);
      Ms.forEach((M, mi) => {
        const e = est[mi]!;
        let s1 = 0, s2 = 0;
        const te = performance.now();
        for (let r = 0; r < reps; r++) {
          const o = K.elboEstimate(logits, x0, xt, t, rng, { M });
          s1 += o.value;
          s2 += o.value * o.value;
          let ge = 0;
          for (let i = 0; i < b.V; i++) ge += (o.grad[i]! - ex.grad[i]!) ** 2;
          e.gradErr += ge / reps;
          e.work.push(o.work);
          e.ball.push(o.ball);
          // A runtime that picks per position the cheaper of this and the exact form (3 H k V).
          e.chosen += Math.min(o.work, 3 * K.hops(t).H * k * b.V);
        }
        e.ms += performance.now() - te;
        const m = s1 / reps;
        e.condVar += (s2 / reps - m * m) * (reps / (reps - 1));
      });
    }
    const n = exact.length;
    const mean = exact.reduce((a, x) => a + x, 0) / n;
    const varDraws = exact.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1);
    let gbar2 = 0;
    for (let i = 0; i < b.V; i++) gbar2 += (gradSum[i]! / n) ** 2;
    const gradSpread = (gradSq.reduce((a, x) => a + x, 0) - n * gbar2) / (n - 1);
    const meanH = Hs.reduce((a, x) => a + x, 0) / n;
    console.log(
      `\n${model}: ${n} positions (t ~ U(0,1), x0 ~ unigram, x_t ~ q_t; ${skipped} beyond the truncation left out), mean H ${fmt(meanH, 2)};` +
        ` exact L: mean ${fmt(mean, 3)}, Var_draws ${fmt(varDraws, 4)}; ${reps} estimates per position; ${fmt((performance.now() - tm) / 1000, 0)} s`,
    );
    console.log(`${pad('M', 6)}${lpad('Var_est/Var_draws', 20)}${lpad('grad ratio', 12)}${lpad('work mean', 12)}${lpad('work p95', 12)}${lpad('ball mean', 12)}${lpad('ball max', 10)}${lpad('x exact work', 14)}${lpad('x, cheaper of', 15)}`);
    const exactWork = 3 * meanH * k * b.V;
    Ms.forEach((M, mi) => {
      const e = est[mi]!;
      const ratio = e.condVar / n / varDraws;
      const gratio = e.gradErr / n / gradSpread;
      const wm = e.work.reduce((a, x) => a + x, 0) / e.work.length;
      const bm = e.ball.reduce((a, x) => a + x, 0) / e.ball.length;
      console.log(
        `${pad(String(M), 6)}${lpad(fmt(ratio, 3), 20)}${lpad(fmt(gratio, 3), 12)}${lpad(fmt(wm, 0), 12)}${lpad(fmt(quantile(e.work, 0.95), 0), 12)}${lpad(fmt(bm, 0), 12)}${lpad(fmt(Math.max(...e.ball), 0), 10)}${lpad(fmt(wm / exactWork, 3), 14)}${lpad(fmt(e.chosen / e.work.length / exactWork, 3), 15)}`,
      );
    });
  }
}

export async function main(): Promise<void> {
  console.log(`kernel ${kernelFile}, k ${k}, ${positions} positions per model, M in {${Ms.join(', ')}}`);
  for (const g of graphsWanted) {
    if (g === 'random') {
      const V = Number(arg('--V', '30522'));
      await measure({ name: `random ${k}-regular`, V, graph: randomRegularGraph(V, k, seed), unigram: zipfUnigram(V) });
    } else if (g === 'corpus') await measure(await corpusGraph());
    else throw new Error(`--graph: unknown graph '${g}' (random, corpus)`);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await main();
  process.exit(0);
}
