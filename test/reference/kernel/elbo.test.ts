// The ELBO integrand (docs/math.md §2.4): MDLM's and UDLM's closed forms, a brute-force sum over the
// dense generator, the split by channel, the gradient against central differences, positivity, and
// zero at the exact x0-prediction.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as IR from '../../helpers/ir.ts';
import { makeReferenceKernel, type ReferenceKernel } from '../../../reference/kernel/index.ts';
import { softmax } from '../../../reference/kernel/elbo.ts';
import { numericGrad } from '../../../reference/nn/gradcheck.ts';
import type { KernelSpec } from '../../../specs/types/kernel.ts';
import { knn, nonProportional, randomLaw, seeded, twoGraphs } from '../helpers.ts';

const V = 12;
const near = knn(V, 3, 31);
const far = knn(V, 2, 32, { d: 3 });
const unigram = randomLaw(V, 33);
const inputs = { V, graphs: { near, far }, unigram };
const rng = seeded(34);
const randomLogits = (scale = 2) => new Float64Array(V).map(() => scale * (rng() - 0.5) * 2);

test('masking: the integrand is MDLM (-alpha_t\' / (1 - alpha_t)) CE on masked positions, 0 elsewhere', () => {
  // loglinear(eps): alpha_t = 1 - (1 - eps) t, so the MDLM weight -alpha'_t / (1 - alpha_t) is 1 / t
  // (Sahoo et al. 2024, MDLM, continuous-time NELBO).
  const K = makeReferenceKernel(IR.masking(IR.loglinear(1e-3)), { V });
  for (const t of [0.01, 0.3, 0.77, 1]) {
    const logits = randomLogits(3);
    const p = softmax(logits);
    for (const x0 of [0, 5, 11]) {
      const masked = K.elbo(logits, x0, V, t);
      const want = -Math.log(p[x0]!) / t;
      assert.ok(Math.abs(masked.value - want) < 1e-12 * want, `t=${t} x0=${x0}: ${masked.value} vs ${want}`);
      const kept = K.elbo(logits, x0, x0, t);
      assert.is(kept.value, 0);
      assert.ok(kept.grad.every((g) => g === 0));
    }
  }
});

test('uniform: the integrand is the UDLM / DUO continuous-time closed form', () => {
  // Schiff et al. 2024 (UDLM, arXiv:2412.10193) and Sahoo et al. 2025 (DUO, arXiv:2506.10892):
  //   xbar = V alpha x0 + (1 - alpha) 1, xbar_theta = V alpha p_hat + (1 - alpha) 1, i = z_t,
  //   L = alpha' / (V alpha) [ V / xbar_i - V / xbar_theta_i
  //         - sum_j (xbar_j / xbar_i) log( xbar_theta_i xbar_j / (xbar_theta_j xbar_i) ) ],
  // with alpha = e^{-Lambda(t)}, alpha' = -sigma(t) alpha.
  for (const sched of [IR.loglinear(1e-3), IR.linear(0, 4)]) {
    const K = makeReferenceKernel(IR.uniform(sched), { V });
    for (const t of [0.05, 0.5, 1]) {
      const alpha = Math.exp(-K.lambdas(t)[0]!);
      const dalpha = -K.sigmas(t)[0]! * alpha;
      for (let trial = 0; trial < 4; trial++) {
        const logits = randomLogits(3);
        const p = softmax(logits);
        const x0 = trial % V;
        const z = (trial * 5 + 1) % V;
        const xb = Float64Array.from({ length: V }, (_, j) => V * alpha * (j === x0 ? 1 : 0) + 1 - alpha);
        const xt = Float64Array.from({ length: V }, (_, j) => V * alpha * p[j]! + 1 - alpha);
        let term2 = 0;
        for (let j = 0; j < V; j++) term2 += (xb[j]! / xb[z]!) * (Math.log(xt[z]!) - Math.log(xt[j]!) + Math.log(xb[j]!) - Math.log(xb[z]!));
        const want = (dalpha / (V * alpha)) * (V / xb[z]! - V / xt[z]! - term2);
        const got = K.elbo(logits, x0, z, t).value;
        assert.ok(Math.abs(got - want) < 1e-11 * Math.max(1, Math.abs(want)), `t=${t}: ${got} vs ${want}`);
      }
    }
  }
});

/** sum_{y != z} Q_c(y, z) D(a_y / a_z || b_y / b_z) per channel, from dense matrices. */
const denseCache = new Map<ReferenceKernel, Map<number, Float64Array>>();
function denseForward(K: ReferenceKernel, t: number): Float64Array {
  if (!denseCache.has(K)) denseCache.set(K, new Map());
  const m = denseCache.get(K)!;
  if (!m.has(t)) m.set(t, K.denseForward(t));
  return m.get(t)!;
}

function bruteForce(K: ReferenceKernel, spec: KernelSpec, logits: Float64Array, x0: number, z: number, t: number): Float64Array {
  const S = K.S;
  const P = denseForward(K, t);
  const p = softmax(logits);
  const a = P.slice(x0 * S, (x0 + 1) * S);
  const b = new Float64Array(S);
  for (let x = 0; x < V; x++) for (let y = 0; y < S; y++) b[y]! += p[x]! * P[x * S + y]!;
  const sig = K.sigmas(t);
  const graphs: Record<string, typeof near> = { near, far };
  return Float64Array.from(spec.channels, (ch, c) => {
    let s = 0;
    for (let y = 0; y < S; y++) {
      if (y === z || y === V) continue; // [MASK] rows of Q are zero
      const op = ch.operator;
      let q = 0;
      if (op.op === 'mask') q = z === V ? 1 : 0;
      else if (op.op === 'reset') q = z < V ? (op.dist.kind === 'uniform' ? 1 / V : unigram[z]!) : 0;
      else if (z < V) {
        const A = graphs[op.graph]!;
        for (let j = A.rowPtr[y]!; j < A.rowPtr[y + 1]!; j++) if (A.col[j] === z) q += A.w[j]!;
      }
      q *= sig[c]!;
      if (q === 0) continue;
      const u = a[y]! / a[z]!, v = b[y]! / b[z]!;
      s += q * ((u > 0 ? u * Math.log(u / v) : 0) - u + v);
    }
    return s;
  });
}

const cases: Array<[string, KernelSpec]> = [
  ['everything', IR.everything()],
  ['semdlm_plus', IR.semdlmPlus()],
  ['hybrid', IR.hybrid()],
  ['non-proportional', nonProportional(0.2)],
  ['two graphs', twoGraphs()],
];

for (const [name, spec] of cases) {
  test(`${name}: closed form equals the brute-force sum over the dense generator, channel by channel`, () => {
    const K = makeReferenceKernel(spec, inputs);
    for (const t of [0.2, 0.6, 0.95]) {
      const H = K.hopsExact(t, 1e-17);
      for (let trial = 0; trial < 3; trial++) {
        const logits = randomLogits(2);
        const x0 = (trial * 7 + 2) % V;
        const zs = [x0, (x0 + 3) % V, ...(K.S > V ? [V] : [])];
        for (const z of zs) {
          const got = K.elbo(logits, x0, z, t, H);
          const want = bruteForce(K, spec, logits, x0, z, t);
          let total = 0;
          want.forEach((w, c) => {
            total += w;
            assert.ok(Math.abs(got.byChannel[c]! - w) < 1e-9 * Math.max(1, w), `${name} t=${t} z=${z} channel ${c}: ${got.byChannel[c]} vs ${w}`);
          });
          assert.ok(Math.abs(got.value - total) < 1e-9 * Math.max(1, total));
        }
      }
    }
  });
}

for (const [name, spec] of cases) {
  test(`${name}: gradient matches central differences (rel 1e-6), also with truncated hops`, () => {
    const K = makeReferenceKernel(spec, inputs);
    for (const [t, H] of [[0.4, undefined], [0.8, 2]] as const) {
      const x0 = 4;
      const z = K.S > V ? V : 9;
      const logits = randomLogits(1.5);
      const { grad } = K.elbo(logits, x0, K.row(t, x0, H)[z]! > 0 ? z : x0, t, H);
      const zz = K.row(t, x0, H)[z]! > 0 ? z : x0;
      const num = numericGrad(() => K.elbo(logits, x0, zz, t, H).value, logits, 1e-5);
      let scale = 0;
      for (const g of num) scale = Math.max(scale, Math.abs(g));
      for (let i = 0; i < V; i++) assert.ok(Math.abs(grad[i]! - num[i]!) < 1e-6 * Math.max(scale, 1e-3), `${name} t=${t} grad[${i}] ${grad[i]} vs ${num[i]}`);
    }
  });
}

test('the integrand is >= 0, and 0 (with zero gradient) when p_hat is the true x0', () => {
  for (const [name, spec] of cases) {
    const K = makeReferenceKernel(spec, inputs);
    for (const t of [0.1, 0.5, 1]) {
      for (let x0 = 0; x0 < V; x0 += 3) {
        const row = K.row(t, x0);
        const delta = new Float64Array(V).fill(-Infinity);
        delta[x0] = 0;
        for (let z = 0; z < K.S; z++) {
          if (!(row[z]! > 0)) continue;
          const r = K.elbo(randomLogits(3), x0, z, t);
          assert.ok(r.value >= 0, `${name}: negative integrand ${r.value}`);
          const d = K.elbo(delta, x0, z, t);
          assert.ok(Math.abs(d.value) < 1e-12, `${name} t=${t} x0=${x0} z=${z}: ${d.value} at the true x0`);
          assert.ok(d.grad.every((g) => Math.abs(g) < 1e-9));
        }
      }
    }
  }
});

test('an x_t that q_t(. | x0) cannot reach is an error, not a NaN', () => {
  const K = makeReferenceKernel(IR.masking(), { V });
  assert.throws(() => K.elbo(randomLogits(), 1, 2, 0.5), /probability 0/);
});

test.run();
