// Embedding gather and the deterministic scatter-add: exact against an f32 emulation of the
// sum in position order, and against float64.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Recorder, getGpu, setMaxBindingBytesForTests } from '../../../runtime/gpu/index.ts';
import { embeddingBackward, embeddingForward } from '../../../runtime/nn/ops/embedding.ts';
import * as ref from '../../../reference/nn/embedding.ts';
import { assertClose, bitsEqual, randInts, randn, read, upload, zeros, rng } from './helpers.ts';

/** Token ids with a very frequent one (a [MASK]), a few out of the vocabulary. */
function tokens(N: number, V: number, seed: number): Uint32Array {
  const u = rng(seed);
  const ids = randInts(N, V, seed);
  for (let i = 0; i < N; i++) {
    const r = u();
    if (r < 0.4) ids[i] = V - 1;
    else if (r < 0.42) ids[i] = V + 7;
  }
  return ids;
}

async function run(N: number, V: number, D: number, seed: number, accumulate: boolean) {
  const gpu = await getGpu();
  const rec = new Recorder(gpu);
  const idh = tokens(N, V, seed);
  const tableh = randn(V * D, seed + 1);
  const douth = randn(N * D, seed + 2);
  const dt0 = randn(V * D, seed + 3);
  const ids = upload(gpu, idh, [N], { offset: 1 });
  const table = upload(gpu, tableh, [V, D]);
  const dout = upload(gpu, douth, [N, D], { offset: 2 });
  const out = zeros(gpu, [N, D]);
  const dtable = upload(gpu, dt0, [V, D], { offset: 5 });
  embeddingForward(rec, { ids, table, out });
  embeddingBackward(rec, { ids, dout, dtable, accumulate });
  const o = { out: new Float32Array(N * D), dt: new Float32Array(V * D) };
  rec.read(out, o.out);
  rec.read(dtable, o.dt);
  await rec.submit();
  return { idh, tableh, douth, dt0, o };
}

/** The GPU's sum: f32, in increasing position, then added to the old gradient. */
function f32Scatter(ids: Uint32Array, dout: Float32Array, V: number, D: number, init: Float32Array | undefined): Float32Array {
  const acc = new Float32Array(V * D);
  for (let n = 0; n < ids.length; n++) {
    const id = ids[n]!;
    if (id >= V) continue;
    for (let d = 0; d < D; d++) acc[id * D + d] = Math.fround(acc[id * D + d]! + dout[n * D + d]!);
  }
  return init ? acc.map((v, i) => Math.fround(init[i]! + v)) : acc;
}

test('gather is exact; scatter-add sums in position order (bit-exact) and matches float64', async () => {
  // V > 256 and V > 65536 need two and three radix passes; N not a multiple of the 256-block.
  for (const [N, V, D, acc] of [[7, 5, 3, false], [300, 40, 13, true], [1000, 700, 8, false], [600, 70000, 2, true]] as const) {
    const { idh, tableh, douth, dt0, o } = await run(N, V, D, N + V, acc);
    const what = `N=${N} V=${V} D=${D}`;
    assert.ok(bitsEqual(o.out, Float32Array.from(ref.embeddingForward(idh, tableh, V, D))), `gather ${what}`);
    assert.ok(bitsEqual(o.dt, f32Scatter(idh, douth, V, D, acc ? dt0 : undefined)), `scatter order ${what}`);
    const want = ref.embeddingBackward(idh, douth, V, D).map((v, i) => v + (acc ? dt0[i]! : 0));
    assertClose(o.dt, want, { rtol: 1e-4, atol: 1e-4, what: `scatter ${what}` });
  }
});

test('embedding: same seed, same bits; a table split over windows gives the same bits', async () => {
  const a = await run(100, 300, 16, 9, false);
  const b = await run(100, 300, 16, 9, false);
  assert.ok(bitsEqual(a.o.dt, b.o.dt) && bitsEqual(a.o.out, b.o.out));
  setMaxBindingBytesForTests(8000); // the [100, 16] activations fit; the [300, 16] table takes 3 windows
  try {
    const c = await run(100, 300, 16, 9, false);
    assert.ok(bitsEqual(a.o.dt, c.o.dt) && bitsEqual(a.o.out, c.o.out));
  } finally {
    setMaxBindingBytesForTests(undefined);
  }
});

test.run();
