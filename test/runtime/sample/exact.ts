// The exactness test of a predictor (ancestral or tau_leap) against the oracle, shared by
// exact-ancestral.test.ts and exact-tau-leap.test.ts. For each shipped kernel:
//
// * float64: the law of the exact reverse process from the runtime's prior (its gap to the data law
//   printed), and the exact law of the ideal sampler on the grids of 8, 32, 128 and 1024 steps
//   (reference/sample/law.ts): its TV distance to the exact law must fall at every step up;
// * GPU: 8 steps (n = N8 sequences) against the float64 8-step law, a law visibly different from
//   the limit, and 1024 steps (n = N1024) against the exact law of the reverse process: Pearson
//   chi-square over the sequences (cells with expectation < 5 pooled), level 1e-3 each.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { sampleTokens } from '../../../runtime/sample/index.ts';
import { exactReverseLaw, lawVector, realPart, samplerLaw, tv } from '../../../reference/sample/index.ts';
import { KERNELS, L, V, chiSquare, countSequences, onStates, setup } from './setup.ts';

export const N8 = 2000;
export const N1024 = 800;
const ALPHA = 1e-3;
const LADDER = [8, 32, 128, 1024];

export function exactTests(predictor: 'ancestral' | 'tau_leap'): void {
  const rows: string[] = [];
  for (const name of KERNELS) {
    test(`${predictor} on ${name}: TV to the exact law falls with the steps; the GPU sampler follows the 8-step law and the exact law at 1024 steps`, async () => {
      const s = await setup(name);
      const S = s.ref.S;
      const exact = exactReverseLaw(s.oracle.oracle, s.prior);
      const gap = tv(exact, lawVector(s.law));
      const ideal = LADDER.map((steps) => samplerLaw(s.oracle.oracle, s.prior, { predictor, steps, denoise: 'none' }));
      const tvs = ideal.map((q) => tv(realPart(q, S, V, L).law, exact) + realPart(q, S, V, L).masked);
      for (let i = 1; i < tvs.length; i++) assert.ok(tvs[i]! < tvs[i - 1]!, `TV at ${LADDER[i]} steps (${tvs[i]}) is not below TV at ${LADDER[i - 1]} (${tvs[i - 1]})`);
      assert.ok(tvs[tvs.length - 1]! < 2e-3, `TV at 1024 steps: ${tvs[tvs.length - 1]}`);

      const run = (steps: number, B: number, seed: number) => sampleTokens({ rt: s.rt, denoiser: s.oracle, B, L, seed, predictor, steps, rules: [], denoise: 'none' });
      const r8 = await run(8, N8, 11);
      const c8 = chiSquare(countSequences(r8.tokens, S), ideal[0]!);
      const r1024 = await run(1024, N1024, 12);
      const counts = countSequences(r1024.tokens, S);
      const c1024 = chiSquare(counts, onStates(exact, S));
      const emp = tv(
        counts.map((c) => c / N1024),
        onStates(exact, S),
      );
      rows.push(
        `${name.padEnd(12)} ${gap.toExponential(2).padStart(9)}  ${tvs.map((x) => x.toExponential(2).padStart(9)).join(' ')}   ${c8.p.toFixed(3).padStart(6)} (df ${String(c8.df).padStart(2)})   ${c1024.p.toFixed(3).padStart(6)} (df ${String(c1024.df).padStart(2)})  ${emp.toFixed(3)}`,
      );
      assert.ok(c8.p > ALPHA, `8 steps: GPU against the float64 8-step law: chi-square ${c8.stat.toFixed(1)} on ${c8.df} df, p = ${c8.p}`);
      assert.ok(c1024.p > ALPHA, `1024 steps: GPU against the exact law: chi-square ${c1024.stat.toFixed(1)} on ${c1024.df} df, p = ${c1024.p}`);
    });
  }
  test.after(() => {
    console.log(`\n${predictor}, oracle of a V = ${V}, L = ${L} data law; GPU samples: ${N8} at 8 steps, ${N1024} at 1024 steps`);
    console.log(`kernel       TV(law,data)  TV(sampler_steps, law) at steps ${LADDER.join(', ')}   p(GPU 8 vs float64 8)  p(GPU 1024 vs law)  TV(GPU 1024, law)`);
    for (const r of rows) console.log(r);
  });
  test.run();
}
