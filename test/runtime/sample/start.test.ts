// The sampler's `start` option (docs/sampling.md, "The grid and one step"), as the evaluation's
// repair and drift measurements use it (runtime/eval/factors/repair.ts): a start at t = 1 from the
// prior draw the sampler itself would make is the normal run, bit for bit, for every shipped kernel
// and the predictors on the time grid; clamped positions hold their tokens from the start on, even
// where the start state says otherwise.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { sampleTokens } from '../../../runtime/sample/index.ts';
import { KERNELS, L, V, setup } from './setup.ts';

const B = 24;

for (const name of KERNELS) {
  test(`${name}: a start at t = 1 from the sampler's own prior draw equals the normal run (tokens and trace)`, async () => {
    const s = await setup(name);
    // remask (ReMDM) is defined for mask-only kernels.
    for (const predictor of name === 'masking' ? (['ancestral', 'tau_leap', 'remask'] as const) : (['ancestral', 'tau_leap'] as const)) {
      // The normal run draws x_1 with stream 0 over one sequence of all B * L positions.
      const prior = await s.rt.samplePrior(B * L, { L: B * L, seed: 7, stream: 0 });
      const o = { rt: s.rt, denoiser: s.oracle, B, L, seed: 7, predictor, steps: 6, rules: [], trace: true } as const;
      const plain = await sampleTokens(o);
      const started = await sampleTokens({ ...o, start: { tokens: prior, t: 1 } });
      assert.equal(Array.from(started.trace![0]!), Array.from(plain.trace![0]!), `${predictor}: the start is the prior draw`);
      assert.equal(Array.from(started.tokens), Array.from(plain.tokens), `${predictor}: same tokens`);
      assert.is(started.trace!.length, plain.trace!.length);
      started.trace!.forEach((x, k) => assert.equal(Array.from(x), Array.from(plain.trace![k]!), `${predictor}: step ${k}`));
    }
  });
}

test('clamps hold from a given start at t < 1, at every step, whatever the start says at the clamped positions', async () => {
  for (const name of ['masking', 'uniform', 'semdlm_plus'] as const) {
    const s = await setup(name);
    // Position 0 of every sequence clamped to token 3, position 2 to token 1; the start disagrees there.
    const clamp = [3, -1, 1];
    const start = Uint32Array.from({ length: B * L }, (_, i) => (s.spec.hasMask && i % 2 ? V : (i * 7) % V));
    const r = await sampleTokens({ rt: s.rt, denoiser: s.oracle, B, L, seed: 5, steps: 8, rules: [], clamp, start: { tokens: start, t: 0.6 }, trace: true });
    assert.is(r.trace!.length, 9);
    r.trace!.forEach((x, k) => {
      for (let b = 0; b < B; b++) {
        assert.is(x[b * L], 3, `${name}: step ${k}, sequence ${b}, position 0`);
        assert.is(x[b * L + 2], 1, `${name}: step ${k}, sequence ${b}, position 2`);
      }
    });
    // The free position starts where it was told to.
    for (let b = 0; b < B; b++) assert.is(r.trace![0]![b * L + 1], start[b * L + 1]);
  }
});

test.run();
