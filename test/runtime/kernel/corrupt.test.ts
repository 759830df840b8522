// GPU forward corruption against the reference's exact rows (chi-square), and its reproducibility.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { KernelSpec } from '../../../specs/types/kernel.ts';
import { nonProportional, tabulatedChannel } from '../../reference/helpers.ts';
import { SHIPPED, pair, vocab } from './setup.ts';
import { chiSquare } from './stats.ts';

// Level 1e-3 for the whole file, Bonferroni over 6 kernels x 3 cases.
const ALPHA = 1e-3;
const CASES: Array<[number, number]> = [[0.15, 3], [0.6, 11], [0.97, 5]];
const CASE_ALPHA = ALPHA / (Object.keys(SHIPPED).length * CASES.length);
const DRAWS = 20000;

const v = vocab(16, 11);

for (const [name, make] of Object.entries(SHIPPED)) {
  test(`${name}: x_t ~ q_t(.|x0) on the GPU matches the exact row (chi-square, alpha ${ALPHA} Bonferroni)`, async () => {
    const P = await pair(make(), v);
    const B = CASES.length;
    const x0 = new Uint32Array(B * DRAWS);
    CASES.forEach(([, x], b) => x0.fill(x, b * DRAWS, (b + 1) * DRAWS));
    const got = await P.rt.corrupt(x0, CASES.map(([t]) => t), { L: DRAWS, seed: 1234 + name.length, stream: 7 });
    CASES.forEach(([t, x], b) => {
      const counts = new Float64Array(P.rt.S);
      for (let i = 0; i < DRAWS; i++) counts[got[b * DRAWS + i]!]!++;
      const row = P.ref.row(t, x, P.ref.hopsExact(t, 1e-15));
      const r = chiSquare(counts, row);
      assert.ok(r.p > CASE_ALPHA, `t = ${t}, x0 = ${x}: chi-square ${r.stat.toFixed(1)} on ${r.df} df, p = ${r.p.toExponential(2)}`);
    });
  });
}

// Reset and jump channels whose shares change with t (the GPU finds the last reset's time by
// bisection on the compiled Lambda_u): two reset laws, a graph and a mask, from t = 0 and with the
// schedules starting corrupted (the reset then often falls in the prefix before 0), and with tabulated
// rates. Level 1e-3, Bonferroni over 3 kernels x 3 cases.
const NONPROP: Array<[string, () => KernelSpec]> = [
  ['non-proportional', () => nonProportional()],
  ['non-proportional, corrupted at 0', () => nonProportional(0.3)],
  // A reset channel with sigma but no closed-form Lambda: rate tables, read on the GPU as a clock table.
  ['non-proportional, tabulated rates', () => tabulatedChannel()],
];
for (const [name, make] of NONPROP) {
  test(`${name}: x_t ~ q_t(.|x0) on the GPU matches the exact row (chi-square, alpha ${ALPHA} Bonferroni)`, async () => {
    const P = await pair(make(), v, true);
    const cases: Array<[number, number]> = [[0.05, 6], [0.5, 2], [0.9, 13]];
    const x0 = new Uint32Array(cases.length * DRAWS);
    cases.forEach(([, x], b) => x0.fill(x, b * DRAWS, (b + 1) * DRAWS));
    const got = await P.rt.corrupt(x0, cases.map(([t]) => t), { L: DRAWS, seed: 77 + name.length, stream: 2 });
    cases.forEach(([t, x], b) => {
      const counts = new Float64Array(P.rt.S);
      for (let i = 0; i < DRAWS; i++) counts[got[b * DRAWS + i]!]!++;
      const r = chiSquare(counts, P.ref.row(t, x, P.ref.hopsExact(t, 1e-15)));
      assert.ok(r.p > ALPHA / (NONPROP.length * cases.length), `t = ${t}, x0 = ${x}: chi-square ${r.stat.toFixed(1)} on ${r.df} df, p = ${r.p.toExponential(2)}`);
    });
  });
}

test('corruption is reproducible and does not depend on how the batch is cut', async () => {
  const P = await pair(SHIPPED.everything!(), v);
  const L = 50;
  const t = [0.3, 0.9, 0.5, 0.7];
  const x0 = Uint32Array.from({ length: t.length * L }, (_, i) => (i * 7) % v.V);
  const a = await P.rt.corrupt(x0, t, { L, seed: 99, stream: 3 });
  const b = await P.rt.corrupt(x0, t, { L, seed: 99, stream: 3 });
  assert.equal(Array.from(a), Array.from(b));
  // The first two sequences alone give the same draws.
  const c = await P.rt.corrupt(x0.subarray(0, 2 * L), t.slice(0, 2), { L, seed: 99, stream: 3 });
  assert.equal(Array.from(c), Array.from(a.subarray(0, 2 * L)));
  // Another stream or seed gives other draws.
  const d = await P.rt.corrupt(x0, t, { L, seed: 99, stream: 4 });
  assert.not.equal(Array.from(d), Array.from(a));
});

test.run();
