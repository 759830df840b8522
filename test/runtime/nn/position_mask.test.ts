// The position mask of losses and gradients against float64: in place and into separate outputs,
// fractional factors, inf/NaN in padded rows become exactly 0, rows larger than a binding window
// and many rows per window (same bits as one window), and the binding errors.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Recorder, getGpu, setMaxBindingBytesForTests } from '../../../runtime/gpu/index.ts';
import { NnError } from '../../../runtime/nn/errors.ts';
import { positionMask } from '../../../runtime/nn/ops/position_mask.ts';
import { tensor } from '../../../runtime/nn/tensor.ts';
import * as ref from '../../../reference/nn/position_mask.ts';
import { assertClose, bitsEqual, randn, upload, zeros } from './helpers.ts';

function maskOf(N: number): Float32Array {
  return Float32Array.from({ length: N }, (_, n) => (n % 3 === 1 ? 0 : n % 5 === 2 ? 0.5 : 1));
}

async function run(N: number, V: number, inplace: boolean) {
  const gpu = await getGpu();
  const rec = new Recorder(gpu);
  const mh = maskOf(N);
  const lh = randn(N, N + V, 2);
  const gh = randn(N * V, N * V + 1);
  lh[1] = Infinity; // padded rows may hold garbage
  gh[V + 2] = NaN;
  gh[V] = -Infinity;
  const mask = upload(gpu, mh, [N], { offset: 1 });
  const loss = upload(gpu, lh, [N], { offset: 2 });
  const grad = upload(gpu, gh, [N, V], { offset: 3 });
  const lossOut = inplace ? loss : zeros(gpu, [N], 1);
  const gradOut = inplace ? grad : zeros(gpu, [N, V], 2);
  positionMask(rec, { mask, loss, grad, ...(inplace ? {} : { lossOut, gradOut }) });
  const o = { loss: new Float32Array(N), grad: new Float32Array(N * V) };
  rec.read(lossOut, o.loss);
  rec.read(gradOut, o.grad);
  await rec.submit();
  for (const t of new Set([mask, loss, grad, lossOut, gradOut])) t.buffer.destroy();
  return { o, want: { loss: ref.positionMask(lh, mh, 1), grad: ref.positionMask(gh, mh, V) } };
}

test('position mask matches float64 (exact: one multiply), in place and separate; zero factors give 0 over inf and NaN', async () => {
  for (const [N, V, inplace] of [[7, 5, true], [7, 5, false], [9, 1003, true], [4, 50257, false]] as const) {
    const { o, want } = await run(N, V, inplace);
    const what = `N=${N} V=${V}${inplace ? ' in place' : ''}`;
    assertClose(o.loss, want.loss, { rtol: 0, atol: 0, what: `loss ${what}` });
    assertClose(o.grad, want.grad, { rtol: 0, atol: 0, what: `grad ${what}` });
    assert.ok(o.grad.subarray(V, 2 * V).every((x) => Object.is(x, 0) || Object.is(x, -0)), `${what}: padded row 1 is 0`);
  }
});

test('position mask: rows over several binding windows and many rows per window, same bits as one window', async () => {
  const a = await run(9, 1003, false);
  const b = await run(40, 5, true);
  setMaxBindingBytesForTests(4096); // 1020 elements per run: a row of 1003 spans two runs; 204 rows of 5 per run
  try {
    const c = await run(9, 1003, false);
    const d = await run(40, 5, true);
    assert.ok(bitsEqual(a.o.grad, c.o.grad) && bitsEqual(a.o.loss, c.o.loss), 'V 1003');
    assert.ok(bitsEqual(b.o.grad, d.o.grad) && bitsEqual(b.o.loss, d.o.loss), 'V 5');
    assertClose(c.o.grad, c.want.grad, { rtol: 0, atol: 0, what: 'split V 1003' });
  } finally {
    setMaxBindingBytesForTests(undefined);
  }
});

test('position mask refuses overlapping outputs, wrong sizes and nothing to do', async () => {
  const gpu = await getGpu();
  const rec = new Recorder(gpu);
  const refuses = (f: () => unknown, field: string, re: RegExp) => {
    try {
      f();
    } catch (err) {
      assert.instance(err, NnError, String(err));
      assert.is((err as NnError).field, field);
      assert.match((err as NnError).message, re);
      return;
    }
    assert.unreachable('accepted');
  };
  const mask = upload(gpu, maskOf(4), [4]);
  const grad = zeros(gpu, [4, 100]);
  refuses(() => positionMask(rec, { mask, grad: tensor(grad.buffer, [3, 99]) }), 'grad', /expected 4 rows/);
  const over = tensor(grad.buffer, [2, 100], { offset: 100 });
  refuses(() => positionMask(rec, { mask: tensor(mask.buffer, [2]), grad: tensor(grad.buffer, [2, 100]), gradOut: over }), 'gradOut', /overlaps/);
  refuses(() => positionMask(rec, { mask, loss: zeros(gpu, [5]) }), 'loss', /expected 4 elements/);
  refuses(() => positionMask(rec, { mask }), 'loss', /nothing to mask/);
  refuses(() => positionMask(rec, { mask: upload(gpu, new Uint32Array(4), [4]), grad }), 'mask', /expected dtype f32/);
  rec.abandon();
});

test.run();
