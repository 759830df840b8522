// LayerNorm forward/backward against the float64 reference, on both reduction paths, at shapes
// that are not multiples of the subgroup size or of the gradient's row blocks.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Recorder, getGpu, setMaxBindingBytesForTests } from '../../../runtime/gpu/index.ts';
import { layerNormBackward, layerNormForward } from '../../../runtime/nn/ops/layernorm.ts';
import { setReductionPathForTests } from '../../../runtime/nn/wgsl.ts';
import * as ref from '../../../reference/nn/layernorm.ts';
import { assertClose, bitsEqual, maxAbs, randn, read, upload, zeros } from './helpers.ts';

async function run(rows: number, D: number, withGamma: boolean, seed: number) {
  const gpu = await getGpu();
  const rec = new Recorder(gpu);
  const xh = randn(rows * D, seed, 3);
  for (let i = 0; i < xh.length; i++) xh[i] = xh[i]! + 5; // an offset mean tests the centring
  const dyh = randn(rows * D, seed + 1);
  const gh = randn(D, seed + 2);
  const dxh0 = randn(rows * D, seed + 3);
  const x = upload(gpu, xh, [rows, D], { offset: 1 });
  const dy = upload(gpu, dyh, [rows, D]);
  const gamma = withGamma ? upload(gpu, gh, [D], { offset: 2 }) : undefined;
  const y = zeros(gpu, [rows, D], 3);
  const dx = upload(gpu, dxh0, [rows, D]);
  const dgamma = withGamma ? upload(gpu, new Float32Array(D).fill(0.5), [D]) : undefined;
  const saved = layerNormForward(rec, { x, y, gamma, eps: 1e-5 });
  layerNormBackward(rec, { x, dy, dx, saved, gamma, dgamma, accumulate: true, accumulateGamma: true });
  const out = { y: new Float32Array(rows * D), dx: new Float32Array(rows * D), dg: new Float32Array(D), mean: new Float32Array(rows) };
  rec.read(y, out.y);
  rec.read(dx, out.dx);
  rec.read(saved.mean, out.mean);
  if (dgamma) rec.read(dgamma, out.dg);
  await rec.submit();
  return { xh, dyh, gh, dxh0, out };
}

for (const path of ['subgroups', 'shared'] as const) {
  test(`LayerNorm matches float64 (${path} reductions; rtol 1e-4 of each tensor's scale)`, async () => {
    setReductionPathForTests(path);
    try {
      for (const [rows, D, g] of [[1, 7, true], [37, 100, true], [70, 64, false], [5, 130, true]] as const) {
        const { xh, dyh, gh, dxh0, out } = await run(rows, D, g, rows * 31 + D);
        const want = ref.layerNormForward(xh, D, g ? gh : undefined, 1e-5);
        const wb = ref.layerNormBackward(xh, dyh, D, g ? gh : undefined, 1e-5);
        const what = `${path} rows=${rows} D=${D}`;
        assertClose(out.y, want.y, { rtol: 1e-4, atol: 1e-5 * maxAbs(want.y), what: `y ${what}` });
        assertClose(out.mean, want.mean, { rtol: 1e-5, atol: 1e-6, what: `mean ${what}` });
        const dxw = wb.dx.map((v, i) => v + dxh0[i]!);
        assertClose(out.dx, dxw, { rtol: 1e-4, atol: 1e-4 * maxAbs(wb.dx), what: `dx ${what}` });
        if (g) assertClose(out.dg, wb.dgamma.map((v) => v + 0.5), { rtol: 1e-4, atol: 1e-4 * maxAbs(wb.dgamma), what: `dgamma ${what}` });
      }
    } finally {
      setReductionPathForTests(undefined);
    }
  });
}

test('LayerNorm: same inputs, same bits; split over small windows, same bits', async () => {
  const a = await run(100, 40, true, 5);
  const b = await run(100, 40, true, 5);
  assert.ok(bitsEqual(a.out.dx, b.out.dx) && bitsEqual(a.out.dg, b.out.dg) && bitsEqual(a.out.y, b.out.y));
  setMaxBindingBytesForTests(40 * 4 * 40); // 40 rows per window -> runs of 32 rows
  try {
    const c = await run(100, 40, true, 5);
    assert.ok(bitsEqual(a.out.dx, c.out.dx) && bitsEqual(a.out.dg, c.out.dg) && bitsEqual(a.out.y, c.out.y));
  } finally {
    setMaxBindingBytesForTests(undefined);
  }
});

test.run();
