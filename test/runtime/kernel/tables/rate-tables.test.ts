// buildRateTables (docs/math.md §3): the mutual_info schedule checked against exact mutual
// information computed from the float64 reference's rows (an independent code path), its
// monotonicity and derivative; the Monte-Carlo estimator against the exact one; quadrature-tabulated
// channels; errors and caching.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as IR from '../../../helpers/ir.ts';
import { buildRateTables, MutualInfoError, RateTablesError, type RateTables } from '../../../../runtime/kernel/tables/index.ts';
import { makeReferenceKernel } from '../../../../reference/kernel/index.ts';
import type { KernelSpec } from '../../../../specs/types/kernel.ts';
import type { SparseGraph } from '../../../../runtime/kernel/tables/graph.ts';
import { knn, nonProportional, randomLaw, tabulatedChannel } from '../../../reference/helpers.ts';

const V = 16;
const near = knn(V, 5, 91, { symmetric: true });
const unigram = randomLaw(V, 92);
const EPS = 1e-3;

/** Exact I(x0; x_t) / H(x0) for x0 ~ p, from the reference kernel's rows. */
function nmi(spec: KernelSpec, tables: RateTables, t: number, p: Float64Array, graphs: Record<string, SparseGraph>): number {
  const n = p.length;
  const K = makeReferenceKernel(spec, { V: n, graphs, unigram: p, tables });
  const H = K.hopsExact(t, 1e-18);
  const rows = Array.from({ length: n }, (_, x) => K.row(t, x, H));
  const m = new Float64Array(K.S);
  rows.forEach((r, x) => r.forEach((q, y) => (m[y]! += p[x]! * q)));
  let I = 0, Hp = 0;
  rows.forEach((r, x) => {
    Hp -= p[x]! * Math.log(p[x]!);
    r.forEach((q, y) => q > 0 && (I += p[x]! * q * Math.log(q / m[y]!)));
  });
  return I / Hp;
}

test('masking under mutual_info is loglinear(eps) exactly (NMI = alpha_t), value and sigma', () => {
  const tab = buildRateTables(IR.masking(IR.mutualInfo(EPS)), { V, unigram });
  assert.is(tab.mutualInfo!.method, 'exact');
  for (let i = 0; i <= 40; i++) {
    const t = i / 40 - (i > 0 ? 0.0123 : 0);
    const want = -Math.log(1 - (1 - EPS) * t);
    assert.ok(Math.abs(tab.scheduleLambda(t) - want) < 1e-12 * Math.max(1, want), `Lambda(${t})`);
    const ws = (1 - EPS) / (1 - (1 - EPS) * t);
    assert.ok(Math.abs(tab.scheduleSigma(t) - ws) < 1e-7 * ws, `sigma(${t}) = ${tab.scheduleSigma(t)} vs ${ws}`);
    assert.ok(Math.abs(tab.Lambda(0, t) - want) < 1e-12 * Math.max(1, want));
  }
});

const cases: Array<[string, KernelSpec]> = [
  ['uniform', IR.uniform(IR.mutualInfo(EPS))],
  ['semdlm', IR.semdlm(IR.mutualInfo(EPS))],
  ['semdlm_plus', IR.semdlmPlus(IR.mutualInfo(EPS))],
  ['everything', IR.everything(IR.mutualInfo(EPS))],
];

for (const [name, spec] of cases) {
  test(`${name}: exact NMI at the table points is 1 - (1 - eps) t within 1e-10; Lambda monotone; sigma = dLambda/dt`, () => {
    const tab = buildRateTables(spec, { V, graphs: { near }, unigram });
    const mi = tab.mutualInfo!;
    assert.is(mi.method, 'exact');
    assert.ok(mi.polished);
    assert.ok(mi.maxAbsError < 1e-10, `reported ${mi.maxAbsError}`);
    // Independent check through the reference kernel at a spread of nodes.
    for (let i = 0; i < mi.t.length; i += 17) {
      const t = mi.t[i]!;
      const got = nmi(spec, tab, t, unigram, { near });
      assert.ok(Math.abs(got - (1 - (1 - EPS) * t)) < 1e-10, `${name}: NMI(${t}) = ${got}`);
    }
    // Between nodes: the interpolant (stated tolerance 1e-4; measured ~1e-5).
    for (const t of [0.013, 0.31, 0.77, 0.995]) assert.ok(Math.abs(nmi(spec, tab, t, unigram, { near }) - (1 - (1 - EPS) * t)) < 1e-4);
    // Monotone, starts at 0, sigma >= 0 and the derivative of Lambda.
    let prev = -1;
    for (let i = 0; i <= 1000; i++) {
      const t = i / 1000;
      const L = tab.scheduleLambda(t);
      assert.ok(L >= prev, `Lambda decreases at t=${t}`);
      prev = L;
      assert.ok(tab.scheduleSigma(t) >= 0);
    }
    assert.is(tab.scheduleLambda(0), 0);
    for (const t of [0.2, 0.5, 0.9]) {
      const h = 1e-6;
      const fd = (tab.scheduleLambda(t + h) - tab.scheduleLambda(t - h)) / (2 * h);
      assert.ok(Math.abs(fd - tab.scheduleSigma(t)) < 1e-4 * Math.max(1, fd), `sigma(${t}) ${tab.scheduleSigma(t)} vs ${fd}`);
    }
    // Channels are their shares of the schedule.
    spec.channels.forEach((ch, c) => {
      const share = ch.share!.k === 'num' ? (ch.share!.v as number) : NaN;
      assert.ok(Math.abs(tab.Lambda(c, 0.4) - share * tab.scheduleLambda(0.4)) < 1e-15 * Math.max(1, tab.scheduleLambda(0.4)));
    });
  });
}

test('Monte-Carlo estimator (forced at V = 160) agrees with the exact table within its stated error', () => {
  const n = 160;
  const g = knn(n, 6, 93, { symmetric: true });
  const p = randomLaw(n, 94);
  const spec = IR.semdlmPlus(IR.mutualInfo(EPS));
  const exact = buildRateTables(spec, { V: n, graphs: { near: g }, unigram: p, options: { miIntervals: 32 } });
  const mc = buildRateTables(spec, { V: n, graphs: { near: g }, unigram: p, options: { miIntervals: 32, exactMaxV: 100, samples: 32, seed: 7 } });
  assert.is(mc.mutualInfo!.method, 'monte-carlo');
  assert.is(exact.mutualInfo!.method, 'exact');
  for (const t of [0.1, 0.3, 0.5, 0.7, 0.9, 1]) {
    // NMI error of the sampled schedule, measured exactly, against 6 standard errors plus 1e-3.
    const i = mc.mutualInfo!.t.findIndex((x) => x >= t);
    const se = mc.mutualInfo!.stdErr[i]!;
    const got = nmi(spec, mc, mc.mutualInfo!.t[i]!, p, { near: g });
    const want = 1 - (1 - EPS) * mc.mutualInfo!.t[i]!;
    assert.ok(Math.abs(got - want) < 6 * se + 1e-3, `t=${t}: NMI ${got} vs ${want} (stated s.e. ${se})`);
  }
});

test('a channel with sigma_c but no Lambda_c is tabulated by quadrature: exact at nodes, 1e-10 between', () => {
  const Vs = 10;
  const graphs = { near: knn(Vs, 3, 95) };
  const spec = tabulatedChannel();
  const tab = buildRateTables(spec, { V: Vs, graphs, unigram: randomLaw(Vs, 96) });
  assert.equal(tab.tabulated, [false, true, false, false]);
  const closed = nonProportional().channels[1]!;
  const L = (t: number) => 0.9 * (t + (1 - Math.cos(3 * t)) / 3);
  void closed;
  const grid = tab.grid(1)!;
  grid.t.forEach((t, i) => assert.ok(Math.abs(grid.Lambda[i]! - L(t)) < 1e-13, `node ${t}`));
  for (let i = 0; i <= 997; i++) {
    const t = i / 997;
    assert.ok(Math.abs(tab.Lambda(1, t) - L(t)) < 1e-10, `t=${t}`);
    assert.ok(Math.abs(tab.sigma(1, t) - 0.9 * (1 + Math.sin(3 * t))) < 1e-14);
  }
});

test('a rate that blows up near t = 1 gets finer nodes (loglinear rate with a time-varying weight)', () => {
  const spec = IR.masking(IR.loglinear(1e-3));
  // weight t: sigma_c = t sigma(t), Lambda_c = -t - log(1 - c t) / c, c = 1 - eps.
  const c = 1 - 1e-3;
  spec.channels[0] = { ...spec.channels[0]!, share: { k: 'var', name: 't' }, sigma: { k: 'binary', op: '*', a: { k: 'var', name: 't' }, b: spec.schedule.sigma! }, Lambda: null };
  spec.proportional = false;
  const tab = buildRateTables(spec, { V: 4 });
  const L = (t: number) => -t - Math.log1p(-c * t) / c;
  for (const t of [0.5, 0.9, 0.99, 0.999, 0.9995, 1]) assert.ok(Math.abs(tab.Lambda(0, t) - L(t)) < 1e-10 * Math.max(1, L(t)), `t=${t}: ${tab.Lambda(0, t)} vs ${L(t)}`);
  assert.ok(tab.grid(0)!.t.length > 257, 'refined');
});

test('errors: own-rate channels and time-varying weights under mutual_info, a graph that never mixes, a missing unigram', () => {
  const own = nonProportional();
  own.schedule = IR.mutualInfo(EPS);
  own.channels = own.channels.map((ch) => ({ ...ch, Lambda: null, sigma: null })) as KernelSpec['channels'];
  assert.throws(() => buildRateTables(own, { V: 10, graphs: { near: knn(10, 3, 1) }, unigram: randomLaw(10, 2) }), (e: unknown) => e instanceof RateTablesError && /own rate/.test((e as Error).message));
  // Two components that never exchange mass: NMI stays above log 2 / H.
  const split: SparseGraph = { V: 4, rowPtr: Int32Array.of(0, 1, 2, 3, 4), col: Int32Array.of(1, 0, 3, 2), w: Float64Array.of(1, 1, 1, 1) };
  assert.throws(() => buildRateTables(IR.semdlm(IR.mutualInfo(EPS)), { V: 4, graphs: { near: split }, options: { maxLambda: 64 } }), (e: unknown) => e instanceof MutualInfoError && /mixes too slowly or is disconnected/.test((e as Error).message));
  assert.throws(() => buildRateTables(IR.semdlmPlus(IR.mutualInfo(EPS)), { V, graphs: { near } }), /unigram/);
});

test('tables are cached per kernel and inputs', () => {
  const a = buildRateTables(IR.everything(IR.mutualInfo(EPS)), { V, graphs: { near }, unigram });
  const b = buildRateTables(IR.everything(IR.mutualInfo(EPS)), { V, graphs: { near }, unigram });
  assert.ok(a === b);
  const c = buildRateTables(IR.everything(IR.mutualInfo(EPS)), { V, graphs: { near }, unigram: randomLaw(V, 97) });
  assert.ok(c !== a && c.key !== a.key);
  assert.ok(Math.abs(c.scheduleLambda(0.5) - a.scheduleLambda(0.5)) > 1e-6, 'the unigram changes the schedule');
});

test.run();
