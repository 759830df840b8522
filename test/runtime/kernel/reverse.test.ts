// The GPU reverse step: its mixture (weights over stay/walk/reset/unmask and the component laws)
// against the float64 reference (relative 1e-5); its draws against the reference's exact law
// (chi-square); and the tail: a token of probability 1e-6 among 50,000 is drawn at its rate.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { KernelSpec } from '../../../specs/types/kernel.ts';
import { nonProportional } from '../../reference/helpers.ts';
import { SHIPPED, drawFrom, gaussian, maxRelErr, pair, rng, vocab } from './setup.ts';
import { binomialInterval, chiSquare } from './stats.ts';
import { categoricalDrawsProgram, sumTree4 } from '../../../compiler/wgsl/categorical.ts';
import { KernelPipelines, KernelRecording, tableBuffer, emptyBuffer } from '../../../runtime/kernel/encoder.ts';
import { getGpu, readU32 } from '../../../runtime/gpu/index.ts';

const v = vocab(24, 6);
const TOL = 1e-5;

function softmax(l: ArrayLike<number>): Float64Array {
  const mx = Math.max(...Array.from(l));
  const p = Float64Array.from(l, (x) => Math.exp(x - mx));
  const z = p.reduce((a, b) => a + b, 0);
  return p.map((x) => x / z);
}

// The shipped kernels, and shares that change with t from t = 0 and from a corrupted start.
const MIXTURE: Array<[string, () => KernelSpec]> = [
  ...Object.entries(SHIPPED),
  ['non-proportional', () => nonProportional()],
  ['non-proportional, corrupted at 0', () => nonProportional(0.3)],
];
for (const [name, make] of MIXTURE) {
  test(`${name}: reverse-step mixture equals the reference`, async () => {
    const P = await pair(make(), v);
    const r = rng(40 + name.length);
    const N = 16;
    const ts = Array.from({ length: N }, () => 0.1 + 0.85 * r());
    const ss = ts.map((t, i) => (i === 0 ? 0 : t * (0.2 + 0.7 * r())));
    const x0 = Array.from({ length: N }, () => Math.floor(r() * v.V));
    const xt = x0.map((x, i) => drawFrom(P.ref.row(ts[i]!, x), r()));
    const logits = Float32Array.from({ length: N * v.V }, () => 2 * gaussian(r));
    const got = await P.rt.reverseMixture(logits, xt, ts, ss, { L: 1 });
    for (let i = 0; i < N; i++) {
      const ref = P.ref.reverseMixture(softmax(logits.subarray(i * v.V, (i + 1) * v.V)), xt[i]!, ts[i]!, ss[i]!);
      const ew = maxRelErr(got.weights.subarray(4 * i, 4 * i + 4), ref.weights, 1e-9);
      assert.ok(ew < TOL, `position ${i} (s = ${ss[i]}, t = ${ts[i]}): weights ${Array.from(got.weights.subarray(4 * i, 4 * i + 4))} vs ${Array.from(ref.weights)}`);
      if (ref.weights[1]! > 0) {
        const e = maxRelErr(got.walk.subarray(i * v.V, (i + 1) * v.V), ref.components[1]!.subarray(0, v.V), 1e-9);
        assert.ok(e < TOL, `walk component: relative error ${e}`);
      }
      const bk = ref.weights[2]! > 0 ? 2 : ref.weights[3]! > 0 ? 3 : -1;
      if (bk > 0) {
        const e = maxRelErr(got.b.subarray(i * v.V, (i + 1) * v.V), ref.components[bk]!.subarray(0, v.V), 1e-9);
        assert.ok(e < TOL, `b component: relative error ${e}`);
      }
    }
  });
}

// Chi-square of the sampler against reverseStep, level 1e-3 Bonferroni over kernels x cases.
const DRAWS = 12000;
const NCASES = Object.values(SHIPPED).reduce((a, m) => a + (m().hasMask ? 2 : 1), 0);
for (const [name, make] of Object.entries(SHIPPED)) {
  test(`${name}: reverse-step draws follow the exact law (chi-square)`, async () => {
    const P = await pair(make(), v);
    const r = rng(70 + name.length);
    const logits = Float32Array.from({ length: v.V }, () => 1.5 * gaussian(r));
    const cases: number[] = [drawFrom(P.ref.row(0.8, 5), r())];
    if (P.spec.hasMask) cases.push(v.V);
    for (const xt of cases) {
      const all = new Float32Array(DRAWS * v.V);
      for (let i = 0; i < DRAWS; i++) all.set(logits, i * v.V);
      const got = await P.rt.reverseStep(all, new Uint32Array(DRAWS).fill(xt), [0.8], [0.45], { L: DRAWS, seed: 5, stream: 1 });
      const counts = new Float64Array(P.rt.S);
      for (const x of got) counts[x]!++;
      const want = P.ref.reverseStep(softmax(logits), xt, 0.8, 0.45);
      const res = chiSquare(counts, want);
      assert.ok(res.p > 1e-3 / NCASES, `x_t = ${xt}: chi-square ${res.stat.toFixed(1)} on ${res.df} df, p = ${res.p.toExponential(2)}`);
    }
  });
}

// The reverse step's draw is a four-way descent with pick_component (smallest first, one 48-bit
// uniform per level); here the same rule descends a precomputed sum tree, so 1.2e7 draws take seconds.
test('the categorical draw keeps the tail: p = 1e-6 among 50,000 tokens is drawn at its rate', async () => {
  const gpu = await getGpu();
  const V = 50000;
  const rare = 31337;
  const p = new Float32Array(V);
  const r = rng(3);
  // Bulk: uneven weights over 49,999 tokens; the rare token gets exactly 1e-6 of the total.
  let bulk = 0;
  for (let i = 0; i < V; i++) if (i !== rare) bulk += p[i] = 0.5 + r();
  p[rare] = (1e-6 / (1 - 1e-6)) * bulk;
  const total = bulk + p[rare]!;
  const W = gpu.isSoftware ? 64 : 256;
  const prog = categoricalDrawsProgram(W);
  const pipes = new KernelPipelines(gpu);
  await pipes.prepare(prog);
  const groups = 256;
  const perLane = Math.ceil(1.2e7 / (W * groups));
  const n = W * groups * perLane;
  const counts = emptyBuffer(gpu, V * 4);
  const enc = gpu.device.createCommandEncoder();
  enc.clearBuffer(counts);
  const rec = new KernelRecording(gpu, pipes);
  const t4 = sumTree4(p);
  rec.dispatch(prog, { V, R: t4.levels.length / 2, n: perLane, seed0: 77, seed1: 0, stream: 9 }, [tableBuffer(gpu, t4.tree), tableBuffer(gpu, t4.levels), counts], [groups]);
  rec.encode(enc);
  gpu.device.queue.submit([enc.finish()]);
  const c = await readU32(gpu, counts, V);
  const [lo, hi] = binomialInterval(n, Number(p[rare]) / total, 1e-3);
  assert.ok(c[rare]! >= lo && c[rare]! <= hi, `rare token drawn ${c[rare]} times in ${n}, expected ${(n * 1e-6).toFixed(1)} (99.9% interval [${lo}, ${hi}])`);
  const probs = Float64Array.from(p, (x) => x / total);
  const res = chiSquare(c, probs);
  assert.ok(res.p > 1e-3, `bulk chi-square ${res.stat.toFixed(0)} on ${res.df} df, p = ${res.p}`);
});

test.run();
