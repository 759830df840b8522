// The exact denoiser of the Markov source (reference/synthetic/oracle.ts, forward-backward) against
// brute-force enumeration over all sequences (reference/sample's table oracle on the source's full
// table), for masking, uniform and a graph kernel (semdlm_plus: knn jumps, unigram resets, the
// mutual-information schedule's rate tables), at several t and every noisy sequence; the exact
// reverse process from x_1 (its expected NLL and its backward draws); the tokenizer's eos and pad in
// the kernel's vocabulary; the ideal sampler's F converging to the exact reverse process's.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compileKernel } from '../../../compiler/index.ts';
import type { KernelSpec } from '../../../specs/types/kernel.ts';
import { MarkovOracle, MarkovSource, SyntheticError, sourceTable } from '../../../reference/synthetic/index.ts';
import { Oracle, exactReverseLaw, realPart, samplerLaw, seqOf, type DataLaw } from '../../../reference/sample/index.ts';
import { mulberry32 } from '../../../runtime/data/index.ts';
import { sourceKernel } from '../../../runtime/eval/synthetic/index.ts';
import { chiSquare } from '../kernel/stats.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const src = new MarkovSource({ V: 6, clusters: 2, L: 3, seed: 4 });

function shipped(name: string): KernelSpec {
  return compileKernel(readFileSync(`${root}kernels/${name}.kernel`, 'utf8'), { path: `kernels/${name}.kernel`, params: name.startsWith('semdlm') ? { k: 2 } : {} });
}

/** The source's table over a vocabulary of V >= the source's (sequences with eos or pad have probability 0). */
function table(V: number): DataLaw {
  const t = sourceTable(src);
  return { ...t, V };
}

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};

const CASES: Array<{ name: string; specials: boolean }> = [
  { name: 'masking', specials: false },
  { name: 'uniform', specials: false },
  { name: 'semdlm_plus', specials: false },
  { name: 'uniform', specials: true },
  { name: 'semdlm_plus', specials: true },
];

for (const c of CASES) {
  test(`${c.name}${c.specials ? ' (with eos, pad)' : ''}: p(x0^i | x_t^{-i}), p(x0^i | x_t) and p(x_t) against enumeration, every x_t, four times`, async () => {
    const sk = await sourceKernel(shipped(c.name), src, { specials: c.specials });
    const ref = sk.ref;
    const mo = new MarkovOracle(src, ref);
    const brute = new Oracle(ref, table(ref.V));
    let worst = 0;
    let visited = 0;
    for (const t of [0.05, 0.3, 0.7, 1]) {
      const cols = Array.from({ length: ref.S }, (_, z) => ref.column(t, z));
      for (let k = 0; k < ref.S ** src.L; k++) {
        const xt = seqOf(k, ref.S, src.L);
        // p(x_t) by enumeration of x0 over the source's table.
        let px = 0;
        const law = brute.law;
        for (let j = 0; j < law.seqs.length; j++) {
          let p = law.probs[j]!;
          for (let i = 0; i < src.L; i++) p *= cols[xt[i]!]![law.seqs[j]![i]!]!;
          px += p;
        }
        if (px === 0) {
          assert.throws(() => mo.elboOptimal(t, xt), (e: unknown) => e instanceof SyntheticError && /has probability 0 under the source and the kernel/.test((e as Error).message));
          continue;
        }
        visited++;
        worst = Math.max(worst, maxDiff(mo.elboOptimal(t, xt), brute.elboOptimal(t, xt)), maxDiff(mo.posterior(t, xt), brute.posterior(t, xt)));
        worst = Math.max(worst, Math.abs(mo.logMarginal(t, xt) - Math.log(px)));
      }
    }
    console.log(`  ${c.name.padEnd(12)} V ${ref.V} S ${ref.S}: ${visited} (t, x_t) pairs, largest difference ${worst.toExponential(2)}`);
    assert.ok(worst < 1e-12, `largest difference ${worst}`);
    if (c.specials && c.name === 'uniform') {
      // A uniform reset can draw eos: x_t may hold it, x0 never does.
      const p = mo.elboOptimal(0.5, [0, src.V, 1]);
      for (let i = 0; i < src.L; i++) assert.is(p[i * ref.V + src.V], 0);
    }
  });
}

test('exact reverse process (semdlm_plus): E[-log p(x0) | x_1] for every x_1, the law it implies, backward draws', async () => {
  const sk = await sourceKernel(shipped('semdlm_plus'), src);
  const ref = sk.ref;
  const mo = new MarkovOracle(src, ref);
  const brute = new Oracle(ref, sourceTable(src));
  const prior = ref.prior();
  const nlls = brute.law.seqs.map((x) => -src.logProb(x));
  let worst = 0;
  let viaX1 = 0;
  for (let k = 0; k < ref.S ** src.L; k++) {
    const x1 = seqOf(k, ref.S, src.L);
    const w = brute.weights(1, x1);
    let e = 0;
    for (let j = 0; j < w.length; j++) e += w[j]! * nlls[j]!;
    const got = mo.reverseNll(x1);
    worst = Math.max(worst, Math.abs(got - e));
    viaX1 += prior[x1[0]!]! * prior[x1[1]!]! * prior[x1[2]!]! * got;
  }
  const law = exactReverseLaw(brute, prior);
  let viaLaw = 0;
  for (let j = 0; j < law.length; j++) viaLaw += law[j]! * nlls[j]!;
  console.log(`  exact reverse: largest difference of E[-log p | x_1] ${worst.toExponential(2)}; F = ${(viaX1 / src.L).toFixed(12)} (Rao-Blackwellised) vs ${(viaLaw / src.L).toFixed(12)} (law)`);
  assert.ok(worst < 1e-12);
  assert.ok(Math.abs(viaX1 - viaLaw) < 1e-12);
  // Backward sampling: 20000 draws of x0 | x_1 against the enumerated posterior.
  const x1 = [1, 4, 4];
  const w = brute.weights(1, x1);
  const counts = new Float64Array(w.length);
  const u = mulberry32(9);
  for (let d = 0; d < 20000; d++) {
    const x = mo.reverse(x1, u).x0;
    counts[(x[0]! * src.V + x[1]!) * src.V + x[2]!]!++;
  }
  const chi = chiSquare(counts, w);
  assert.ok(chi.p > 1e-3, `chi-square ${chi.stat} on ${chi.df} df, p = ${chi.p}`);
});

test('the ideal sampler (oracle, float64) approaches the exact reverse process as the steps grow: |F(S) - F(exact)| falls', async () => {
  for (const name of ['masking', 'semdlm_plus']) {
    const sk = await sourceKernel(shipped(name), src);
    const brute = new Oracle(sk.ref, sourceTable(src));
    const prior = sk.ref.prior();
    const nlls = brute.law.seqs.map((x) => -src.logProb(x) / src.L);
    const F = (law: ArrayLike<number>) => Array.from(law).reduce((a, p, j) => a + p * nlls[j]!, 0);
    const exact = F(exactReverseLaw(brute, prior));
    const gaps = [1, 4, 16, 64].map((steps) => {
      const r = realPart(samplerLaw(brute, prior, { predictor: 'ancestral', steps, denoise: 'none' }), sk.ref.S, src.V, src.L);
      assert.ok(r.masked < 1e-12);
      return F(r.law) - exact;
    });
    console.log(`  ${name.padEnd(12)} F(exact reverse) = ${exact.toFixed(6)}; F(S) - F(exact) at S = 1, 4, 16, 64: ${gaps.map((g) => g.toExponential(2)).join(', ')}`);
    for (let i = 1; i < gaps.length; i++) assert.ok(Math.abs(gaps[i]!) < Math.abs(gaps[i - 1]!), `${name}: ${gaps}`);
  }
});

test('oracle refusals: a kernel smaller than the source, a state outside the kernel', async () => {
  const small = await sourceKernel(shipped('uniform'), new MarkovSource({ V: 4, clusters: 2, L: 3 }));
  assert.throws(() => new MarkovOracle(src, small.ref), /the kernel has V = 4 tokens, fewer than the source's 6/);
  const sk = await sourceKernel(shipped('uniform'), src);
  assert.throws(() => new MarkovOracle(src, sk.ref).elboOptimal(0.5, [0, 9, 1]), /x_t\[1\] = 9 is not a state of the kernel \(0\.\.5\)/);
});

test.run();
