// The plug-in reverse step, its mixture decomposition and the reverse rates (docs/math.md §2.3, §2.5)
// against dense matrices, MDLM's posterior, and each other. Tolerance 1e-9 (1e-12 where both sides
// use the same truncation).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as IR from '../../helpers/ir.ts';
import { makeReferenceKernel, MIXTURE_COMPONENTS, type ReferenceKernel } from '../../../reference/kernel/index.ts';
import type { KernelSpec } from '../../../specs/types/kernel.ts';
import { knn, maxAbsDiff, nonProportional, randomLaw, seeded, twoGraphs } from '../helpers.ts';

const V = 12;
const inputs = { V, graphs: { near: knn(V, 3, 41), far: knn(V, 2, 42, { d: 3 }) }, unigram: randomLaw(V, 43) };
const rng = seeded(44);
const randomProbs = () => {
  const p = new Float64Array(V).map(() => Math.exp(3 * rng()));
  const z = p.reduce((a, b) => a + b, 0);
  return p.map((x) => x / z);
};

const cases: Array<[string, KernelSpec]> = [
  ['masking', IR.masking()],
  ['uniform', IR.uniform()],
  ['semdlm', IR.semdlm()],
  ['semdlm_plus', IR.semdlmPlus()],
  ['everything', IR.everything()],
  ['non-proportional', nonProportional(0.2)],
  ['two graphs', twoGraphs()],
];

function denseReverse(K: ReferenceKernel, probs: Float64Array, xt: number, t: number, s: number): Float64Array {
  const S = K.S;
  const Ps = K.denseForward(s);
  const Pst = K.denseTransition(s, t);
  const out = new Float64Array(S);
  let z = 0;
  for (let x = 0; x < S; x++) {
    let b = 0;
    for (let x0 = 0; x0 < V; x0++) b += probs[x0]! * Ps[x0 * S + x]!;
    out[x] = b * Pst[x * S + xt]!;
    z += out[x]!;
  }
  return out.map((x) => x / z);
}

for (const [name, spec] of cases) {
  test(`${name}: reverseStep equals the dense formula; the mixture recombines to it; all laws sum to 1`, () => {
    const K = makeReferenceKernel(spec, inputs);
    for (const [t, s] of [[0.5, 0.45], [0.9, 0.3], [1, 0.99]] as const) {
      const probs = randomProbs();
      for (let xt = 0; xt < K.S; xt += 5) {
        const exact = K.reverseStep(probs, xt, t, s, 200);
        assert.ok(maxAbsDiff(exact, denseReverse(K, probs, xt, t, s)) < 1e-9, `${name} ${t}->${s} xt=${xt}`);
        for (const H of [200, undefined, 1]) {
          const step = K.reverseStep(probs, xt, t, s, H);
          const { weights, components } = K.reverseMixture(probs, xt, t, s, H);
          assert.is(weights.length, MIXTURE_COMPONENTS.length);
          assert.ok(Math.abs(step.reduce((a, b) => a + b, 0) - 1) < 1e-12);
          assert.ok(Math.abs(weights.reduce((a, b) => a + b, 0) - 1) < 1e-12);
          const mix = new Float64Array(K.S);
          components.forEach((c, k) => {
            const mass = c.reduce((a, b) => a + b, 0);
            assert.ok(weights[k] === 0 ? mass === 0 || Math.abs(mass - 1) < 1e-12 : Math.abs(mass - 1) < 1e-12, `component ${MIXTURE_COMPONENTS[k]} has mass ${mass}`);
            for (let i = 0; i < K.S; i++) mix[i]! += weights[k]! * c[i]!;
          });
          assert.ok(maxAbsDiff(mix, step) < 1e-12, `${name} mixture H=${H}: ${maxAbsDiff(mix, step)}`);
        }
      }
    }
  });
}

test('masking: the reverse step is MDLM\'s posterior from [MASK]', () => {
  const K = makeReferenceKernel(IR.masking(IR.loglinear(1e-3)), { V });
  const probs = randomProbs();
  const [t, s] = [0.8, 0.5];
  const at = 1 - (1 - 1e-3) * t, as = 1 - (1 - 1e-3) * s;
  const p = K.reverseStep(probs, V, t, s);
  assert.ok(Math.abs(p[V]! - (1 - as) / (1 - at)) < 1e-13);
  for (let v = 0; v < V; v++) assert.ok(Math.abs(p[v]! - ((as - at) / (1 - at)) * probs[v]!) < 1e-13);
  const { weights } = K.reverseMixture(probs, V, t, s);
  assert.ok(Math.abs(weights[0]! - (1 - as) / (1 - at)) < 1e-13, 'stay masked');
  assert.ok(Math.abs(weights[3]! - (as - at) / (1 - at)) < 1e-13, 'unmask');
  // From a real token, masking never changes it.
  assert.equal(Array.from(K.reverseStep(probs, 3, t, s)), Array.from({ length: V + 1 }, (_, i) => (i === 3 ? 1 : 0)));
});

for (const [name, spec] of cases) {
  test(`${name}: reverse rates equal Q_t(y, x_t) b_y / b_xt from dense matrices; each row sums to 0`, () => {
    const K = makeReferenceKernel(spec, inputs);
    const S = K.S;
    for (const t of [0.3, 0.9]) {
      const Q = K.denseGenerator(t);
      const P = K.denseForward(t);
      const probs = randomProbs();
      const b = new Float64Array(S);
      for (let x = 0; x < V; x++) for (let y = 0; y < S; y++) b[y]! += probs[x]! * P[x * S + y]!;
      for (let z = 0; z < S; z++) {
        const R = K.reverseRates(probs, z, t, 200);
        let sum = 0;
        for (let y = 0; y < S; y++) {
          sum += R[y]!;
          if (y === z) continue;
          const want = (Q[y * S + z]! * b[y]!) / b[z]!;
          assert.ok(Math.abs(R[y]! - want) < 1e-9 * Math.max(1, want), `${name} t=${t} z=${z} y=${y}: ${R[y]} vs ${want}`);
        }
        assert.ok(Math.abs(sum) < 1e-9 * Math.max(1, -R[z]!));
      }
    }
  });
}

test.run();
