// Hop truncation (docs/math.md §2.2): H = min(cap, ceil(L_a + 4 sqrt(L_a))) or the fixed H, and the
// reported bound e^{-L_m - L_u} P(Poisson(L_a) > H) bounds (and, since every dropped term is
// non-negative, equals) the L1 error of a truncated row; columns err by at most the bound per entry.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as IR from '../../helpers/ir.ts';
import { makeReferenceKernel, type ReferenceKernel } from '../../../reference/kernel/index.ts';
import { poissonTail } from '../../../reference/math/special.ts';
import type { KernelSpec } from '../../../specs/types/kernel.ts';
import { knn, nonProportional, randomLaw } from '../helpers.ts';

const V = 20;
const inputs = { V, graphs: { near: knn(V, 4, 61) }, unigram: randomLaw(V, 62) };

test('adaptive H follows L_a + 4 sqrt(L_a), capped; a fixed H is used as given', () => {
  const K = makeReferenceKernel(IR.everything(IR.linear(0, 40)), inputs);
  for (const t of [0, 0.01, 0.3, 1]) {
    const La = K.lambdas(t)[2]!;
    assert.is(K.hops(t).H, Math.min(64, Math.ceil(La + 4 * Math.sqrt(La))));
  }
  assert.is(K.hops(1).H, 38, 'L_a = 20: 20 + 4 sqrt(20) = 37.9 -> 38');
  const capped = makeReferenceKernel({ ...IR.everything(IR.linear(0, 40)), hops: { mode: 'adaptive', cap: 10 } }, inputs);
  assert.is(capped.hops(1).H, 10);
  const fixed = makeReferenceKernel({ ...IR.everything(), hops: { mode: 'fixed', H: 7 } }, inputs);
  assert.is(fixed.hops(0.9).H, 7);
  assert.is(fixed.row(0.9, 2).length, V + 1);
  const Hb = fixed.hopsBetween(0.2, 0.9);
  assert.is(Hb.H, 7);
});

test('the bound bounds (and equals) the L1 error of truncated rows, for every H', () => {
  for (const [name, spec] of [['everything', IR.everything(IR.linear(0, 8))], ['semdlm', IR.semdlm()], ['non-proportional', nonProportional(0.2)]] as Array<[string, KernelSpec]>) {
    const K = makeReferenceKernel(spec, inputs);
    for (const t of [0.3, 0.8, 1]) {
      const exact = K.row(t, 5, K.hopsExact(t, 1e-18));
      const iv = K.hops(t);
      for (const H of [0, 1, 2, 5, iv.H, iv.H + 3]) {
        const row = K.row(t, 5, H);
        let err = 0;
        for (let i = 0; i < K.S; i++) {
          assert.ok(row[i]! <= exact[i]! + 1e-15, 'truncation only removes mass');
          err += Math.abs(exact[i]! - row[i]!);
        }
        // The bound at H (same as hops(t).bound when H is the default).
        const bound = boundAt(K, spec, t, H);
        assert.ok(err <= bound * (1 + 1e-9) + 1e-15, `${name} t=${t} H=${H}: error ${err} > bound ${bound}`);
        assert.ok(err >= bound * (1 - 1e-6) - 1e-15, `${name} t=${t} H=${H}: bound ${bound} is loose (error ${err})`);
        if (H === iv.H) assert.ok(Math.abs(iv.bound - bound) <= 1e-18 + 1e-12 * bound);
      }
      const H = 2;
      const b = boundAt(K, spec, t, H);
      for (let xt = 0; xt < K.S; xt += 4) {
        const c = K.column(t, xt, H);
        const ce = K.column(t, xt, 200);
        for (let x0 = 0; x0 < V; x0++) assert.ok(ce[x0]! - c[x0]! <= b * (1 + 1e-9) + 1e-15 && ce[x0]! - c[x0]! >= -1e-15);
      }
    }
  }
});

/** e^{-L_m - L_u} P(Pois(L_a) > H), from the channel amounts. */
function boundAt(K: ReferenceKernel, spec: KernelSpec, t: number, H: number): number {
  const L = K.lambdas(t);
  let m = 0, u = 0, a = 0;
  spec.channels.forEach((ch, c) => {
    if (ch.operator.op === 'mask') m += L[c]!;
    else if (ch.operator.op === 'reset') u += L[c]!;
    else a += L[c]!;
  });
  return Math.exp(-m - u) * poissonTail(a, H);
}

test('hopsExact gives a truncation below the tolerance', () => {
  const K = makeReferenceKernel(IR.semdlm(IR.linear(0, 30)), inputs);
  const H = K.hopsExact(1, 1e-15);
  const exact = K.row(1, 0, H + 40);
  const row = K.row(1, 0, H);
  let err = 0;
  for (let i = 0; i < V; i++) err += exact[i]! - row[i]!;
  assert.ok(err <= 1e-15 && err >= 0);
  const below = K.row(1, 0, H - 1);
  let err2 = 0;
  for (let i = 0; i < V; i++) err2 += exact[i]! - below[i]!;
  assert.ok(err2 > 1e-15, 'H is the smallest such');
});

test.run();
