// The float64 sampling reference (reference/sample) against the kernel reference it is built on:
// the oracle's two denoisers, the exact reverse law, and one step of the ideal sampler law against
// reverseStep / reverseRates. No GPU.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildRateTables } from '../../../runtime/kernel/tables/index.ts';
import { makeReferenceKernel } from '../../../reference/kernel/index.ts';
import { Oracle, OracleError, eulerLaw, exactReverseLaw, lawVector, productLaw, realPart, samplerLaw, seqOf, tv } from '../../../reference/sample/index.ts';
import { KERNELS, L, V, circleGraph, dataLaw, kernel, unigramOf } from './setup.ts';

function make(name: string) {
  const spec = kernel(name);
  const law = dataLaw();
  const inputs = { V, graphs: { near: circleGraph() }, unigram: unigramOf(law) };
  const tables = spec.channels.some((c) => c.Lambda === null) ? buildRateTables(spec, inputs) : undefined;
  const ref = makeReferenceKernel(spec, tables ? { ...inputs, tables } : inputs);
  return { spec, ref, law, oracle: new Oracle(ref, law) };
}

for (const name of KERNELS) {
  test(`${name}: the oracle's posterior and the ELBO's minimiser p(x0^i | x_t^{-i}) = posterior / q_t(x_t^i | .), normalised`, () => {
    const { ref, oracle } = make(name);
    for (const [t, k] of [[0.3, 17], [0.8, 101], [1, 5]] as const) {
      const xt = seqOf(k % ref.S ** L, ref.S, L);
      const post = oracle.posterior(t, xt);
      const elbo = oracle.elboOptimal(t, xt);
      for (let i = 0; i < L; i++) {
        const col = ref.column(t, xt[i]!);
        assert.ok(Math.abs(elbo.subarray(i * V, i * V + V).reduce((a, b) => a + b, 0) - 1) < 1e-12);
        // Where q_t(x_t^i | v) = 0 for some v (a visible token under masking) the ratio is undefined.
        if (col.some((c) => !(c > 0))) continue;
        const q = Float64Array.from({ length: V }, (_, v) => post[i * V + v]! / col[v]!);
        const z = q.reduce((a, b) => a + b, 0);
        for (let v = 0; v < V; v++) assert.ok(Math.abs(elbo[i * V + v]! - q[v]! / z) < 1e-12, `t ${t}, position ${i}, token ${v}`);
        assert.ok(Math.abs(post.subarray(i * V, i * V + V).reduce((a, b) => a + b, 0) - 1) < 1e-12);
      }
    }
  });

  test(`${name}: one step of the ideal sampler law is reverseStep (ancestral) and the clipped Euler law of reverseRates (tau_leap), from the prior`, () => {
    const { ref, oracle } = make(name);
    const prior = ref.prior();
    const start = productLaw(prior, L);
    for (const predictor of ['ancestral', 'tau_leap'] as const) {
      const got = samplerLaw(oracle, prior, { predictor, steps: 1 });
      const want = new Float64Array(got.length);
      for (let k = 0; k < start.length; k++) {
        if (start[k] === 0) continue;
        const x = seqOf(k, ref.S, L);
        const p = oracle.elboOptimal(1, x);
        const laws = Array.from({ length: L }, (_, i) => {
          const probs = p.subarray(i * V, i * V + V);
          return predictor === 'ancestral' ? ref.reverseStep(probs, x[i]!, 1, 0) : eulerLaw(ref.reverseRates(probs, x[i]!, 1), x[i]!, 1);
        });
        for (let j = 0; j < want.length; j++) {
          const y = seqOf(j, ref.S, L);
          let m = start[k]!;
          for (let i = 0; i < L; i++) m *= laws[i]![y[i]!]!;
          want[j]! += m;
        }
      }
      assert.ok(tv(got, want) < 1e-12, `${predictor}: TV ${tv(got, want)}`);
    }
  });
}

test('the exact reverse law is a law, close to the data where q_1 forgets x0; the full posterior in the plug-in step counts x_t^i twice and does not converge to it', () => {
  for (const name of ['uniform', 'hybrid']) {
    const { ref, oracle, law } = make(name);
    const prior = ref.prior();
    const exact = exactReverseLaw(oracle, prior);
    assert.ok(Math.abs(exact.reduce((a, b) => a + b, 0) - 1) < 1e-12);
    assert.ok(tv(exact, lawVector(law)) < 1e-3);
    const elbo = realPart(samplerLaw(oracle, prior, { predictor: 'ancestral', steps: 256 }), ref.S, V, L);
    const full = realPart(samplerLaw(oracle, prior, { predictor: 'ancestral', steps: 256, target: 'posterior' }), ref.S, V, L);
    const a = tv(elbo.law, exact) + elbo.masked;
    const b = tv(full.law, exact) + full.masked;
    console.log(`  ${name}, 256 ancestral steps: TV to the exact law ${a.toExponential(2)} with the ELBO's minimiser, ${b.toFixed(3)} with the full posterior`);
    assert.ok(a < 5e-3 && b > 0.1, `${a} ${b}`);
  }
});

test('an x_t the data law cannot produce is an error', () => {
  const { ref } = make('masking');
  const oracle = new Oracle(ref, { V, L, seqs: [[0, 1, 2]], probs: [1] });
  assert.throws(() => oracle.posterior(0.5, [3, V, V]), (e: Error) => e instanceof OracleError && /probability 0 under the data law/.test(e.message));
  assert.throws(() => new Oracle(ref, { V, L, seqs: [[0, 1, 9]], probs: [1] }), (e: Error) => e instanceof OracleError && e.message === 'sequence 0, position 2: 9 is not a token (0..4)');
});

test.run();
