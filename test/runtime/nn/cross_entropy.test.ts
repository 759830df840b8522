// Fused softmax cross-entropy (loss and gradient, weights, ignored rows, in place) against
// float64, on both reduction paths; the summed loss is deterministic.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Recorder, getGpu, setMaxBindingBytesForTests } from '../../../runtime/gpu/index.ts';
import { crossEntropy } from '../../../runtime/nn/ops/cross_entropy.ts';
import { sumAll } from '../../../runtime/nn/ops/reduce.ts';
import { setReductionPathForTests } from '../../../runtime/nn/wgsl.ts';
import * as ref from '../../../reference/nn/cross_entropy.ts';
import { assertClose, bitsEqual, randInts, randn, upload, zeros } from './helpers.ts';

async function run(N: number, V: number, seed: number, opts: { weights: boolean; inplace: boolean }) {
  const gpu = await getGpu();
  const rec = new Recorder(gpu);
  const zh = randn(N * V, seed, 3);
  zh[0] = 80; // a large logit: the max shift must hold
  const th = randInts(N, V, seed + 1);
  th[N - 1] = 7; // the ignore index below
  if (N > 2) th[1] = V + 3; // out of range: ignored too
  const wh = randn(N, seed + 2).map(Math.abs);
  const z = upload(gpu, zh, [N, V], { offset: 2 });
  const targets = upload(gpu, th, [N]);
  const weights = opts.weights ? upload(gpu, wh, [N], { offset: 1 }) : undefined;
  const loss = zeros(gpu, [N]);
  const dz = opts.inplace ? z : zeros(gpu, [N, V], 1);
  const total = zeros(gpu, [1]);
  crossEntropy(rec, { logits: z, targets, weights, loss, dlogits: dz, scale: 1 / N, ignoreIndex: 7 });
  sumAll(rec, loss, total, { scale: 1 / N });
  const o = { loss: new Float32Array(N), dz: new Float32Array(N * V), total: new Float32Array(1) };
  rec.read(loss, o.loss);
  rec.read(dz, o.dz);
  rec.read(total, o.total);
  await rec.submit();
  const want = ref.crossEntropy(zh, th, V, { weights: opts.weights ? wh : undefined, scale: 1 / N, ignore: 7 });
  return { o, want };
}

for (const path of ['subgroups', 'shared'] as const) {
  test(`cross-entropy matches float64 (${path}; loss rtol 1e-5, gradient atol 1e-6 / N)`, async () => {
    setReductionPathForTests(path);
    try {
      for (const [N, V, w, ip] of [[3, 5, false, false], [17, 100, true, false], [9, 1003, true, true]] as const) {
        const { o, want } = await run(N, V, N * V, { weights: w, inplace: ip });
        const what = `${path} N=${N} V=${V}${w ? ' weighted' : ''}${ip ? ' in place' : ''}`;
        assertClose(o.loss, want.loss, { rtol: 1e-5, atol: 1e-5, what: `loss ${what}` });
        assertClose(o.dz, want.dlogits, { rtol: 1e-4, atol: 1e-6 / N, what: `dlogits ${what}` });
        const sum = want.loss.reduce((a, b) => a + b, 0) / N;
        assertClose(o.total, [sum], { rtol: 1e-5, atol: 1e-6, what: `total ${what}` });
        assert.is(o.loss[N - 1], 0);
      }
    } finally {
      setReductionPathForTests(undefined);
    }
  });
}

test('cross-entropy: same bits twice; rows split over windows, same bits', async () => {
  const a = await run(40, 300, 5, { weights: true, inplace: false });
  const b = await run(40, 300, 5, { weights: true, inplace: false });
  assert.ok(bitsEqual(a.o.dz, b.o.dz) && bitsEqual(a.o.total, b.o.total));
  setMaxBindingBytesForTests(300 * 4 * 7);
  try {
    const c = await run(40, 300, 5, { weights: true, inplace: false });
    assert.ok(bitsEqual(a.o.dz, c.o.dz) && bitsEqual(a.o.loss, c.o.loss));
  } finally {
    setMaxBindingBytesForTests(undefined);
  }
});

test('sumAll over many chunks is deterministic and accurate', async () => {
  const gpu = await getGpu();
  const rec = new Recorder(gpu);
  const n = 100_003;
  const xh = randn(n, 77);
  const x = upload(gpu, xh, [n]);
  const outs = [new Float32Array(1), new Float32Array(1)];
  for (const o of outs) {
    const t = zeros(gpu, [1]);
    sumAll(rec, x, t);
    rec.read(t, o);
    await rec.submit();
  }
  let s = 0;
  for (const v of xh) s += v;
  assert.ok(bitsEqual(outs[0]!, outs[1]!));
  assert.ok(Math.abs(outs[0]![0]! - s) < 1e-3, `${outs[0]![0]} vs ${s}`);
});

test.run();
