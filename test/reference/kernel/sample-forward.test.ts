// sampleForward (docs/math.md §2.1) against row(): Pearson chi-square goodness of fit for several
// (kernel, t, x0) at family-wise level 1e-3 (Bonferroni), bins with expected count < 5 pooled; and a
// tail check: a state of probability ~1e-3 is hit at its rate (two-sided binomial test at 1e-3).
// Fixed seeds.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as IR from '../../helpers/ir.ts';
import { makeReferenceKernel } from '../../../reference/kernel/index.ts';
import { samplePoisson } from '../../../reference/kernel/sample.ts';
import { chiSquarePValue, gammaP, gammaQ, poissonWeights } from '../../../reference/math/special.ts';
import type { KernelSpec } from '../../../specs/types/kernel.ts';
import { knn, nonProportional, randomLaw, seeded, twoGraphs } from '../helpers.ts';

const V = 12;
const inputs = { V, graphs: { near: knn(V, 3, 51), far: knn(V, 2, 52, { d: 3 }) }, unigram: randomLaw(V, 53) };
const N = 20000;

const cases: Array<[string, KernelSpec, number, number]> = [
  ['masking', IR.masking(), 0.4, 2],
  ['uniform', IR.uniform(), 0.6, 0],
  ['semdlm', IR.semdlm(), 1, 5],
  ['semdlm_plus', IR.semdlmPlus(), 0.9, 7],
  ['hybrid', IR.hybrid(), 0.3, 1],
  ['everything', IR.everything(), 0.5, 3],
  ['non-proportional', nonProportional(), 0.7, 4],
  ['non-proportional, reset often in the prefix', nonProportional(0.3), 0.05, 6],
  ['two graphs (time-ordered marks)', twoGraphs(), 0.8, 2],
];
const LEVEL = 1e-3 / (cases.length + 1);

/** Pearson chi-square p-value of observed counts against probabilities, pooling expected < 5. */
function chiSquare(counts: Float64Array, probs: Float64Array, n: number): { p: number; df: number } {
  let stat = 0, bins = 0, poolE = 0, poolO = 0;
  probs.forEach((q, i) => {
    const e = n * q;
    if (e < 5) {
      poolE += e;
      poolO += counts[i]!;
      return;
    }
    stat += (counts[i]! - e) ** 2 / e;
    bins++;
  });
  if (poolE > 0) {
    if (poolE >= 1) {
      stat += (poolO - poolE) ** 2 / poolE;
      bins++;
    } else assert.ok(poolO <= 3, `pooled rare states hit ${poolO} times, expected ${poolE}`);
  }
  return { p: chiSquarePValue(stat, bins - 1), df: bins - 1 };
}

for (const [name, spec, t, x0] of cases) {
  test(`${name}: x_t ~ q_t(. | x0) at t=${t} passes chi-square against row()`, () => {
    const K = makeReferenceKernel(spec, inputs);
    const rng = seeded(1000 + x0);
    const counts = new Float64Array(K.S);
    for (let i = 0; i < N; i++) counts[K.sampleForward(x0, t, rng)]!++;
    const row = K.row(t, x0, K.hopsExact(t, 1e-18));
    const { p, df } = chiSquare(counts, row, N);
    assert.ok(df >= 1);
    assert.ok(p > LEVEL, `${name}: chi-square p = ${p} (df ${df})`);
  });
}

test('tail: a state of probability ~1e-3 is drawn at its rate', () => {
  const K = makeReferenceKernel(IR.everything(), inputs);
  const [t, x0] = [0.2, 3];
  const row = K.row(t, x0, K.hopsExact(t, 1e-18));
  let y = -1;
  row.forEach((q, i) => {
    if (q >= 5e-4 && q < 3e-3 && (y < 0 || q < row[y]!)) y = i;
  });
  assert.ok(y >= 0, 'the fixture has a state with probability in [5e-4, 3e-3)');
  const n = 200_000;
  const rng = seeded(77);
  let hits = 0;
  for (let i = 0; i < n; i++) if (K.sampleForward(x0, t, rng) === y) hits++;
  // Two-sided test with the Poisson approximation of Binomial(n, q) (n q ~ 100-600, q tiny):
  // P(X <= k) = Q(k + 1, n q), P(X >= k) = P(k, n q).
  const mu = n * row[y]!;
  const lower = gammaQ(hits + 1, mu);
  const upper = hits === 0 ? 1 : gammaP(hits, mu);
  assert.ok(Math.min(lower, upper) > LEVEL / 2, `state ${y} (q = ${row[y]}) hit ${hits} times, expected ${mu}`);
});

test('the Poisson sampler matches its law, including past the split at mu = 500', () => {
  for (const mu of [0.3, 7, 620]) {
    const rng = seeded(Math.round(mu * 10));
    const n = 20000;
    const hi = Math.ceil(mu + 12 * Math.sqrt(mu) + 20);
    const counts = new Float64Array(hi + 1);
    for (let i = 0; i < n; i++) counts[Math.min(hi, samplePoisson(mu, rng))]!++;
    const { p } = chiSquare(counts, poissonWeights(mu, hi), n);
    assert.ok(p > LEVEL, `Poisson(${mu}): p = ${p}`);
  }
});

test.run();
