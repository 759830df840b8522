// RoPE (strided views, in place, inverse) against float64; dropout bit-exact against the
// TypeScript Philox reference, also split over windows.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BufferPool, Recorder, getGpu, setMaxBindingBytesForTests } from '../../../runtime/gpu/index.ts';
import { createRopeTable, ropeBackward, ropeForward } from '../../../runtime/nn/ops/rope.ts';
import { dropoutBackward, dropoutForward } from '../../../runtime/nn/ops/dropout.ts';
import { narrow, tensor } from '../../../runtime/nn/tensor.ts';
import * as ref from '../../../reference/nn/rope.ts';
import { dropout } from '../../../reference/nn/dropout.ts';
import { assertClose, bitsEqual, randn, read, upload, zeros } from './helpers.ts';

test('rope: q and k views of a fused [B, L, 3, H, dh] tensor, written as [B, H, L, dh]; inverse; in place', async () => {
  const gpu = await getGpu();
  const rec = new Recorder(gpu);
  const pool = new BufferPool(gpu);
  for (const [B, L, H, dh, pos0] of [[1, 3, 1, 2, 0], [2, 37, 3, 10, 0], [2, 130, 2, 32, 900]] as const) {
    const qkvh = randn(B * L * 3 * H * dh, L + dh);
    const qkv = upload(gpu, qkvh, [B, L, 3, H, dh]);
    const q = narrow(qkv, 2, 0, 1);
    const qv = tensor(q.buffer, [B, L, H, dh], { offset: q.offset, strides: [L * 3 * H * dh, 3 * H * dh, dh, 1] });
    const table = createRopeTable(pool, pos0 + L + 5, dh);
    // Output in [B, H, L, dh] memory order, seen as a [B, L, H, dh] view.
    const out = zeros(gpu, [B, H, L, dh]);
    const ov = tensor(out.buffer, [B, L, H, dh], { strides: [H * L * dh, dh, L * dh, 1] });
    ropeForward(rec, { x: qv, y: ov, table, pos0 });
    // The inverse, in place, brings it back.
    const back = zeros(gpu, [B, H, L, dh]);
    const bv = tensor(back.buffer, [B, L, H, dh], { strides: [H * L * dh, dh, L * dh, 1] });
    rec.copy(out, back, B * H * L * dh);
    ropeBackward(rec, { x: bv, y: bv, table, pos0 });
    await rec.submit({ wait: true });
    // Host copies in [B, L, H, dh] order.
    const qh = new Float32Array(B * L * H * dh);
    for (let b = 0; b < B; b++) for (let l = 0; l < L; l++) for (let h = 0; h < H; h++) for (let d = 0; d < dh; d++) {
      qh[((b * L + l) * H + h) * dh + d] = qkvh[(((b * L + l) * 3 + 0) * H + h) * dh + d]!;
    }
    const toBLHD = (x: Float32Array) => {
      const y = new Float32Array(x.length);
      for (let b = 0; b < B; b++) for (let h = 0; h < H; h++) for (let l = 0; l < L; l++) for (let d = 0; d < dh; d++) {
        y[((b * L + l) * H + h) * dh + d] = x[((b * H + h) * L + l) * dh + d]!;
      }
      return y;
    };
    const what = `B=${B} L=${L} H=${H} dh=${dh} pos0=${pos0}`;
    assertClose(toBLHD(await read(gpu, out)), ref.ropeForward(qh, B, L, H, dh, { pos0 }), { rtol: 1e-5, atol: 1e-6, what: `rope ${what}` });
    assertClose(toBLHD(await read(gpu, back)), qh, { rtol: 1e-5, atol: 1e-6, what: `rope inverse ${what}` });
  }
});

test('dropout forward and backward are bit-exact against the reference mask, also over split windows', async () => {
  const gpu = await getGpu();
  const rec = new Recorder(gpu);
  const n = 10_001;
  const xh = randn(n, 3);
  const x = upload(gpu, xh, [n], { offset: 1 });
  for (const [p, split] of [[0.1, false], [0.5, true], [0, false]] as const) {
    if (split) setMaxBindingBytesForTests(1024);
    try {
      const y = zeros(gpu, [n], 2);
      const dx = zeros(gpu, [n]);
      dropoutForward(rec, { x, y, p, seed: 2 ** 40 + 7, stream: 5 });
      dropoutBackward(rec, { x, y: dx, p, seed: 2 ** 40 + 7, stream: 5 });
      if (split) assert.ok(rec.dispatchCount > 20);
      const o = [new Float32Array(n), new Float32Array(n)];
      rec.read(y, o[0]!);
      rec.read(dx, o[1]!);
      await rec.submit();
      const want = dropout(xh, p, 2 ** 40 + 7, 5);
      assert.ok(bitsEqual(o[0]!, want), `forward p=${p}`);
      assert.ok(bitsEqual(o[1]!, want), `backward p=${p}`);
    } finally {
      setMaxBindingBytesForTests(undefined);
    }
  }
});

test.run();
