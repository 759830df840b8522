// The host scalars of the hop expansion against the float64 reference (docs/math.md §1.5, §2.2).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as IR from '../../../helpers/ir.ts';
import { hopBound, hopCount, hopWeights, resetWeights } from '../../../../runtime/kernel/tables/index.ts';
import { makeReferenceKernel } from '../../../../reference/kernel/index.ts';
import { poissonPmf } from '../../../../reference/math/special.ts';
import { knn, maxAbsDiff, randomLaw } from '../../../reference/helpers.ts';

const V = 12;
const inputs = { V, graphs: { near: knn(V, 3, 101) }, unigram: randomLaw(V, 102) };

test('hop weights, H and the bound agree with the reference kernel', () => {
  const spec = IR.everything(IR.linear(0, 9));
  const K = makeReferenceKernel(spec, inputs);
  for (const t of [0.1, 0.6, 1]) {
    const [Lm, Lu, La] = K.lambdas(t) as unknown as [number, number, number];
    const { H, bound } = K.hops(t);
    assert.is(hopCount(La, spec.hops), H);
    assert.ok(Math.abs(hopBound(Lm, Lu, La, H) - bound) <= 1e-14 * bound + 1e-300);
    const w = hopWeights(La, H);
    for (let n = 0; n <= H; n++) assert.ok(Math.abs(w[n]! - poissonPmf(n, La)) < 1e-14 * poissonPmf(n, La));
  }
});

test('reset weights rebuild rho: row(t, x0) = e^{-L_m}[e^{-L_u} walk + sum_j sum_n W_{j,n} pi_j A^n]', () => {
  const spec = IR.semdlmPlus(IR.linear(0, 5));
  const K = makeReferenceKernel(spec, inputs);
  const t = 0.7;
  const [La, Lu] = K.lambdas(t) as unknown as [number, number];
  const N = 120;
  const W = resetWeights([Lu], La, N);
  // rho from the weights by Horner, and the x0 = 4 walk from hop weights.
  const A = inputs.graphs.near;
  const step = (v: Float64Array) => {
    const out = new Float64Array(V);
    for (let i = 0; i < V; i++) for (let j = A.rowPtr[i]!; j < A.rowPtr[i + 1]!; j++) out[A.col[j]!]! += v[i]! * A.w[j]!;
    return out;
  };
  let rho = new Float64Array(V);
  for (let n = N; n >= 0; n--) {
    if (n < N) rho = step(rho);
    for (let i = 0; i < V; i++) rho[i]! += W[n]! * inputs.unigram[i]!;
  }
  const w = hopWeights(La, N);
  const row = new Float64Array(V);
  let y = new Float64Array(V);
  y[4] = 1;
  for (let n = 0; n <= N; n++) {
    for (let i = 0; i < V; i++) row[i]! += Math.exp(-Lu) * w[n]! * y[i]! + (n === 0 ? rho[i]! : 0);
    y = step(y);
  }
  assert.ok(maxAbsDiff(row, K.row(t, 4, N)) < 1e-14);
});

test.run();
