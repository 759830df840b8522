// The error decomposition on the Markov source (runtime/eval/synthetic/decompose.ts), on the GPU
// sampler with the exact denoiser: the three parts sum to the total; the approximation part is 0
// when the "model" is the oracle (the same sequences, by common random numbers); the exact reverse
// process starts from the samplers' own x_1; the sampling part shrinks as the steps grow (masking
// and semdlm_plus); a denoiser that is not the ELBO's minimiser (the full posterior, which counts
// x_t^i's evidence twice) shows as approximation error; refusals.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compileKernel } from '../../../compiler/index.ts';
import type { KernelSpec } from '../../../specs/types/kernel.ts';
import { getGpu } from '../../../runtime/gpu/index.ts';
import { SampleError, sampleTokens } from '../../../runtime/sample/index.ts';
import { MarkovOracleDenoiser, MarkovSource, SyntheticError, decompose, formatDecomposition, sourceKernel, type Decomposition } from '../../../runtime/eval/synthetic/index.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const src = new MarkovSource({ V: 12, clusters: 3, L: 8, seed: 1 });
const N = 512;

function shipped(name: string): KernelSpec {
  return compileKernel(readFileSync(`${root}kernels/${name}.kernel`, 'utf8'), { path: `kernels/${name}.kernel`, params: name.startsWith('semdlm') ? { k: 3 } : {} });
}

function sums(d: Decomposition): void {
  const { approximation, sampling, mismatch, total } = d.parts;
  const sum = approximation.value + sampling.value + mismatch.value;
  assert.ok(Math.abs(sum - total.value) <= 1e-12, `parts sum to ${sum}, total ${total.value}`);
  assert.is(total.value, d.laws.model.F - d.entropyRate);
  for (const p of [approximation, sampling, mismatch, total]) assert.ok(Number.isFinite(p.value) && p.se >= 0);
}

test('masking, the oracle as the model: parts sum to the total, the approximation part is exactly 0, x_1 is the samplers\'', async () => {
  const gpu = await getGpu();
  const sk = await sourceKernel(shipped('masking'), src, { gpu });
  const rt = sk.rt!;
  // The exact reverse process starts from rt.samplePrior under the batch's seed: the samplers' x_1.
  const o = new MarkovOracleDenoiser(sk.spec, sk.ref, src);
  const r = await sampleTokens({ rt, denoiser: o, B: 4, L: src.L, seed: 5, steps: 4, rules: [], trace: true });
  assert.equal(Array.from(r.trace![0]!), Array.from(await rt.samplePrior(4 * src.L, { L: 4 * src.L, seed: 5, stream: 0 })));
  const other = new MarkovOracleDenoiser(sk.spec, sk.ref, src);
  const d = await decompose({ source: src, rt, ref: sk.ref, model: other, sampler: { steps: 16, rules: [], denoise: 'none' }, samples: 256, batch: 128, seed: 3 });
  console.log(formatDecomposition(d));
  sums(d);
  assert.is(d.modelIsOracle, false);
  assert.equal(d.tokens.model, d.tokens.oracle);
  assert.is(d.parts.approximation.value, 0);
  assert.is(d.parts.approximation.se, 0);
  assert.is(d.laws.data.F, src.entropyPerToken());
  assert.ok(Math.abs(d.parts.mismatch.value) < 1e-3, `masking keeps eps = 1e-3 of x0 at t = 1: mismatch ${d.parts.mismatch.value}`);
  assert.is(d.laws.oracle.invalid, 0);
  assert.ok(other.calls > 0);
  const same = await decompose({ source: src, rt, ref: sk.ref, sampler: { steps: 16, rules: [], denoise: 'none' }, samples: 256, batch: 128, seed: 3 });
  assert.is(same.modelIsOracle, true);
  assert.equal(same.tokens.oracle, d.tokens.oracle);
});

for (const [name, ladder] of [['masking', [1, 2, 8, 64]], ['semdlm_plus', [2, 16]]] as const) {
  test(`${name}: the sampling part shrinks as the steps grow (${ladder.join(', ')})`, async () => {
    const gpu = await getGpu();
    const sk = await sourceKernel(shipped(name), src, { gpu });
    const oracle = new MarkovOracleDenoiser(sk.spec, sk.ref, src);
    const parts: Array<{ value: number; se: number }> = [];
    const lines: string[] = [];
    for (const steps of ladder) {
      const d = await decompose({ source: src, rt: sk.rt!, ref: sk.ref, oracle, sampler: { steps, rules: [], denoise: 'none' }, samples: N, batch: 256, seed: 7 });
      sums(d);
      parts.push(d.parts.sampling);
      lines.push(`  ${name} S = ${String(steps).padStart(3)}: sampling ${d.parts.sampling.value.toFixed(4)} ± ${d.parts.sampling.se.toFixed(4)}, mismatch ${d.parts.mismatch.value.toFixed(5)}, bigram TV ${d.laws.oracle.bigramTV.toFixed(3)} (data's own ${d.laws.data.bigramTV.toFixed(3)}), entropy ${d.laws.oracle.entropy.toFixed(3)} (data ${d.laws.data.entropy.toFixed(3)})`);
    }
    console.log(lines.join('\n'));
    // Each step up of the ladder but the last lowers the part by more than 3 combined standard errors;
    // at the most steps it is within 4 standard errors of 0.
    for (let i = 1; i < parts.length; i++) {
      const a = parts[i - 1]!;
      const b = parts[i]!;
      const margin = 3 * Math.hypot(a.se, b.se);
      if (i < parts.length - 1 || parts.length === 2) assert.ok(a.value - b.value > margin, `${name}: ${a.value} -> ${b.value} (margin ${margin})`);
    }
    const last = parts[parts.length - 1]!;
    assert.ok(Math.abs(last.value) < 4 * last.se, `${name}: sampling part at ${ladder[ladder.length - 1]} steps ${last.value} ± ${last.se}`);
  });
}

test('uniform: a denoiser that is not the ELBO minimiser (the full posterior p(x0^i | x_t)) shows as approximation error', async () => {
  const gpu = await getGpu();
  const sk = await sourceKernel(shipped('uniform'), src, { gpu });
  const wrong = new MarkovOracleDenoiser(sk.spec, sk.ref, src, { target: 'posterior' });
  const d = await decompose({ source: src, rt: sk.rt!, ref: sk.ref, model: wrong, sampler: { steps: 32, rules: [], denoise: 'none' }, samples: N, batch: 256, seed: 9 });
  console.log(formatDecomposition(d));
  sums(d);
  assert.ok(d.parts.approximation.value > 4 * d.parts.approximation.se, `approximation ${d.parts.approximation.value} ± ${d.parts.approximation.se}`);
});

test('refusals: a reference kernel of another vocabulary, a bad sample count, another source\'s oracle', async () => {
  const gpu = await getGpu();
  const sk = await sourceKernel(shipped('masking'), src, { gpu });
  const big = await sourceKernel(shipped('masking'), src, { specials: true });
  const fails = async (f: () => Promise<unknown>, msg: string) => {
    try {
      await f();
      assert.unreachable(msg);
    } catch (err) {
      assert.instance(err, SyntheticError);
      assert.ok((err as Error).message.includes(msg), (err as Error).message);
    }
  };
  await fails(() => decompose({ source: src, rt: sk.rt!, ref: big.ref }), 'decompose: the reference kernel has V = 14 (S = 15), the runtime V = 12 (S = 13): they are not the same kernel');
  await fails(() => decompose({ source: src, rt: sk.rt!, ref: sk.ref, samples: 0 }), 'decompose: samples must be a whole number >= 1, got 0');
  await fails(() => decompose({ source: src, rt: sk.rt!, ref: sk.ref, batch: 2.5 }), 'decompose: batch must be a whole number >= 1, got 2.5');
  await fails(() => decompose({ source: src, rt: sk.rt!, ref: sk.ref, seed: -1 }), 'decompose: seed must be a non-negative integer, got -1');
  const otherSrc = new MarkovSource({ V: 12, clusters: 3, L: 8, seed: 2 });
  await fails(() => decompose({ source: src, rt: sk.rt!, ref: sk.ref, oracle: new MarkovOracleDenoiser(sk.spec, sk.ref, otherSrc) }), 'decompose: the oracle was built for another source');
});

test('the oracle denoiser refuses another length (through the sampler, as a SampleError)', async () => {
  const gpu = await getGpu();
  const sk = await sourceKernel(shipped('masking'), src, { gpu });
  try {
    await sampleTokens({ rt: sk.rt!, denoiser: new MarkovOracleDenoiser(sk.spec, sk.ref, src), B: 2, L: 4, seed: 1, steps: 2 });
    assert.unreachable();
  } catch (err) {
    assert.instance(err, SampleError);
    assert.ok((err as Error).message.includes('the Markov oracle knows sequences of L = 8 tokens, not 4'), (err as Error).message);
  }
});

test.run();
