// The structured forms (docs/math.md §1.3-1.7) against dense matrix exponentials (§6): rows,
// columns and transitions of every shipped kernel, of mask + reset + jump together, of a
// non-proportional kernel (event ordering + quadrature), one that starts corrupted (Lambda_c(0) > 0,
// §1.6), two graphs in time-varying ratios (ODE, §1.7), and a channel left to the rate tables.
// Tolerance 1e-9 absolute per entry, with enough hops for a truncation bound below 1e-17.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as IR from '../../helpers/ir.ts';
import { makeReferenceKernel, type ReferenceKernel } from '../../../reference/kernel/index.ts';
import { buildRateTables } from '../../../runtime/kernel/tables/index.ts';
import { expmPade, expmUniformisation } from '../../../reference/math/dense.ts';
import { knn, maxAbsDiff, nonProportional, randomLaw, tabulatedChannel, twoGraphs } from '../helpers.ts';

const TOL = 1e-9;
const V = 24;
const near = knn(V, 4, 11);
const unigram = randomLaw(V, 12);
const Vs = 10;
const smallGraphs = { near: knn(Vs, 3, 21), far: knn(Vs, 2, 22, { d: 3 }) };
const smallUnigram = randomLaw(Vs, 23);

function check(K: ReferenceKernel, times: number[], label: string): void {
  const S = K.S;
  for (const t of times) {
    const P = K.denseForward(t);
    const H = K.hopsExact(t, 1e-17);
    assert.ok(K.hops(t).bound >= 0);
    for (let x0 = 0; x0 < K.V; x0++) {
      const e = maxAbsDiff(K.row(t, x0, H), P.subarray(x0 * S, (x0 + 1) * S));
      assert.ok(e < TOL, `${label}: row t=${t} x0=${x0} differs by ${e}`);
    }
    for (let xt = 0; xt < S; xt++) {
      const col = K.column(t, xt, H);
      for (let x0 = 0; x0 < K.V; x0++) assert.ok(Math.abs(col[x0]! - P[x0 * S + xt]!) < TOL, `${label}: column t=${t} xt=${xt} x0=${x0}`);
    }
    const s = 0.4 * t;
    const PT = K.denseTransition(s, t);
    const Hst = Math.max(K.hopsBetween(s, t).H, 60);
    for (let xs = 0; xs < S; xs++) {
      const e = maxAbsDiff(K.transitionRow(s, t, xs, Hst), PT.subarray(xs * S, (xs + 1) * S));
      assert.ok(e < TOL, `${label}: transition ${s}->${t} xs=${xs} differs by ${e}`);
    }
  }
}

for (const [name, make] of Object.entries(IR.all)) {
  test(`${name}: rows, columns and transitions match the dense exponential`, () => {
    const K = makeReferenceKernel(make(), { V, graphs: { near }, unigram });
    check(K, [0.05, 0.5, 1], name);
  });
}

test('everything with a linear schedule (Lambda up to 6) matches', () => {
  const K = makeReferenceKernel(IR.everything(IR.linear(0, 6)), { V, graphs: { near }, unigram });
  check(K, [0.3, 1], 'everything/linear');
});

test('a schedule that starts corrupted (linear(0.4, 3): Lambda(0) > 0) matches', () => {
  const K = makeReferenceKernel(IR.everything(IR.linear(0.4, 3)), { V, graphs: { near }, unigram });
  check(K, [0, 0.6], 'everything/offset');
});

test('non-proportional shares: event ordering with quadrature matches the time-ordered exponential', () => {
  const K = makeReferenceKernel(nonProportional(), { V: Vs, graphs: smallGraphs, unigram: smallUnigram });
  assert.ok(K.hopExpansion);
  check(K, [0.2, 0.7, 1], 'nonprop');
});

test('non-proportional with Lambda_c(0) > 0 (proportional prefix) matches', () => {
  const K = makeReferenceKernel(nonProportional(0.3), { V: Vs, graphs: smallGraphs, unigram: smallUnigram });
  check(K, [0, 0.5, 1], 'nonprop/offset');
});

test('two graphs in time-varying ratios: the ODE fallback matches Magnus (no hop expansion)', () => {
  const K = makeReferenceKernel(twoGraphs(), { V: Vs, graphs: smallGraphs, unigram: smallUnigram });
  assert.is(K.hopExpansion, false);
  check(K, [0.5, 1], 'two graphs');
});

test('a channel whose Lambda is tabulated by quadrature matches the closed-form kernel', () => {
  const spec = tabulatedChannel();
  const tables = buildRateTables(spec, { V: Vs, graphs: smallGraphs, unigram: smallUnigram });
  const K = makeReferenceKernel(spec, { V: Vs, graphs: smallGraphs, unigram: smallUnigram, tables });
  const ref = makeReferenceKernel(nonProportional(), { V: Vs, graphs: smallGraphs, unigram: smallUnigram });
  for (const t of [0, 0.25, 0.5, 1]) {
    // Exact at grid points.
    assert.ok(Math.abs(K.lambdas(t)[1]! - ref.lambdas(t)[1]!) < 1e-13, `Lambda at t=${t}`);
    assert.ok(maxAbsDiff(K.row(t, 3, 80), ref.row(t, 3, 80)) < 1e-12);
  }
  // Between grid points: the monotone Hermite interpolant with exact slopes, O(h^4).
  assert.ok(Math.abs(K.lambdas(0.3337)[1]! - ref.lambdas(0.3337)[1]!) < 1e-10);
  check(K, [0.3337], 'tabulated');
});

test('the two dense exponentials agree (Pade scaling-squaring vs uniformisation)', () => {
  const K = makeReferenceKernel(IR.everything(IR.linear(0, 6)), { V, graphs: { near }, unigram });
  const S = K.S;
  const G = K.denseGenerator(0.5).map((x) => 6 * x); // a generator with Lambda = 6 worth of rate
  const a = expmPade(G, S);
  const b = expmUniformisation(G, S);
  assert.ok(maxAbsDiff(a, b) < 1e-13, `${maxAbsDiff(a, b)}`);
  for (let i = 0; i < S; i++) {
    let r = 0;
    for (let j = 0; j < S; j++) r += b[i * S + j]!;
    assert.ok(Math.abs(r - 1) < 1e-14);
  }
});

test('q_s P_{s->t} = q_t (Chapman-Kolmogorov through the structured forms)', () => {
  const K = makeReferenceKernel(nonProportional(0.2), { V: Vs, graphs: smallGraphs, unigram: smallUnigram });
  const S = K.S;
  const [s, t] = [0.3, 0.8];
  const qs = K.row(s, 4, 80);
  const out = new Float64Array(S);
  for (let x = 0; x < S; x++) {
    const r = K.transitionRow(s, t, x, 80);
    for (let y = 0; y < S; y++) out[y]! += qs[x]! * r[y]!;
  }
  assert.ok(maxAbsDiff(out, K.row(t, 4, 80)) < 1e-12);
});

test.run();
