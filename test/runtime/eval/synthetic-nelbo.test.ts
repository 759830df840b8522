// The NELBO of the exact denoiser on the Markov source equals its exact value (reference/synthetic/
// nelbo.ts). With the oracle's p_hat = p(x0^i | x_t^{-i}) the model's reverse rates are the true ones,
// so the time integral of the ELBO integrand (docs/math.md §2.4) is E_{x_1 | x0}[-log p(x0 | x_1)]
// per x0, and H(x_{1:L}) + KL(q_1(x_1) || prod p_1) - E[prior term] over the data. Left side: the
// reference kernel's `elbo` with the oracle's logits, every x_t enumerated, t integrated by adaptive
// Gauss-Kronrod (t = s^3 against the log(1/t) growth at t = 0); right side: x_1 enumerated. Both use
// hops to a 1e-15 tail, so the only error is the quadrature's.
//
// Tolerance: for the closed-form schedules (loglinear) the integrand is smooth in s and Gauss-Kronrod
// at absTol 1e-7 is within its own error estimate, well under 1e-6 nats (measured: 1e-12 or better);
// the mutual-information schedule's rates are a monotone cubic table (128 pieces joined with a jump in
// their second derivative), which Gauss-Kronrod resolves only by subdividing at every joint: at
// absTol 1e-6 it agrees to 2e-8 nats after 17 000 integrand evaluations (3 minutes, measured once), so
// the test runs it at 1e-4 (about 100 evaluations) and allows 1e-3 nats.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compileKernel } from '../../../compiler/index.ts';
import type { KernelSpec } from '../../../specs/types/kernel.ts';
import { MarkovOracle, MarkovSource, exactDiffusionTerm, exactExpectedNelbo, oracleElboIntegrand, oracleLoss, oracleNelboQuadrature, posteriorEntropies, priorTerm, sampledDiffusionTerm } from '../../../reference/synthetic/index.ts';
import { seqOf } from '../../../reference/sample/index.ts';
import { mulberry32 } from '../../../runtime/data/index.ts';
import { sourceKernel } from '../../../runtime/eval/synthetic/index.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const src = new MarkovSource({ V: 4, clusters: 2, L: 3, seed: 7 });
const X0S = [[0, 1, 2], [3, 3, 0]];

const GRAPHMIX = `kernel graphmix "jumps on the knn graph plus uniform resets, closed-form schedule"
graph near = knn(embeddings, k = 1, bandwidth = 0.3)
schedule loglinear(eps = 1e-3)
channel jump(near) weight 0.8
channel reset(uniform) weight 0.2
loss elbo
sampler ancestral(steps = 128) { denoise argmax }
`;

function spec(name: string): KernelSpec {
  if (name === 'graphmix') return compileKernel(GRAPHMIX, { path: 'graphmix.kernel' });
  return compileKernel(readFileSync(`${root}kernels/${name}.kernel`, 'utf8'), { path: `kernels/${name}.kernel`, params: name.startsWith('semdlm') ? { k: 1 } : {} });
}

const CASES = [
  { name: 'masking', absTol: 1e-7, tol: 1e-6, x0s: X0S },
  { name: 'uniform', absTol: 1e-7, tol: 1e-6, x0s: X0S },
  { name: 'graphmix', absTol: 1e-7, tol: 1e-6, x0s: X0S },
  // Over the data only: each x0's own integrand makes Gauss-Kronrod subdivide at more table joints (30x the time).
  { name: 'semdlm_plus', absTol: 1e-4, tol: 1e-3, x0s: [] },
];

const rows: string[] = [];
const nelbos: string[] = [];

for (const c of CASES) {
  test(`${c.name}: the oracle's NELBO by quadrature of the ELBO integrand equals the exact value (over the data${c.x0s.length ? ' and per x0' : ''})`, async () => {
    const t0 = performance.now();
    const sk = await sourceKernel(spec(c.name), src);
    const mo = new MarkovOracle(src, sk.ref, { hops: 'exact' });
    const q = oracleNelboQuadrature(mo, { x0s: c.x0s, absTol: c.absTol });
    const ex = exactExpectedNelbo(mo);
    const per = c.x0s.map((x) => exactDiffusionTerm(mo, x));
    const diffs = [q.expected - ex.diffusion, ...per.map((p, m) => q.perX0[m]! - p)];
    rows.push(
      `${c.name.padEnd(12)} E[NELBO] ${(q.expected + ex.priorTerm).toFixed(9)} (quadrature + prior) = H ${ex.entropy.toFixed(9)} + KL(q_1||p_1^L) ${ex.priorMismatch.toExponential(3)}; ` +
        `differences ${diffs.map((d) => d.toExponential(1)).join(', ')}; GK error ${q.error.toExponential(1)}, ${q.evaluations} evaluations, ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
    for (const d of diffs) assert.ok(Math.abs(d) < c.tol, `${c.name}: quadrature - exact = ${d} (tolerance ${c.tol})`);
    // The prior's product form costs KL(q_1(x_1) || prod p_1) >= 0 over the data; per x0 the NELBO is
    // -log p(x0) plus E_{x_1|x0}[log q_1(x_1) / prod p_1(x_1^i)], which may have either sign.
    assert.ok(ex.priorMismatch >= 0);
    if (c.x0s.length) nelbos.push(`${c.name.padEnd(12)} ${c.x0s.map((x0, m) => `NELBO ${(q.perX0[m]! + priorTerm(sk.ref, x0)).toFixed(6)} vs -log p ${(-src.logProb(x0)).toFixed(6)}`).join('; ')}`);
  });
}

test('Monte Carlo over exact forward draws of x_1 agrees with the enumeration (the estimator for sources too big to enumerate)', async () => {
  const sk = await sourceKernel(spec('uniform'), src);
  const mo = new MarkovOracle(src, sk.ref, { hops: 'exact' });
  const x0 = X0S[0]!;
  const exact = exactDiffusionTerm(mo, x0);
  const mc = sampledDiffusionTerm(mo, x0, 4000, mulberry32(3, { open: true }));
  assert.ok(Math.abs(mc.mean - exact) < 4 * mc.se + 1e-12, `MC ${mc.mean} ± ${mc.se}, exact ${exact}`);
});

test('the loss floor of one noisy sequence (oracleLoss) averages to the integrand; posterior entropies', async () => {
  const sk = await sourceKernel(spec('semdlm_plus'), src);
  const mo = new MarkovOracle(src, sk.ref, { hops: 'exact' });
  const x0 = X0S[1]!;
  const t = 0.4;
  const rows = x0.map((v) => sk.ref.row(t, v, mo.hopsAt(t)));
  let mean = 0;
  for (let k = 0; k < sk.ref.S ** src.L; k++) {
    const xt = seqOf(k, sk.ref.S, src.L);
    const q = rows[0]![xt[0]!]! * rows[1]![xt[1]!]! * rows[2]![xt[2]!]!;
    if (q > 0) mean += q * oracleLoss(mo, t, x0, xt);
  }
  const want = oracleElboIntegrand(mo, t, [x0])[1]!;
  assert.ok(Math.abs(mean - want) < 1e-12, `${mean} vs ${want}`);
  // Under masking, a fully masked sequence leaves every position at the stationary law.
  const mk = await sourceKernel(spec('masking'), src);
  const hm = posteriorEntropies(new MarkovOracle(src, mk.ref), 0.7, [src.V, src.V, src.V]);
  let hpi = 0;
  for (const p of src.pi) hpi -= p * Math.log(p);
  for (const h of hm) assert.ok(Math.abs(h - hpi) < 1e-12, `${h} vs H(pi) ${hpi}`);
});

test.after(() => {
  console.log(`\nsource V = ${src.V}, C = ${src.C}, L = ${src.L} (H = ${src.sequenceEntropy().toFixed(6)} nats); differences: expected, then x0 = ${X0S.map((x) => x.join('')).join(', ')}`);
  for (const r of rows) console.log(r);
  for (const r of nelbos) console.log(r);
});

test.run();
