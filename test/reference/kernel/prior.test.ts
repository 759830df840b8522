// The prior p_1 and KL(q_1(. | x0) || p_1) (docs/math.md §2.6).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as IR from '../../helpers/ir.ts';
import { makeReferenceKernel } from '../../../reference/kernel/index.ts';
import { identity, solve } from '../../../reference/math/dense.ts';
import { vecMat } from '../../../runtime/kernel/tables/graph.ts';
import { knn, randomLaw } from '../helpers.ts';

const V = 16;
const near = knn(V, 3, 71);
const unigram = randomLaw(V, 72);

test('masking: p_1 keeps the chain\'s mask mass 1 - eps and the unigram on the rest; KL = eps (-log p0(x0))', () => {
  const eps = 1e-3;
  const K = makeReferenceKernel(IR.masking(IR.loglinear(eps)), { V, unigram });
  const p1 = K.prior();
  assert.ok(Math.abs(p1[V]! - (1 - eps)) < 1e-15);
  for (let v = 0; v < V; v++) assert.ok(Math.abs(p1[v]! - eps * unigram[v]!) < 1e-17);
  for (const x0 of [0, 7]) assert.ok(Math.abs(K.priorKL(x0) - eps * -Math.log(unigram[x0]!)) < 1e-15);
  // Without a unigram, the real part is uniform.
  const U = makeReferenceKernel(IR.masking(IR.loglinear(eps)), { V });
  assert.ok(Math.abs(U.prior()[3]! - eps / V) < 1e-18);
});

test('uniform: p_1 is uniform and KL has the UDLM prior-term closed form', () => {
  const K = makeReferenceKernel(IR.uniform(IR.loglinear(1e-3)), { V });
  const p1 = K.prior();
  assert.ok(p1.every((x) => Math.abs(x - 1 / V) < 1e-16));
  const a = Math.exp(-K.lambdas(1)[0]!);
  const want = (a + (1 - a) / V) * Math.log(V * a + 1 - a) + ((V - 1) * (1 - a) / V) * Math.log(1 - a);
  assert.ok(Math.abs(K.priorKL(2) - want) < 1e-15, `${K.priorKL(2)} vs ${want}`);
});

test('semdlm_plus: mu is the stationary law kappa_u pi^T (I - kappa_a A)^{-1} of the graph-plus-reset chain', () => {
  const K = makeReferenceKernel(IR.semdlmPlus(IR.loglinear(1e-3), { global: 0.2 }), { V, graphs: { near }, unigram });
  const mu = K.prior();
  // Dense solve: mu (I - 0.8 A) = 0.2 unigram.
  const M = identity(V);
  for (let i = 0; i < V; i++) for (let j = near.rowPtr[i]!; j < near.rowPtr[i + 1]!; j++) M[i * V + near.col[j]!]! -= 0.8 * near.w[j]!;
  // Solve M^T x = 0.2 unigram (row-vector equation x M = 0.2 unigram).
  const MT = new Float64Array(V * V);
  for (let i = 0; i < V; i++) for (let j = 0; j < V; j++) MT[j * V + i] = M[i * V + j]!;
  const want = solve(MT, unigram.map((x) => 0.2 * x), V);
  for (let v = 0; v < V; v++) assert.ok(Math.abs(mu[v]! - want[v]!) < 1e-13, `mu[${v}]`);
  // q_1 is not yet at the limit, so KL > 0 and finite.
  const kl = K.priorKL(3);
  assert.ok(kl > 0 && Number.isFinite(kl));
});

test('semdlm: mu is stationary for the graph (mu A = mu, lazy power iteration)', () => {
  const K = makeReferenceKernel(IR.semdlm(), { V, graphs: { near }, unigram });
  const mu = K.prior();
  const next = vecMat(near, mu, new Float64Array(V));
  let d = 0;
  for (let v = 0; v < V; v++) d += Math.abs(next[v]! - mu[v]!);
  assert.ok(d < 1e-12, `|mu A - mu| = ${d}`);
  assert.ok(Math.abs(mu.reduce((a, b) => a + b, 0) - 1) < 1e-13);
});

test('everything: p_1 = e^{-L_m(1)} mu + (1 - e^{-L_m(1)}) e_m; KL(q_1 || p_1) matches a direct sum', () => {
  const K = makeReferenceKernel(IR.everything(), { V, graphs: { near }, unigram });
  const p1 = K.prior();
  const em = Math.exp(-K.lambdas(1)[0]!);
  assert.ok(Math.abs(p1[V]! - (1 - em)) < 1e-15);
  assert.ok(Math.abs(p1.reduce((a, b) => a + b, 0) - 1) < 1e-13);
  const q1 = K.row(1, 5, 200);
  let kl = 0;
  for (let i = 0; i <= V; i++) if (q1[i]! > 0) kl += q1[i]! * Math.log(q1[i]! / p1[i]!);
  assert.ok(Math.abs(K.priorKL(5) - kl) < 1e-13);
});

test.run();
