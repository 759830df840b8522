// The sampler as a whole: the cache gives the same samples as no cache (and fewer model
// evaluations); clamped positions never change; the same seed gives the same tokens; the sampler
// rules apply at every step (against the float64 sampler law with the same rules); lengths other
// than the oracle's; and every bad input is a SampleError with a clear message.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Denoiser } from '../../../runtime/denoiser/index.ts';
import { tempTensor, type Tensor } from '../../../runtime/nn/index.ts';
import type { Recorder } from '../../../runtime/gpu/index.ts';
import { SampleError, positionsClamp, prefixClamp, sampleTokens, type SampleTokensOptions } from '../../../runtime/sample/index.ts';
import { samplerLaw } from '../../../reference/sample/index.ts';
import { L, V, chiSquare, countSequences, kernel, setup, type Setup } from './setup.ts';

const ALPHA = 1e-3;

const cache = new Map<string, Promise<Setup>>();
const get = (name: string) => {
  let p = cache.get(name);
  if (!p) cache.set(name, (p = setup(name)));
  return p;
};

async function rejects(o: Partial<SampleTokensOptions> & { name?: string }, message: RegExp | string): Promise<void> {
  const s = await get(o.name ?? 'masking');
  try {
    await sampleTokens({ rt: s.rt, denoiser: s.oracle, B: 2, L, seed: 1, steps: 4, ...o });
  } catch (err) {
    assert.instance(err, SampleError, `${String(err)}`);
    const m = (err as Error).message;
    if (typeof message === 'string') assert.is(m, message);
    else assert.match(m, message);
    return;
  }
  assert.unreachable(`no error for ${JSON.stringify({ ...o, rt: undefined, denoiser: undefined })}`);
}

test('cache on and off give the same samples for the same seed, with fewer model evaluations (masking: the oracle is not time-conditioned)', async () => {
  const s = await get('masking');
  assert.is(s.oracle.timeConditioned, false);
  for (const predictor of ['ancestral', 'remask', 'confidence', 'tau_leap'] as const) {
    const o = { rt: s.rt, denoiser: s.oracle, B: 300, L, seed: 5, predictor, steps: 64, rules: [] };
    const on = await sampleTokens({ ...o, cache: true });
    const off = await sampleTokens({ ...o, cache: false });
    assert.equal(Array.from(on.tokens), Array.from(off.tokens), predictor);
    const mean = (a: Uint32Array) => a.reduce((x, y) => x + y, 0) / a.length;
    assert.is(mean(off.nfePerSequence), 64);
    assert.is(off.nfe, 64);
    assert.ok(mean(on.nfePerSequence) < 16, `${predictor}: ${mean(on.nfePerSequence)} evaluations per sequence with the cache`);
    console.log(`  ${predictor}: 64 steps, model evaluations per sequence ${mean(on.nfePerSequence).toFixed(2)} with the cache, 64 without; denoiser calls ${on.nfe} / ${off.nfe}`);
  }
});

test('a time-conditioned denoiser is never cached', async () => {
  const s = await get('uniform');
  assert.is(s.oracle.timeConditioned, true);
  const r = await sampleTokens({ rt: s.rt, denoiser: s.oracle, B: 50, L, seed: 5, steps: 16, cache: true });
  assert.is(r.nfe, 16);
  assert.ok(r.nfePerSequence.every((n) => n === 16));
});

const CLAMPS: Array<[string, number[]]> = [
  ['prefix', Array.from(prefixClamp([4], L))],
  ['infill', [-1, 3, -1]],
];
const RUNS: Array<[string, 'ancestral' | 'tau_leap' | 'remask' | 'confidence' | 'self_correct', Record<string, number>]> = [
  ['uniform', 'ancestral', {}],
  ['semdlm', 'tau_leap', {}],
  ['masking', 'remask', { eta: 0.5 }],
  ['masking', 'confidence', { block: 2 }],
  ['hybrid', 'self_correct', { passes: 4 }],
];
for (const [what, clamp] of CLAMPS) {
  test(`clamped positions (${what}) never change, at any step, for every predictor`, async () => {
    for (const [name, predictor, options] of RUNS) {
      const s = await get(name);
      const r = await sampleTokens({ rt: s.rt, denoiser: s.oracle, B: 64, L, seed: 9, predictor, steps: 12, options, clamp, trace: true });
      assert.is(r.trace!.length, 1 + r.steps + r.passes);
      for (const x of r.trace!) {
        for (let i = 0; i < x.length; i++) {
          const c = clamp[i % L]!;
          if (c >= 0 && x[i] !== c) assert.unreachable(`${name} ${predictor}: position ${i} is ${x[i]}, clamped to ${c}`);
        }
      }
      assert.ok(r.tokens.every((x) => x < V), `${name} ${predictor}: a [MASK] is left`);
    }
  });
}

test('the same seed gives the same tokens; another seed other tokens', async () => {
  for (const [name, predictor] of [['semdlm_plus', 'ancestral'], ['hybrid', 'tau_leap'], ['masking', 'confidence']] as const) {
    const s = await get(name);
    const run = (seed: number) => sampleTokens({ rt: s.rt, denoiser: s.oracle, B: 200, L, seed, predictor, steps: 16 });
    const [a, b, c] = [await run(3), await run(3), await run(4)];
    assert.equal(Array.from(a.tokens), Array.from(b.tokens), `${name} ${predictor}`);
    assert.not.equal(Array.from(a.tokens), Array.from(c.tokens), `${name} ${predictor}`);
  }
});

test("semdlm_plus's rules (the semantic-frequency penalty on count[v] and near.sum(count), top_p) apply at every step: 16 steps against the float64 sampler with the same rules", async () => {
  for (const gamma of [undefined, 2]) {
    const s = await get('semdlm_plus');
    const spec = gamma === undefined ? s.spec : kernel('semdlm_plus', { gamma });
    const want = samplerLaw(s.oracle.oracle, s.prior, { predictor: 'ancestral', steps: 16, denoise: 'none', rules: { spec, graphs: { near: s.graph } } });
    const plain = samplerLaw(s.oracle.oracle, s.prior, { predictor: 'ancestral', steps: 16, denoise: 'none' });
    const n = 2000;
    const r = await sampleTokens({ rt: s.rt, denoiser: s.oracle, B: n, L, seed: 21, steps: 16, denoise: 'none', ...(gamma === undefined ? {} : { params: { gamma } }) });
    const counts = countSequences(r.tokens, s.ref.S);
    const chi = chiSquare(counts, want);
    const chiPlain = chiSquare(counts, plain);
    assert.ok(chi.p > ALPHA, `gamma ${gamma ?? 0.5}: chi-square ${chi.stat.toFixed(1)} on ${chi.df} df, p = ${chi.p}`);
    assert.ok(chiPlain.p < 1e-6, `the rules changed nothing? p = ${chiPlain.p} against the law without rules`);
  }
});

/** Logits that favour token (position mod V) at every position, for any B and L. */
class PositionDenoiser implements Denoiser {
  readonly timeConditioned = false;
  constructor(readonly V: number) {}
  logits(rec: Recorder, inp: { B: number; L: number }): Tensor {
    const host = new Float32Array(inp.B * inp.L * this.V);
    for (let p = 0; p < inp.B * inp.L; p++) host[p * this.V + ((p % inp.L) % this.V)] = 6;
    const out = tempTensor(rec, [inp.B, inp.L, this.V]);
    rec.upload(out, host);
    return out;
  }
}

test('any length L: nothing assumes the oracle’s (a denoiser that favours token i mod V at position i)', async () => {
  const s = await get('masking');
  for (const [Lx, predictor] of [[1, 'ancestral'], [7, 'ancestral'], [19, 'confidence'], [9, 'remask']] as const) {
    const r = await sampleTokens({ rt: s.rt, denoiser: new PositionDenoiser(V), B: 5, L: Lx, seed: 2, predictor, steps: 24, options: predictor === 'confidence' ? { block: 4 } : {} });
    assert.is(r.tokens.length, 5 * Lx);
    let hits = 0;
    r.tokens.forEach((x, i) => (hits += x === (i % Lx) % V ? 1 : 0));
    assert.ok(hits >= 0.9 * r.tokens.length, `L = ${Lx}, ${predictor}: ${hits} of ${r.tokens.length}`);
  }
});

test('self_correct runs its passes after the grid until every sequence is a fixed point (or the passes run out)', async () => {
  const s = await get('hybrid');
  const r = await sampleTokens({ rt: s.rt, denoiser: s.oracle, B: 100, L, seed: 4, predictor: 'self_correct', steps: 32, options: { passes: 50, t_start: 0.05 } });
  assert.ok(r.passes >= 1 && r.passes < 50, `passes ${r.passes}`);
  assert.is(r.steps, 32);
  assert.ok(r.tokens.every((x) => x < V));
  const mean = r.nfePerSequence.reduce((a, b) => a + b, 0) / 100;
  assert.ok(mean > 32 && mean <= 32 + r.passes, `evaluations per sequence ${mean}`);
});

test('a run may start from given tokens at a time t < 1: the grid runs from t to 0, the trace starts there', async () => {
  const s = await get('masking');
  const B = 50;
  const start = Uint32Array.from({ length: B * L }, (_, i) => (i % 2 ? V : [0, 1, 2][i % L]!));
  const r = await sampleTokens({ rt: s.rt, denoiser: s.oracle, B, L, seed: 3, steps: 8, start: { tokens: start, t: 0.4 }, trace: true });
  assert.equal(Array.from(r.trace![0]!), Array.from(start));
  r.tokens.forEach((x, i) => {
    if (start[i] !== V) assert.is(x, start[i], `position ${i}: a visible token under masking stays`);
    else assert.ok(x < V);
  });
});

test('bad input is a SampleError with a clear message', async () => {
  await rejects({ steps: 0 }, 'steps (number of reverse steps) must be in [1, 1000000], not 0');
  await rejects({ steps: 2.5 }, 'steps (number of reverse steps) must be a whole number, not 2.5');
  await rejects({ name: 'uniform', predictor: 'remask' }, "kernel 'uniform': remask (ReMDM) remasks visible tokens: it needs a mask channel, and this kernel has none (it has a reset channel)");
  await rejects({ name: 'semdlm', predictor: 'confidence' }, /^kernel 'semdlm': confidence commits the most confident masked positions: it needs a mask channel/);
  await rejects({ predictor: 'self_correct' }, /^kernel 'masking': self_correct replaces visible tokens/);
  await rejects({ predictor: 'remask', options: { t_on: 0.2, t_off: 0.4 } }, 't_off (0.4) must not exceed t_on (0.2): remasking runs while t_off < t <= t_on');
  await rejects({ predictor: 'remask', options: { eta: 2 } }, 'eta (remasking strength) must be in [0, 1], not 2');
  await rejects({ options: { block: 2 } }, "ancestral has no option 'block'; it takes steps");
  await rejects({ predictor: 'confidence', options: { block: 1 }, steps: 2 }, 'confidence decodes 3 blocks of 1 positions (L = 3) and needs at least one step per block; steps = 2');
  await rejects({ clamp: [9, -1, -1] }, 'clamp[0] = 9 is not a token (0..4) or -1 (free)');
  await rejects({ clamp: [1, 2] }, 'clamp has 2 entries: give L = 3 (every sequence) or B * L = 6');
  await rejects({ B: 0 }, 'B must be a whole number >= 1, not 0');
  await rejects({ seed: -1 }, 'a seed must be a non-negative integer, not -1');
  await rejects({ L: 4 }, 'the oracle knows sequences of L = 3 tokens, not 4');
  await rejects({ maxLength: 2 }, 'L = 3 is longer than the model allows (2)');
  await rejects({ denoiser: new PositionDenoiser(7) }, 'the denoiser has V = 7 tokens, the kernel runtime 5');
  await rejects({ name: 'semdlm_plus', params: { global: 0.5 } }, "param 'global' is not read by the sampler's rules: it changes the process itself, so compile the kernel with it (--set global=0.5) and build its runtime");
  await rejects({ name: 'semdlm_plus', params: { gamma: -1 } }, "param 'gamma' must be in [0, inf), not -1");
  await rejects({ name: 'semdlm_plus', params: { nope: 1 } }, "kernel 'semdlm_plus' has no param 'nope'");
  await rejects({ start: { tokens: [0, 1, 2, 0, 1, 6], t: 0.5 } }, 'start.tokens[5] = 6 is not a state (0..5; [MASK] is 5)');
  await rejects({ start: { tokens: [0, 1, 2, 0, 1, 2], t: 0 } }, 'the start time must be in (0, 1], not 0');
  assert.throws(() => prefixClamp([1, 2, 3, 4], 3), (e: Error) => e instanceof SampleError && e.message === 'the prefix has 4 tokens, longer than the length L = 3');
  assert.throws(() => positionsClamp(3, [1, 5], [2, 2]), (e: Error) => e instanceof SampleError && e.message === 'clamp position 5 is outside the length L = 3 (positions 0..2)');
  assert.equal(Array.from(positionsClamp(4, [3, 1], [2, 0])), [-1, 0, -1, 2]);
  await rejects({ clamp: positionsClamp(3, [1], [7]) }, 'clamp[1] = 7 is not a token (0..4) or -1 (free)');
});

test.run();
