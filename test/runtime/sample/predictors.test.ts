// One step of each predictor on the GPU against its float64 re-implementation
// (reference/sample/steps.ts): the Euler step, ReMDM's step, the confidence commit, GIDD's
// correction pass and the final denoise step. Draws are tested by Pearson chi-square (pooled small
// cells) at level 1e-3 each; selections (which positions commit or are corrected) exactly, from the
// candidates and probabilities the GPU drew.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { StepHarness, confidencePlan, timeGrid } from '../../../runtime/sample/index.ts';
import { commitCount, correctionPick, eulerLaw, remaskLaw, remaskSigma, remaskUnmask, topConfident } from '../../../reference/sample/index.ts';
import { chiSquare, setup } from './setup.ts';
import { rng, gaussian } from '../kernel/setup.ts';

const ALPHA = 1e-3;

function softmax(l: ArrayLike<number>): Float64Array {
  let mx = -Infinity;
  for (let i = 0; i < l.length; i++) mx = Math.max(mx, l[i]!);
  const p = Float64Array.from(l, (x) => Math.exp(x - mx));
  const z = p.reduce((a, b) => a + b, 0);
  return p.map((x) => x / z);
}

/** Logits [N, V] where position i has row rows[i % rows.length]. */
function tile(rows: Float32Array[], N: number, V: number): Float32Array {
  const out = new Float32Array(N * V);
  for (let i = 0; i < N; i++) out.set(rows[i % rows.length]!, i * V);
  return out;
}

function randomRows(n: number, V: number, seed: number, scale = 1.5): Float32Array[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => Float32Array.from({ length: V }, () => scale * gaussian(r)));
}

test('the time grid is uniform and ends at 0; confidence shares steps over blocks as LLaDA does', () => {
  assert.equal(Array.from(timeGrid(4)), [1, 0.75, 0.5, 0.25, 0]);
  const plan = confidencePlan(10, 4, 7);
  assert.equal(
    plan.map((b) => `${b.start}-${b.end}:${b.left}`),
    ['0-4:3', '0-4:2', '0-4:1', '4-8:2', '4-8:1', '8-10:2', '8-10:1'],
  );
  // LLaDA's split of 10 masked positions over 4 steps: 3, 3, 2, 2 (the remainder first).
  let r = 10;
  const ks = [4, 3, 2, 1].map((left) => {
    const k = commitCount(r, left);
    r -= k;
    return k;
  });
  assert.equal(ks, [3, 3, 2, 2]);
});

for (const name of ['masking', 'semdlm_plus', 'hybrid']) {
  test(`${name}: the Euler step draws SEDD's clipped, renormalised law from the reverse rates`, async () => {
    const s = await setup(name);
    const { V, S } = s.ref;
    const rows = randomRows(3, V, 5 + name.length);
    const states = name === 'semdlm_plus' ? [0, 2, 4] : [V, 1, 3];
    const R = 1500;
    const N = rows.length * R;
    const h = new StepHarness(s.rt, 1, N, 21);
    // An ordinary step, and a long one whose stay entry 1 - dt sum R is negative (clipped).
    for (const [t, dt] of [[0.6, 0.05], [0.95, 0.9]] as const) {
      const x = Uint32Array.from({ length: N }, (_, i) => states[i % rows.length]!);
      const got = await h.euler(tile(rows, N, V), x, t, t - dt, 3);
      rows.forEach((row, c) => {
        const law = eulerLaw(s.ref.reverseRates(softmax(row), states[c]!, t), states[c]!, dt);
        const counts = new Float64Array(S);
        for (let i = c; i < N; i += rows.length) counts[got[i]!]!++;
        const chi = chiSquare(counts, law);
        assert.ok(chi.p > ALPHA, `t = ${t}, dt = ${dt}, x_t = ${states[c]}: chi-square ${chi.stat.toFixed(1)} on ${chi.df} df (p = ${chi.p}); counts ${Array.from(counts)} law ${Array.from(law, (p) => p.toFixed(4))}`);
      });
    }
    h.destroy();
  });
}

test("remask: ReMDM's step (unmask with (alpha_s - (1 - sigma) alpha_t) / (1 - alpha_t), remask visible tokens with sigma) inside its window, MDLM's outside; clamped positions never move", async () => {
  const s = await setup('masking');
  const { V, S } = s.ref;
  const rows = randomRows(2, V, 77);
  const R = 2000;
  const L = 4;
  const N = R * L;
  // Position 0: [MASK] (logits row 0); 1: token 2; 2: [MASK] (row 1); 3: clamped to 4.
  const clamp = [-1, -1, -1, 4];
  const h = new StepHarness(s.rt, R, L, 5, clamp);
  const logits = new Float32Array(N * V);
  const x = new Uint32Array(N);
  for (let b = 0; b < R; b++) {
    x.set([V, 2, V, 4], b * L);
    logits.set(rows[0]!, (b * L) * V);
    logits.set(rows[1]!, (b * L + 2) * V);
  }
  const alpha = (t: number) => Math.exp(-Array.from(s.ref.lambdas(t)).reduce((a, b) => a + b, 0));
  const o = { eta: 0.3, t_on: 0.55, t_off: 0.05 };
  for (const [t, sNext] of [[0.4, 0.36], [0.8, 0.76]] as const) {
    const got = await h.remask(logits, x, t, sNext, 9, o);
    const sigma = remaskSigma(t, alpha(t), alpha(sNext), o.eta, o.t_on, o.t_off);
    const pu = remaskUnmask(alpha(t), alpha(sNext), sigma);
    if (t > o.t_on) assert.is(sigma, 0);
    else assert.ok(sigma > 0.05, `sigma ${sigma}`);
    for (const [pos, z, row] of [[0, V, 0], [1, 2, 0], [2, V, 1]] as const) {
      const law = remaskLaw(softmax(rows[row]!), z, pu, sigma);
      const counts = new Float64Array(S);
      for (let b = 0; b < R; b++) counts[got[b * L + pos]!]!++;
      if (sigma === 0 && z !== V) assert.is(counts[z], R, 'outside the window a visible token stays');
      else {
        const chi = chiSquare(counts, law);
        assert.ok(chi.p > ALPHA, `t = ${t}, position ${pos}: chi-square ${chi.stat.toFixed(1)} on ${chi.df} df (p = ${chi.p}); ${Array.from(counts)} vs ${Array.from(law, (p) => (p * R).toFixed(1))}`);
      }
    }
    for (let b = 0; b < R; b++) assert.is(got[b * L + 3], 4, 'the clamped position');
  }
  h.destroy();
});

test('confidence: the k = ceil(masked / steps left) most confident masked positions of the block take their candidate x0 ~ p_hat; nothing else moves', async () => {
  const s = await setup('masking');
  const { V } = s.ref;
  const L = 7;
  const B = 1500;
  const rows = randomRows(L, V, 91, 2);
  const h = new StepHarness(s.rt, B, L, 17);
  const logits = tile(rows, B * L, V);
  // Block [0, 5): positions 0, 1, 3, 4 masked, 2 visible; positions 5 and 6 masked, outside the block.
  const x = new Uint32Array(B * L);
  for (let b = 0; b < B; b++) x.set([V, V, 1, V, V, V, V], b * L);
  for (const left of [3, 1]) {
    const got = await h.confidence(logits, x, { block: 0, start: 0, end: 5, left }, 4 + left);
    const k = commitCount(4, left);
    for (let b = 0; b < B; b++) {
      const at = b * L;
      const conf = got.conf.subarray(at, at + L);
      const cand = got.cand.subarray(at, at + L);
      const eligible = Array.from({ length: L }, (_, i) => i < 5 && x[at + i] === V);
      const chosen = new Set(topConfident(conf, eligible, k));
      for (let i = 0; i < L; i++) {
        const want = chosen.has(i) ? cand[i]! : x[at + i]!;
        if (got.x[at + i] !== want) assert.unreachable(`sequence ${b}, position ${i}: ${got.x[at + i]} (committed ${[...chosen]}, conf ${Array.from(conf)})`);
        if (!eligible[i]) continue;
        const p = softmax(rows[i]!)[cand[i]!]!;
        if (Math.abs(conf[i]! - p) > 1e-5 * p + 1e-7) assert.unreachable(`conf ${conf[i]} vs p_hat ${p}`);
      }
    }
    // The candidates of a masked position of the block are draws of its p_hat (the others draw none).
    for (const i of [0, 1, 3, 4]) {
      const counts = new Float64Array(V);
      for (let b = 0; b < B; b++) counts[got.cand[b * L + i]!]!++;
      const chi = chiSquare(counts, softmax(rows[i]!));
      assert.ok(chi.p > ALPHA / 4, `candidates of position ${i}: p = ${chi.p}`);
    }
  }
  h.destroy();
});

test("self_correct: a pass replaces the free visible token whose candidate differs with the largest p_hat, marks fixed points done, and leaves done sequences alone", async () => {
  const s = await setup('hybrid');
  const { V } = s.ref;
  const L = 5;
  const B = 1200;
  const rows = randomRows(L, V, 123, 1.2);
  const clamp = [-1, -1, -1, -1, 0];
  const h = new StepHarness(s.rt, B, L, 33, clamp);
  const logits = tile(rows, B * L, V);
  const r = rng(4);
  const x = new Uint32Array(B * L);
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < L; i++) x[b * L + i] = Math.floor(r() * V);
    x[b * L + 1] = V; // a [MASK] is never corrected
    x[b * L + 4] = 0;
  }
  const done = Uint32Array.from({ length: B }, (_, b) => (b % 10 === 0 ? 1 : 0));
  const got = await h.correct(logits, x, 6, done);
  let fixed = 0;
  for (let b = 0; b < B; b++) {
    const at = b * L;
    const xs = x.subarray(at, at + L);
    const pick = done[b] ? -1 : correctionPick(xs, got.cand.subarray(at, at + L), got.conf.subarray(at, at + L), [true, true, true, true, false], V);
    for (let i = 0; i < L; i++) {
      const want = i === pick ? got.cand[at + i]! : xs[i]!;
      if (got.x[at + i] !== want) assert.unreachable(`sequence ${b} (done ${done[b]}), position ${i}: ${got.x[at + i]}, expected ${want} (pick ${pick})`);
    }
    assert.is(got.done[b], done[b] || pick < 0 ? 1 : 0, `done flag of sequence ${b}`);
    if (pick < 0 && !done[b]) fixed++;
  }
  assert.ok(fixed > 0 && fixed < B, `fixed points: ${fixed}`);
  for (let i = 0; i < L; i++) {
    const counts = new Float64Array(V);
    for (let b = 0; b < B; b++) counts[got.cand[b * L + i]!]!++;
    const chi = chiSquare(counts, softmax(rows[i]!));
    assert.ok(chi.p > ALPHA / L, `candidates of position ${i}: p = ${chi.p}`);
  }
  h.destroy();
});

for (const name of ['masking', 'semdlm_plus']) {
  test(`${name}: denoise argmax takes the mode of the plug-in posterior p(x_0 | x_t) over the real tokens`, async () => {
    const s = await setup(name);
    const { V } = s.ref;
    const N = 40;
    const rows = randomRows(N, V, 7 + name.length, 2.5);
    const r = rng(8);
    const x = Uint32Array.from({ length: N }, (_, i) => (i % 3 === 0 && s.spec.hasMask ? V : Math.floor(r() * V)));
    const h = new StepHarness(s.rt, 1, N, 2);
    const t = 0.3;
    const got = await h.denoise(tile(rows, N, V), x, t, 'argmax', 1);
    for (let i = 0; i < N; i++) {
      const post = s.ref.reverseStep(softmax(rows[i]!), x[i]!, t, 0).subarray(0, V);
      const best = Math.max(...post);
      assert.ok(got[i]! < V && post[got[i]!]! >= best * (1 - 1e-4), `position ${i}: ${got[i]} has ${post[got[i]!]}, the mode ${best}`);
    }
    h.destroy();
  });
}

test.run();
