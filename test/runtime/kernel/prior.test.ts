// The prior p_1 (power iteration on the GPU), its sampler (chi-square) and KL(q_1(.|x0) || p_1),
// against the float64 reference; and the estimated reverse rates.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SHIPPED, gaussian, maxRelErr, pair, rng, vocab } from './setup.ts';
import { chiSquare } from './stats.ts';

const v = vocab(28, 8);
const NK = Object.keys(SHIPPED).length;

for (const [name, make] of Object.entries(SHIPPED)) {
  test(`${name}: prior, prior draws and prior KL match the reference`, async () => {
    const P = await pair(make(), v);
    const want = P.ref.prior();
    const got = await P.rt.prior();
    const e = maxRelErr(got, want, 1e-9);
    assert.ok(e < 1e-5, `prior: relative error ${e}`);
    const N = 40000;
    const draws = await P.rt.samplePrior(N, { seed: 3, stream: 2 });
    const counts = new Float64Array(P.rt.S);
    for (const x of draws) counts[x]!++;
    const res = chiSquare(counts, want);
    assert.ok(res.p > 1e-3 / NK, `prior draws: chi-square ${res.stat.toFixed(1)} on ${res.df} df, p = ${res.p.toExponential(2)}`);
    const x0 = [0, 5, 17, 27];
    const kl = await P.rt.priorKL(x0);
    x0.forEach((x, i) => {
      const w = P.ref.priorKL(x);
      assert.ok(Math.abs(kl[i]! - w) <= 1e-4 * Math.max(w, 1e-2), `KL(q_1(.|${x}) || p_1): ${kl[i]} vs ${w}`);
    });
  });

  test(`${name}: reverse rates match the reference`, async () => {
    const P = await pair(make(), v);
    const r = rng(9 + name.length);
    const N = 12;
    const ts = Array.from({ length: N }, () => 0.05 + 0.9 * r());
    const xt = Array.from({ length: N }, () => Math.floor(r() * P.rt.S));
    const logits = Float32Array.from({ length: N * v.V }, () => 2 * gaussian(r));
    const got = await P.rt.rates(logits, xt, ts);
    for (let i = 0; i < N; i++) {
      const l = logits.subarray(i * v.V, (i + 1) * v.V);
      const mx = Math.max(...l);
      const p = Float64Array.from(l, (x) => Math.exp(x - mx));
      const z = p.reduce((a, b) => a + b, 0);
      const want = P.ref.reverseRates(p.map((x) => x / z), xt[i]!, ts[i]!);
      let scale = 0;
      for (const x of want) scale = Math.max(scale, Math.abs(x));
      const e = maxRelErr(got.subarray(i * P.rt.S, (i + 1) * P.rt.S), want, 1e-6 * scale + 1e-30);
      assert.ok(e < 1e-5, `rates at t=${ts[i]}, xt=${xt[i]}: relative error ${e}`);
    }
  });
}

test.run();
