// The sparse kernel quantities (docs/math.md §2.7, §2.8) against the dense float64 ones:
// - the sparse and pruned propagations equal the dense series (1e-12);
// - the sparse reverse step's components assemble into reverseStep's law exactly (1e-12), and its
//   draws pass Pearson chi-square against that law;
// - the sparse ELBO estimator is unbiased: over many draws its mean value and mean gradient equal
//   the exact ELBO's (z-scores against the estimated standard errors).
// Every statistical check here is one of a family tested at family-wise level 1e-3 (Bonferroni);
// fixed seeds. The fixture graph has a hub (token 0, the mean direction of the others, so it is
// among the nearest neighbours of most tokens), and the cases include t > 0.9 and a model near the
// data.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as IR from '../../helpers/ir.ts';
import { buildKnnGraph } from '../../../reference/graph/index.ts';
import { makeReferenceKernel, type ReferenceKernel } from '../../../reference/kernel/index.ts';
import { Structure } from '../../../reference/kernel/structure.ts';
import { Interval } from '../../../reference/kernel/interval.ts';
import { prunedWalkRow, sparseWalkCol, sparseWalkRow } from '../../../reference/kernel/sparse.ts';
import { reverseLawFromParts } from '../../../reference/kernel/sparse-reverse.ts';
import type { KernelSpec } from '../../../specs/types/kernel.ts';
import { chiSquare } from '../../runtime/kernel/stats.ts';
import { chiSquarePValue } from '../../../reference/math/special.ts';
import { randomLaw, seeded } from '../helpers.ts';

const V = 16;
const d = 5;
const emb = (() => {
  const r = seeded(901);
  const e = new Float64Array(V * d).map(() => r() - 0.5);
  for (let j = 0; j < d; j++) {
    let s = 0;
    for (let i = 1; i < V; i++) s += e[i * d + j]!;
    e[j] = s / (V - 1) + 0.02 * (r() - 0.5);
  }
  return e;
})();
const near = buildKnnGraph(emb, V, d, { k: 3, bandwidth: 0.3, symmetric: false });
const inputs = { V, graphs: { near }, unigram: randomLaw(V, 902) };
const inDegree = (x: number) => {
  let n = 0;
  for (let i = 0; i < V; i++) for (let p = near.rowPtr[i]!; p < near.rowPtr[i + 1]!; p++) if (near.col[p] === x && i !== x) n++;
  return n;
};
const HUB = 0;

const kernels: Array<[string, KernelSpec]> = [
  ['semdlm', IR.semdlm(IR.loglinear(), 3)],
  ['semdlm_plus', IR.semdlmPlus(IR.loglinear(), { k: 3 })],
  ['mask + reset + graph', IR.everything()],
];

const probsOf = (logits: Float64Array) => {
  const m = Math.max(...logits);
  const p = logits.map((x) => Math.exp(x - m));
  const z = p.reduce((a, b) => a + b, 0);
  return p.map((x) => x / z);
};
const randomLogits = (seed: number) => {
  const r = seeded(seed);
  return new Float64Array(V).map(() => 3 * r());
};
/** A model near the data: 95% on x0. */
const fitLogits = (x0: number) => new Float64Array(V).map((_, i) => Math.log(i === x0 ? 0.95 + 0.05 / V : 0.05 / V));

test('the fixture graph has a hub', () => {
  assert.ok(inDegree(HUB) >= 8, `in-degree of token ${HUB} is ${inDegree(HUB)}`);
});

test('sparse rows, columns and pruned propagation equal the dense series', () => {
  const st = new Structure(IR.everything(), inputs);
  for (const t of [0.2, 0.6, 0.97]) {
    const iv = new Interval(st, null, t);
    const H = iv.defaultHops();
    const p = randomLaw(V, 903);
    const dense = iv.walkRow(p, H);
    const targets = [HUB, 3, 7];
    const pr = prunedWalkRow(iv, p, targets, H);
    for (const y of targets) assert.ok(Math.abs(pr.v.get(y)! - dense[y]!) < 1e-12, `pruned row at ${y}, t = ${t}`);
    for (const x of [HUB, 5]) {
      const e = new Float64Array(V);
      e[x] = 1;
      const row = iv.walkRow(e, H);
      const col = iv.walkCol(e, H);
      const sr = sparseWalkRow(iv, x, H).v;
      const sc = sparseWalkCol(iv, x, H).v;
      for (let y = 0; y < V; y++) {
        assert.ok(Math.abs((sr.get(y) ?? 0) - row[y]!) < 1e-12, `row ${x} at ${y}`);
        assert.ok(Math.abs((sc.get(y) ?? 0) - col[y]!) < 1e-12, `column ${x} at ${y}`);
      }
    }
  }
});

// The reverse step: (kernel, t, s, x_t) cases, x_t real (including the hub) and [MASK].
const reverseCases: Array<[string, KernelSpec, number, number, number]> = [];
for (const [name, spec] of [...kernels, ['masking', IR.masking()] as [string, KernelSpec], ['uniform', IR.uniform()] as [string, KernelSpec]]) {
  for (const [t, s] of [[0.5, 0.45], [0.99, 0.9], [0.2, 0.05]] as const) {
    reverseCases.push([name, spec, t, s, HUB], [name, spec, t, s, 9]);
    if (spec.hasMask) reverseCases.push([name, spec, t, s, V]);
  }
}

test('the sparse reverse step assembles reverseStep exactly', () => {
  for (const [name, spec, t, s, xt] of reverseCases) {
    const K = makeReferenceKernel(spec, inputs) as ReferenceKernel & { st: Structure; interval: (a: number | null, b: number) => Interval };
    const probs = probsOf(randomLogits(904 + xt));
    const law = reverseLawFromParts(K, probs, s, K.reverseParts(probs, xt, t, s));
    const exact = K.reverseStep(probs, xt, t, s);
    for (let x = 0; x < K.S; x++) assert.ok(Math.abs(law[x]! - exact[x]!) < 1e-12, `${name} t=${t} s=${s} xt=${xt}: state ${x} ${law[x]} vs ${exact[x]}`);
  }
});

const CHI_CASES = reverseCases.filter(([, , t, , xt], i) => i % 2 === 0 || t > 0.9 || xt === HUB);
test('sparse reverse draws pass chi-square against reverseStep', () => {
  const level = 1e-3 / CHI_CASES.length;
  const N = 12000;
  for (const [name, spec, t, s, xt] of CHI_CASES) {
    const K = makeReferenceKernel(spec, inputs);
    const probs = probsOf(randomLogits(905 + xt));
    const rng = seeded(906 + Math.round(1000 * t) + xt);
    const counts = new Float64Array(K.S);
    for (let i = 0; i < N; i++) counts[K.sampleReverse(probs, xt, t, s, rng)]!++;
    const { p, df } = chiSquare(counts, K.reverseStep(probs, xt, t, s));
    assert.ok(p > level, `${name} t=${t} s=${s} xt=${xt}: chi-square p = ${p} (df ${df})`);
  }
});

// Unbiasedness. Each case draws DRAWS estimates; the value and every gradient coordinate get a
// z-score (mean - exact) / SE; a coordinate whose estimate never varies must equal the exact one.
interface Case {
  name: string;
  spec: KernelSpec;
  t: number;
  x0: number;
  xt: number;
  logits: Float64Array;
  opts: { M?: number; maxInDegree?: number; hubDraws?: number };
}
const cases: Case[] = [];
{
  const r = seeded(907);
  for (const [name, spec] of kernels) {
    const K = makeReferenceKernel(spec, inputs);
    for (const t of [0.3, 0.7, 0.95]) {
      for (const fit of [false, true]) {
        const x0 = 1 + Math.floor(r() * (V - 1));
        let xt = K.sampleForward(x0, t, r);
        if (xt < V && K.row(t, x0)[xt]! <= 0) xt = x0;
        const logits = fit ? fitLogits(x0) : randomLogits(908 + cases.length);
        cases.push({ name, spec, t, x0, xt, logits, opts: {} });
      }
    }
    // The hub as x_t, with its graph sum estimated from drawn in-neighbours.
    cases.push({ name: `${name}, hub x_t`, spec, t: 0.5, x0: 4, xt: HUB, logits: randomLogits(909), opts: { maxInDegree: 2, hubDraws: 3 } });
    if (spec.hasMask) cases.push({ name: `${name}, masked x_t`, spec, t: 0.8, x0: 6, xt: V, logits: fitLogits(6), opts: {} });
  }
}
const DRAWS = 3000;
const CHECKS = cases.length * (V + 1);
// Two-sided normal quantile for the Bonferroni level 1e-3 / CHECKS: P(|N(0,1)| > z) = P(chi2_1 > z^2).
const Z = (() => {
  let lo = 0, hi = 10;
  for (let i = 0; i < 100; i++) {
    const mid = (lo + hi) / 2;
    if (chiSquarePValue(mid * mid, 1) > 1e-3 / CHECKS) lo = mid;
    else hi = mid;
  }
  return hi;
})();

test(`the sparse ELBO estimator is unbiased (value and gradient; |z| <= ${Z.toFixed(2)})`, () => {
  let worst = 0;
  for (const c of cases) {
    const K = makeReferenceKernel(c.spec, inputs);
    const exact = K.elbo(c.logits, c.x0, c.xt, c.t);
    const rng = seeded(910 + Math.round(c.t * 100) + c.x0);
    let s1 = 0, s2 = 0;
    const g1 = new Float64Array(V), g2 = new Float64Array(V);
    for (let i = 0; i < DRAWS; i++) {
      const e = K.elboEstimate(c.logits, c.x0, c.xt, c.t, rng, c.opts);
      s1 += e.value;
      s2 += e.value * e.value;
      for (let j = 0; j < V; j++) {
        g1[j]! += e.grad[j]!;
        g2[j]! += e.grad[j]! * e.grad[j]!;
      }
    }
    const check = (what: string, sum: number, sq: number, want: number) => {
      const mean = sum / DRAWS;
      const se = Math.sqrt(Math.max(0, sq / DRAWS - mean * mean) / (DRAWS - 1));
      const tol = 1e-10 * Math.max(1, Math.abs(want));
      if (se <= tol) {
        assert.ok(Math.abs(mean - want) <= 10 * tol, `${c.name} t=${c.t}: ${what} never varies but is ${mean}, exact ${want}`);
        return;
      }
      const z = (mean - want) / se;
      worst = Math.max(worst, Math.abs(z));
      assert.ok(Math.abs(z) <= Z, `${c.name} t=${c.t} x0=${c.x0} xt=${c.xt}: ${what} mean ${mean} vs exact ${want} (SE ${se}, z = ${z.toFixed(2)})`);
    };
    check('value', s1, s2, exact.value);
    for (let j = 0; j < V; j++) check(`d/dlogit ${j}`, g1[j]!, g2[j]!, exact.grad[j]!);
    // Power: the value's standard error is small next to the value, so a bias of a few percent shows.
    const se = Math.sqrt(Math.max(0, s2 / DRAWS - (s1 / DRAWS) ** 2) / DRAWS);
    assert.ok(se <= 0.05 * Math.abs(exact.value) + 1e-12, `${c.name} t=${c.t}: SE ${se} against the value ${exact.value}`);
  }
  assert.ok(worst > 0.5, `some estimate varies (largest |z| ${worst})`);
});

test('bad estimator options and inputs are refused by name', () => {
  const K = makeReferenceKernel(IR.semdlmPlus(IR.loglinear(), { k: 3 }), inputs);
  const logits = randomLogits(911);
  const rng = seeded(912);
  assert.throws(() => K.elboEstimate(logits, 1, 1, 0.5, rng, { M: 0 }), /M = 0 must be a whole number/);
  assert.throws(() => K.elboEstimate(logits, 1, 1, 0.5, rng, { hubDraws: 1.5 }), /hubDraws = 1.5/);
  assert.throws(() => K.elboEstimate(logits.subarray(1), 1, 1, 0.5, rng), /logits has 15 entries/);
  assert.throws(() => K.sampleReverse(probsOf(logits), 1, 0.4, 0.5, rng), /s <= t/);
  assert.throws(() => K.reverseParts(probsOf(logits), V + 3, 0.5, 0.4), /not a state/);
});

test.run();
