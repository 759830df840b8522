// The three factors (docs/eval.md, "The three factors") on inputs with known answers:
// * the gradient noise scale estimator on synthetic gradients of known mean and covariance (host,
//   float64), streaming against its two-pass reference;
// * the variance factor on a tiny masking DiT trained here, at each kept checkpoint: the weights do
//   not move, the gradients read back are the trainer's (their norms), the numbers are reproducible;
// * posterior difficulty: the softmax statistics against a direct float64 reference, and on masking
//   the exact identity entropy = corrupted fraction x entropy at the masked positions;
// * repair and drift on the small table law of test/runtime/sample (V = 5, L = 3): a denoiser that
//   knows x0 restores everything and has zero drift in expectation at every step; one that is wrong
//   at one position makes masking restore exactly where it is right while uniform and SemDLM+ rewrite
//   clean tokens; the exact oracle restores a masked token with its exact posterior probability and
//   has zero drift of the marginal statistics;
// * evaluate() on the DiT and on the AR twin: a JSON-able record.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Recorder, type Recorder as Rec } from '../../../runtime/gpu/index.ts';
import { mulberry32 } from '../../../runtime/data/index.ts';
import { tempTensor, type Tensor } from '../../../runtime/nn/index.ts';
import type { Denoiser, DenoiserInputs } from '../../../runtime/denoiser/index.ts';
import { train } from '../../../runtime/train/index.ts';
import { loadRun } from '../../../runtime/train/load.ts';
import { seqIndex, type DataLaw } from '../../../reference/sample/index.ts';
import {
  EvaluationError, GradientMoments, evaluate, heldOutRows, lossMoments, measurePosterior, measureRepair, noiseScale, noiseScaleReference,
  softmaxStats, varianceOverTraining, weightStats,
} from '../../../runtime/eval/index.ts';
import { toySpec, writeToyCorpus } from '../train/toy-corpus.ts';
import { L as LAW_L, V as LAW_V, setup, unigramOf } from '../sample/setup.ts';

const close = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);

function gaussian(u: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
}

test('gradient noise scale: unbiased tr(Sigma) and |G|^2 on synthetic gradients of known covariance; B_noise; streaming = two-pass reference', () => {
  const P = 40;
  const B = 8;
  const K = 6;
  const g = gaussian(mulberry32(5, { open: true }));
  const G = Float64Array.from({ length: P }, (_, i) => 0.3 * Math.sin(i));
  const sd = Float64Array.from({ length: P }, (_, i) => 0.5 + (i % 5) * 0.25); // per-example standard deviations
  const trueTrace = sd.reduce((a, s) => a + s * s, 0);
  const trueSq = G.reduce((a, x) => a + x * x, 0);
  const reps = 3000;
  let tr = 0, sq = 0, sq2 = 0, tr2 = 0, biased = 0;
  for (let r = 0; r < reps; r++) {
    const m = new GradientMoments(P);
    const grads: Float64Array[] = [];
    for (let k = 0; k < K; k++) {
      // A minibatch gradient: the mean of B per-example gradients, so its covariance is Sigma / B.
      const v = Float64Array.from(G, (x, i) => x + (sd[i]! * g()) / Math.sqrt(B));
      m.add(v);
      grads.push(v);
    }
    const e = noiseScale(m, B);
    if (r < 20) {
      const ref = noiseScaleReference(grads, B);
      for (const key of ['meanSqNorm', 'smallSqNorm', 'sqNorm', 'traceMinibatch', 'trace'] as const) close(e[key], ref[key], 1e-12, `${key} against the reference`);
    }
    tr += e.trace / reps;
    tr2 += e.trace ** 2 / reps;
    sq += e.sqNorm / reps;
    sq2 += e.sqNorm ** 2 / reps;
    biased += e.meanSqNorm / reps;
  }
  const seTr = Math.sqrt((tr2 - tr * tr) / reps);
  const seSq = Math.sqrt((sq2 - sq * sq) / reps);
  console.log(`  tr(Sigma): ${tr.toFixed(3)} ± ${seTr.toFixed(3)} (true ${trueTrace.toFixed(3)}); |G|^2: ${sq.toFixed(4)} ± ${seSq.toFixed(4)} (true ${trueSq.toFixed(4)}; |gbar|^2 ${biased.toFixed(4)}, biased by tr/(KB) = ${(trueTrace / (K * B)).toFixed(4)}); B_noise ${(tr / sq).toFixed(2)} (true ${(trueTrace / trueSq).toFixed(2)})`);
  assert.ok(Math.abs(tr - trueTrace) < 4 * seTr, 'tr(Sigma) unbiased');
  assert.ok(Math.abs(sq - trueSq) < 4 * seSq, '|G|^2 unbiased');
  assert.ok(Math.abs(biased - trueSq - trueTrace / (K * B)) < 4 * seSq, '|gbar|^2 carries the bias tr(Sigma) / (K B)');
  assert.ok(Math.abs(tr / sq / (trueTrace / trueSq) - 1) < 0.03, 'B_noise from the averaged estimates');
  // Welford keeps its precision where the one-pass formula would not: mean 1e4, noise 1e-3.
  const m = new GradientMoments(3);
  const grads = [0, 1, 2, 3].map((k) => Float64Array.from([1e4 + 1e-3 * k, -1e4, 1e4 - 1e-3 * k]));
  grads.forEach((v) => m.add(v));
  const a = noiseScale(m, 2);
  const ref = noiseScaleReference(grads, 2);
  close(a.traceMinibatch, ref.traceMinibatch, 1e-9, 'ill-conditioned trace');
  close(a.traceMinibatch, (2 * 5e-6) / 3, 1e-9, 'ill-conditioned trace, exact');
  const lm = lossMoments([1, 2, 4]);
  close(lm.variance, 7 / 3, 1e-15, 'loss variance');
  // A mean gradient lost in its noise: the |G|^2 estimate is <= 0 and B_noise undefined.
  assert.is(noiseScaleReference([[1, 0], [-1, 0]], 4).bNoise, null);
  assert.throws(() => noiseScale(new GradientMoments(2), 4), (e: Error) => e instanceof EvaluationError && e.message === 'the gradient noise scale needs at least 2 minibatch gradients, got 0');
  assert.throws(() => new GradientMoments(2).add([1]), (e: Error) => e.message === 'a gradient of 1 values, expected 2');
  assert.throws(() => new GradientMoments(2).add([1, NaN]), (e: Error) => e.message === 'gradient 1: entry 1 is NaN (not finite)');
  assert.throws(() => lossMoments([1]), (e: Error) => e.message === 'a loss variance needs at least 2 minibatches, got 1');
});

test('softmax and posterior statistics against a direct float64 reference', () => {
  const u = mulberry32(3);
  const V = 17;
  const l = Float64Array.from({ length: V }, () => 8 * u() - 4);
  const z = l.reduce((a, x) => a + Math.exp(x), 0);
  const p = Array.from(l, (x) => Math.exp(x) / z);
  const s = softmaxStats(l, 0, V, 5);
  close(s.entropy, -p.reduce((a, q) => a + q * Math.log(q), 0), 1e-13, 'entropy');
  close(s.nll, -Math.log(p[5]!), 1e-13, 'nll');
  close(softmaxStats(new Float32Array(8), 0, 8, 0).entropy, Math.log(8), 1e-15, 'uniform');
  // -Infinity logits are zero probabilities; the same law as weights.
  const m = Float64Array.from([1, -Infinity, 0.5, -Infinity]);
  const w = weightStats(Float64Array.from(m, Math.exp), 0, 4, 2);
  const q = softmaxStats(m, 0, 4, 2);
  close(q.entropy, w.entropy, 1e-14, 'entropy with zeros');
  close(q.nll, w.nll, 1e-14, 'nll with zeros');
  assert.throws(() => weightStats([0, 0], 0, 2, 0), (e: Error) => e.message === 'a posterior with no mass (every weight is 0)');
});

const root = mkdtempSync(join(tmpdir(), 'dlmk-factors-'));
const corpus = writeToyCorpus(join(root, 'corpus'), 120, 24);
const data = { ...(toySpec(corpus, null).data as object), cacheDir: join(root, 'cache') };
const small = (arch: 'dit' | 'ar') => ({ model: { arch, size: 'tiny', hidden: 32, heads: 2, layers: 2, dropout: 0 }, budget: { steps: 30 }, batchSize: 8, validation: { every: 0, rows: 8, grid: 2 }, checkpoint: { every: 10, keep: 3 }, data });
let dit = '';
let ar = '';

test('variance at each kept checkpoint of a tiny masking DiT: weights unchanged, gradients read back are the trainer\'s, reproducible', async () => {
  dit = join(root, 'masking');
  ar = join(root, 'ar');
  await train(toySpec(corpus, 'masking', small('dit')), { out: dit });
  await train(toySpec(corpus, null, small('ar')), { out: ar });
  const run = await loadRun(dit);
  const rec = new Recorder(run.gpu);
  const reg = run.model.registry;
  const before = new Float32Array(reg.size);
  rec.read(reg.params, before);
  await rec.submit();
  const v = await varianceOverTraining(run, { rec, batches: 4 });
  const after = new Float32Array(reg.size);
  rec.read(reg.params, after);
  await rec.submit();
  assert.equal(Array.from(after), Array.from(before), 'the evaluated weights are back');
  assert.equal(v.map((x) => x.step), [10, 20, 30]);
  for (const x of v) {
    for (const c of [x.fixedX0!, x.freshX0]) {
      // mean_k |g_k|^2 from the host readback (float64) against the trainer's GPU norms.
      const gpu = c.gradNorms.reduce((a, n) => a + n * n, 0) / c.gradNorms.length;
      close(c.gradient.smallSqNorm, gpu, 1e-4, `step ${x.step}: readback against the trainer's gradient norm`);
      assert.ok(c.loss.variance > 0 && c.gradient.trace > 0);
    }
    const f = x.freshX0.gradient;
    console.log(`  step ${x.step}: loss ${x.freshX0.loss.mean.toFixed(3)} (sd ${x.freshX0.loss.sd.toFixed(3)} fresh x0, ${x.fixedX0!.loss.sd.toFixed(3)} fixed x0), tr(Sigma) ${f.trace.toFixed(3)}, |G|^2 ${f.sqNorm.toFixed(4)}, B_noise ${f.bNoise?.toFixed(1) ?? 'undefined'} sequences (${x.seconds.toFixed(1)} s)`);
  }
  const again = await varianceOverTraining(run, { rec, batches: 4, which: 'last' });
  assert.equal(again[0]!.freshX0.losses, v[2]!.freshX0.losses);
  assert.is(again[0]!.freshX0.gradient.trace, v[2]!.freshX0.gradient.trace);
});

test('posterior difficulty on masking: entropy = corrupted fraction x entropy at the masked positions (visible tokens have a delta posterior)', async () => {
  const run = await loadRun(dit);
  const { data: held } = await heldOutRows(run, 'test', 8);
  const p = await measurePosterior({ rec: new Recorder(run.gpu), model: run.model, rt: run.rt! }, held, { times: [0.2, 0.5, 0.9] });
  assert.is(p.predictionTarget, 'x0 | x_t without position i');
  for (const q of p.points) {
    close(q.entropy, q.corrupted * q.corruptedEntropy!, 1e-9, `t = ${q.t}: the identity`);
    close(q.corruptedEntropy!, q.corruptedPredictionEntropy!, 1e-6, `t = ${q.t}: a [MASK]'s column is flat`);
    assert.ok(Math.abs(q.corrupted - q.t * 0.999) < 4 * Math.sqrt((q.t * (1 - q.t)) / p.tokens) + 0.05, `t = ${q.t}: masked fraction ${q.corrupted}`);
    assert.ok(q.loss >= 0 && q.crossEntropy >= 0 && q.predictionEntropy > 0);
    console.log(`  t = ${q.t}: masked ${q.corrupted.toFixed(3)}, entropy ${q.entropy.toFixed(3)} ± ${q.entropySe.toFixed(3)} (at [MASK] ${q.corruptedEntropy!.toFixed(3)}), cross-entropy ${q.crossEntropy.toFixed(3)}, loss ${q.loss.toFixed(3)} ± ${q.lossSe.toFixed(3)}`);
  }
});

/** A denoiser whose p_hat puts all but e^-30 of its mass on target[b * L + l] (rows as the sampler batches them). */
class PeakedDenoiser implements Denoiser {
  readonly timeConditioned = true; // no cache: every call sees the whole batch in order
  constructor(readonly V: number, readonly target: ArrayLike<number>) {}
  logits(rec: Rec, inp: DenoiserInputs): Tensor {
    const host = new Float32Array(inp.B * inp.L * this.V);
    for (let i = 0; i < inp.B * inp.L; i++) host[i * this.V + this.target[i]!] = 30;
    const out = tempTensor(rec, [inp.B, inp.L, this.V], 'f32', 'peaked logits');
    rec.upload(out, host);
    return out;
  }
}

/** R rows drawn from the table law. */
function lawRows(law: DataLaw, R: number, seed: number): { x0: Uint32Array; valid: null; rows: number; L: number } {
  const u = mulberry32(seed);
  const cdf: number[] = [];
  Array.from(law.probs).reduce((a, p, j) => (cdf[j] = a + p), 0);
  const x0 = new Uint32Array(R * law.L);
  for (let r = 0; r < R; r++) {
    const v = u() * cdf[cdf.length - 1]!;
    const j = Math.max(0, cdf.findIndex((c) => c > v));
    x0.set(law.seqs[j]!, r * law.L);
  }
  return { x0, valid: null, rows: R, L: law.L };
}

test('repair and drift with a denoiser that knows x0: everything restored, clean tokens kept, zero drift at every step (every kernel)', async () => {
  for (const name of ['masking', 'uniform', 'semdlm', 'semdlm_plus', 'hybrid']) {
    const s = await setup(name);
    const held = lawRows(s.law, 600, 1);
    const r = await measureRepair({ rt: s.rt, denoiser: new PeakedDenoiser(LAW_V, held.x0), unigram: unigramOf(s.law) }, held, { times: [0.4, 0.9], m: 1, steps: 12 });
    for (const p of r.repair) {
      assert.is(p.restored, 1, `${name} t = ${p.t}: restored`);
      assert.is(p.keptClean, 1, `${name} t = ${p.t}: clean kept`);
    }
    for (const d of r.drift) {
      assert.is(d.restored, 1);
      for (const [k, st] of Object.entries({ differ: d.differ, masked: d.masked, frequency: d.frequency })) {
        if (st) assert.ok(st.maxZ < 4.5, `${name} t = ${d.t}: ${k} drifts by ${st.maxAbs} (max z ${st.maxZ})`);
      }
    }
    const d = r.drift[1]!;
    console.log(`  ${name.padEnd(11)} x0 known, t = 0.9: max |z| of the drift over ${d.s.length} steps: differ ${d.differ.maxZ.toFixed(2)}${d.masked ? `, masked ${d.masked.maxZ.toFixed(2)}` : ''}, frequency ${d.frequency!.maxZ.toFixed(2)}`);
  }
});

test('a denoiser wrong at position 1: masking restores a masked token exactly where it is right and never touches a visible one; uniform, SemDLM+ and the hybrid rewrite clean tokens', async () => {
  for (const name of ['masking', 'uniform', 'semdlm_plus', 'hybrid']) {
    const s = await setup(name);
    const held = lawRows(s.law, 200, 2);
    const target = Uint32Array.from(held.x0, (x, i) => (i % LAW_L === 1 ? (x + 1) % LAW_V : x));
    const r = await measureRepair({ rt: s.rt, denoiser: new PeakedDenoiser(LAW_V, target) }, held, { times: [0.7], m: 2, steps: 8, drift: false, keepTokens: true });
    const p = r.repair[0]!;
    const { start, end } = p.tokens!;
    let rewritten = 0;
    for (let i = 0; i < end.length; i++) {
      if (name === 'masking') {
        // A visible token never moves under masking; a [MASK] becomes the denoiser's word.
        assert.is(end[i], start[i] !== LAW_V ? start[i] : target[i], `masking, position ${i}`);
      } else {
        // Resets (and a mask channel beside them): the last step lands on the denoiser's word, clean or not.
        assert.is(end[i], target[i], `${name}, position ${i}`);
        if (start[i] === held.x0[i] && target[i] !== held.x0[i]) rewritten++;
      }
    }
    if (name === 'masking') assert.is(p.keptClean, 1);
    if (name !== 'masking') assert.ok(rewritten > 0 && p.keptClean! < 1, `${name}: clean tokens rewritten ${rewritten}`);
    console.log(`  ${name.padEnd(11)} wrong at position 1: restored ${p.restored.toFixed(3)} of the m = 2 (changed ${p.changed.toFixed(3)}), clean kept ${p.keptClean!.toFixed(3)}`);
  }
});

/** p(x0_i | x0_{-i}) under the law. */
function conditional(law: DataLaw, x: ArrayLike<number>, at: number, i: number): number {
  const row = Array.from({ length: law.L }, (_, l) => x[at + l]!);
  let z = 0;
  for (let v = 0; v < law.V; v++) z += law.probs[seqIndex(row.map((y, l) => (l === i ? v : y)), law.V)]!;
  return law.probs[seqIndex(row, law.V)]! / z;
}

test('the exact oracle: a masked token restored with its exact posterior probability; zero drift of the marginal statistics', async () => {
  const s = await setup('masking');
  const held = lawRows(s.law, 1500, 3);
  const r = await measureRepair({ rt: s.rt, denoiser: s.oracle, unigram: unigramOf(s.law) }, held, { times: [0.8], m: 1, steps: 16, drift: false, keepTokens: true });
  const { start, end } = r.repair[0]!.tokens!;
  let hits = 0, expected = 0, varSum = 0;
  for (let i = 0; i < start.length; i++) {
    if (start[i] !== LAW_V) continue;
    const b = Math.floor(i / LAW_L);
    const p = conditional(s.law, held.x0, b * LAW_L, i % LAW_L);
    expected += p;
    varSum += p * (1 - p);
    if (end[i] === held.x0[i]) hits++;
  }
  console.log(`  oracle, masking, one masked token per row: restored ${hits} (exact expectation ${expected.toFixed(1)} ± ${Math.sqrt(varSum).toFixed(1)})`);
  assert.ok(Math.abs(hits - expected) < 4 * Math.sqrt(varSum));
  for (const name of ['masking', 'uniform', 'semdlm_plus']) {
    const o = await setup(name);
    const d = (await measureRepair({ rt: o.rt, denoiser: o.oracle, unigram: unigramOf(o.law) }, lawRows(o.law, 1500, 4), { times: [0.8], m: 1, steps: 64 })).drift[0]!;
    console.log(`  oracle, ${name.padEnd(11)} from t = 0.8, 64 steps: max |z| frequency ${d.frequency!.maxZ.toFixed(2)}${d.masked ? `, masked ${d.masked.maxZ.toFixed(2)}` : ''}; differ (x0 unknown) ends at ${d.differ.value[d.differ.value.length - 1]!.toFixed(3)} (forward 0)`);
    assert.ok(d.frequency!.maxZ < 4.5, `${name}: frequency drift z ${d.frequency!.maxZ}`);
    if (d.masked) assert.ok(d.masked.maxZ < 4.5, `${name}: masked drift z ${d.masked.maxZ}`);
  }
});

test('evaluate(): a JSON-able record for the DiT and for the AR twin; refusals', async () => {
  const tiny = { likelihood: { rows: 4, nodes: 4, strata: 4 }, variance: { batches: 2, which: 'last' as const }, posterior: { rows: 4, times: [0.5] }, repair: { rows: 4, times: [0.5], steps: 4 } };
  const r = await evaluate(dit, tiny);
  assert.equal(JSON.parse(JSON.stringify(r)), r);
  assert.is(r.format, 'dlmk.eval/1');
  assert.is(r.run.step, 30);
  assert.is(r.run.kernel, 'masking');
  assert.is(r.likelihood!.rows, 4);
  assert.is(r.factors.variance!.length, 1);
  assert.is(r.factors.posterior!.points.length, 1);
  assert.is(r.factors.repair!.drift.length, 1);
  const a = await evaluate(ar, tiny);
  assert.equal(JSON.parse(JSON.stringify(a)), a);
  assert.is(a.run.model, 'ar');
  assert.ok(a.likelihood!.exact!.nats > 0 && a.likelihood!.quadrature === null);
  assert.is(a.factors.posterior, null);
  assert.is(a.factors.variance![0]!.fixedX0, null);
  console.log(`  evaluate: DiT ${r.seconds.total.toFixed(1)} s, AR ${a.seconds.total.toFixed(1)} s`);
  try {
    await evaluate(dit, { ...tiny, likelihood: { rows: 1 } });
    assert.unreachable('rows 1');
  } catch (err) {
    assert.instance(err, EvaluationError);
    assert.is((err as Error).message, 'likelihood: rows must be a whole number >= 2 (the error bar is the spread across rows), not 1');
  }
});

test.run();
