// The likelihood protocol (docs/eval.md, "Likelihood"): the Gauss-Legendre rule and the time rule
// against closed forms, the ratio estimator against its definition, and on a tiny masking DiT trained
// here (train(), the toy corpus) the quadrature and the stratified Monte Carlo estimate of the test
// NELBO agreeing within their paired error bar, reproducibly; the AR twin's exact NLL equal to the
// trainer's; the refusals.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getGpu, Recorder } from '../../../runtime/gpu/index.ts';
import { arConfig, TransformerModel } from '../../../runtime/nn/models/index.ts';
import { train } from '../../../runtime/train/index.ts';
import { arNll } from '../../../runtime/train/heldout.ts';
import { loadRun } from '../../../runtime/train/load.ts';
import { EvaluationError, arLikelihood, diffusionLikelihood, gaussLegendre, gaussLegendreOn, heldOutRows, ratioEstimate, runLikelihood, timeRule } from '../../../runtime/eval/index.ts';
import { mulberry32 } from '../../../runtime/data/index.ts';
import { toySpec, writeToyCorpus } from '../train/toy-corpus.ts';

async function rejects(p: Promise<unknown>, message: string): Promise<void> {
  try {
    await p;
  } catch (err) {
    assert.instance(err, EvaluationError);
    assert.is((err as Error).message, message);
    return;
  }
  assert.unreachable(`no error (expected: ${message})`);
}

const close = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);

test('Gauss-Legendre: the closed forms for n = 1, 2, 3, 5, and exact on polynomials of degree <= 2n - 1', () => {
  const s35 = Math.sqrt(3 / 5);
  const cases: Array<[number, number[], number[]]> = [
    [1, [0], [2]],
    [2, [-1 / Math.sqrt(3), 1 / Math.sqrt(3)], [1, 1]],
    [3, [-s35, 0, s35], [5 / 9, 8 / 9, 5 / 9]],
    // Abramowitz & Stegun table 25.4 (n = 5).
    [5, [-0.906179845938664, -0.538469310105683, 0, 0.538469310105683, 0.906179845938664], [0.236926885056189, 0.478628670499366, 0.568888888888889, 0.478628670499366, 0.236926885056189]],
  ];
  for (const [n, x, w] of cases) {
    const r = gaussLegendre(n);
    x.forEach((xi, i) => close(r.x[i]!, xi, 1e-14, `n = ${n} node ${i}`));
    w.forEach((wi, i) => close(r.w[i]!, wi, 1e-14, `n = ${n} weight ${i}`));
  }
  for (const n of [4, 8, 16, 33, 64]) {
    const r = gaussLegendreOn(n, 0, 1);
    for (let k = 0; k <= 2 * n - 1; k += Math.max(1, Math.floor(n / 4))) {
      let s = 0;
      for (let i = 0; i < n; i++) s += r.w[i]! * r.x[i]! ** k;
      close(s, 1 / (k + 1), 1e-13, `n = ${n}, integral of x^${k} on [0, 1]`);
    }
  }
  assert.throws(() => gaussLegendre(0), (e: Error) => e instanceof EvaluationError && e.message === 'a Gauss-Legendre rule needs 1..1024 nodes, not 0');
});

test('the time rule: in v = sqrt(t) it integrates t^k exactly for k <= n - 1 (2 v^(2k+1) has degree <= 2n - 1), and sqrt(t) exactly', () => {
  const n = 8;
  for (const variable of ['sqrt', 't'] as const) {
    const r = timeRule(n, variable);
    for (let k = 0; k < n; k++) {
      let s = 0;
      r.t.forEach((t, j) => (s += r.w[j]! * t ** k));
      close(s, 1 / (k + 1), 1e-13, `${variable}: t^${k}`);
    }
  }
  const r = timeRule(n, 'sqrt');
  let s = 0;
  r.t.forEach((t, j) => (s += r.w[j]! * Math.sqrt(t)));
  close(s, 2 / 3, 1e-14, 'sqrt(t)');
});

test('ratio estimator: against its definition (float64), equal counts give the mean and sd / sqrt(R); refusals', () => {
  const y = [3.1, 2.7, 4.4, 1.9, 3.3];
  const e = ratioEstimate(y, [4, 4, 4, 4, 4]);
  const per = y.map((v) => v / 4);
  const m = per.reduce((a, b) => a + b) / 5;
  const sd = Math.sqrt(per.reduce((a, b) => a + (b - m) ** 2, 0) / 4);
  close(e.mean, m, 1e-15, 'mean');
  close(e.se, sd / Math.sqrt(5), 1e-14, 'se');
  // Unequal counts: the delta method written out.
  const n = [3, 5, 2, 6, 4];
  const f = ratioEstimate(y, n);
  const R = y.reduce((a, b) => a + b) / n.reduce((a, b) => a + b);
  const ss = y.reduce((a, v, i) => a + (v - R * n[i]!) ** 2, 0);
  close(f.mean, R, 1e-15, 'ratio');
  close(f.se, Math.sqrt((5 / 4) * ss) / 20, 1e-14, 'ratio se');
  assert.is(f.tokens, 20);
  assert.throws(() => ratioEstimate([1, NaN], [1, 1]), (e: Error) => e.message === 'row 1: its total is NaN (not finite)');
  assert.throws(() => ratioEstimate([1], [1, 2]), (e: Error) => e.message === '1 row totals but 2 row counts');
  assert.throws(() => ratioEstimate([0, 0], [0, 0]), (e: Error) => e.message === 'no tokens to average over (2 rows)');
});

const root = mkdtempSync(join(tmpdir(), 'dlmk-likelihood-'));
const corpus = writeToyCorpus(join(root, 'corpus'));
const data = { ...(toySpec(corpus, null).data as object), cacheDir: join(root, 'cache') };

test('a tiny masking DiT: quadrature and Monte Carlo agree within the paired error bar; reproducible; the parts add up; padding does not count', async () => {
  const t0 = performance.now();
  const model = { arch: 'dit', size: 'tiny', hidden: 64, heads: 2, dropout: 0 };
  await train(toySpec(corpus, 'masking', { model, budget: { steps: 150 }, validation: { every: 0, rows: 16, grid: 4 }, data }), { out: join(root, 'masking') });
  const trained = (performance.now() - t0) / 1000;
  const run = await loadRun(join(root, 'masking'));
  const rec = new Recorder(run.gpu);
  const t1 = performance.now();
  const r = await runLikelihood(run, { rec, rows: 32 });
  const q = r.quadrature!;
  const mc = r.monteCarlo!;
  const a = r.agreement!;
  console.log(`  masking, 150 steps (${trained.toFixed(0)} s); ${r.split} split, ${r.rows} rows, ${r.tokens} tokens; ${r.protocol!.nodes} nodes, ${r.protocol!.strata} strata in v = sqrt(t) (${((performance.now() - t1) / 1000).toFixed(1)} s)`);
  console.log(`  quadrature   ${q.nats.toFixed(4)} ± ${q.se.toFixed(4)} nats/token (${q.bits.toFixed(3)} bits, ppl <= ${q.ppl.toFixed(2)}), prior ${q.prior!.toFixed(4)}`);
  console.log(`  Monte Carlo  ${mc.nats.toFixed(4)} ± ${mc.se.toFixed(4)} nats/token (${mc.bits.toFixed(3)} bits, ppl <= ${mc.ppl.toFixed(2)})`);
  console.log(`  difference   ${a.difference.toFixed(4)} ± ${a.se.toFixed(4)} (z = ${a.z.toFixed(2)})`);
  assert.is(r.split, 'test');
  assert.is(r.rows, 32);
  assert.is(r.tokens, 32 * 32);
  assert.ok(Math.abs(a.z) < 3, `quadrature and Monte Carlo differ by ${a.z.toFixed(2)} paired standard errors`);
  assert.ok(Math.abs(q.nats - mc.nats) < 2 * Math.hypot(q.se, mc.se), 'outside the stated error bars');
  close(q.nats, q.diffusion! + q.prior!, 1e-12, 'quadrature = diffusion + prior');
  close(mc.nats, mc.diffusion! + mc.prior!, 1e-12, 'Monte Carlo = diffusion + prior');
  close(q.bits, q.nats / Math.LN2, 1e-15, 'bits');
  // The curve: the quadrature's diffusion part is its weighted sum.
  const c = r.curve!;
  close(c.integrand.reduce((s, f, j) => s + c.weight[j]! * f, 0), q.diffusion!, 1e-12, 'curve');
  assert.ok(q.nats > 0.5 && q.nats < 3.4, `${q.nats} nats: between a good model and the unigram entropy (3.32)`);
  // Tighter: 4 draws per node, 64 strata.
  const t2 = performance.now();
  const fine = await runLikelihood(run, { rec, rows: 32, draws: 4, strata: 64 });
  const af = fine.agreement!;
  console.log(`  4 draws per node, 64 strata: quadrature ${fine.quadrature!.nats.toFixed(4)} ± ${fine.quadrature!.se.toFixed(4)}, Monte Carlo ${fine.monteCarlo!.nats.toFixed(4)} ± ${fine.monteCarlo!.se.toFixed(4)}, difference ${af.difference.toFixed(4)} ± ${af.se.toFixed(4)} (z = ${af.z.toFixed(2)}; ${((performance.now() - t2) / 1000).toFixed(1)} s)`);
  assert.ok(Math.abs(af.z) < 3, `4 draws, 64 strata: z = ${af.z}`);
  assert.ok(af.se < a.se, 'more draws give a smaller paired error');
  // Fixed seeds: the same numbers again; another seed moves them within the error bar.
  const again = await runLikelihood(run, { rec, rows: 32 });
  assert.is(again.quadrature!.nats, q.nats);
  assert.is(again.monteCarlo!.nats, mc.nats);
  const other = await runLikelihood(run, { rec, rows: 32, seed: 99, estimators: ['monteCarlo'] });
  assert.is(other.quadrature, null);
  assert.ok(Math.abs(other.monteCarlo!.nats - mc.nats) < 4 * mc.se, `seed 99: ${other.monteCarlo!.nats}`);
  // Sentence mode: padding (valid 0) is neither scored nor attended to, so what it holds does not matter.
  const { data: held } = await heldOutRows(run, 'test', 8);
  const valid = Float32Array.from(held.x0, (_, i) => (i % held.L < held.L - 1 - (Math.floor(i / held.L) % 5) ? 1 : 0));
  const o = { nodes: 4, strata: 4, B: 4 };
  const ctx = { rec, model: run.model, rt: run.rt! };
  const p1 = await diffusionLikelihood(ctx, { ...held, valid }, o);
  const p2 = await diffusionLikelihood(ctx, { ...held, x0: Uint32Array.from(held.x0, (x, i) => (valid[i] ? x : (x + 3) % 40)), valid }, o);
  assert.is(p1.tokens, valid.reduce((a, v) => a + v, 0));
  assert.is(p2.quadrature!.nats, p1.quadrature!.nats);
  assert.is(p2.monteCarlo!.nats, p1.monteCarlo!.nats);
  await rejects(runLikelihood(run, { rec, rows: 4, nodes: 0 }), 'likelihood: nodes must be a whole number >= 1, not 0');
  await rejects(runLikelihood(run, { rec, rows: 4, variable: 'log' as 'sqrt' }), "likelihood: variable is 'sqrt' or 't', not 'log'");
});

test('the AR twin: the exact NLL per row sums to the trainer\'s arNll on the same rows', async () => {
  const gpu = await getGpu();
  const V = 40;
  const L = 12;
  const model = new TransformerModel(gpu, arConfig('tiny', V, { hidden: 32, heads: 2, layers: 1 }), { seed: 4 });
  // Random weights (a fresh model's zero-initialised head would predict the uniform law everywhere).
  const init = new Recorder(gpu);
  const u = mulberry32(11);
  init.upload(model.registry.params, Float32Array.from({ length: model.registry.size }, () => 0.6 * (u() - 0.5)));
  await init.submit({ wait: true });
  const rows = 7;
  const x0 = Uint32Array.from({ length: rows * L }, (_, i) => (i * 7 + Math.floor(i / 5)) % V);
  // Sentence mode: the last positions of some rows are padding.
  const valid = Float32Array.from({ length: rows * L }, (_, i) => (i % L < L - (Math.floor(i / L) % 3) ? 1 : 0));
  for (const v of [null, valid]) {
    const held = { x0, valid: v, rows, L };
    const rec = new Recorder(gpu);
    const ours = await arLikelihood({ rec, model }, held, { B: 3 });
    const theirs = await arNll(rec, model, held, { B: 4 });
    close(ours.exact.nats, theirs.nats, 1e-12, `nats (${v ? 'sentence' : 'packed'})`);
    assert.is(ours.tokens, theirs.tokens);
    assert.ok(ours.exact.se > 0 && Number.isFinite(ours.exact.se), JSON.stringify(ours));
    assert.ok(Math.abs(ours.exact.nats - Math.log(V)) > 1e-3, 'not the uniform law');
    close(ours.exact.ppl, Math.exp(ours.exact.nats), 1e-15, 'ppl');
  }
  model.destroy();
});

test.run();
