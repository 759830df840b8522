// The reference dropout: keep rate and independence of neighbours (fixed seeds, 5 sigma: a false
// failure has probability below 1e-6), and that the backward is the forward's gradient.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { dropout, dropoutMask } from '../../../reference/nn/dropout.ts';

test('keep rate is 1 - p within 5 sigma, for several p, including the tails p = 0.01 and 0.99', () => {
  const n = 40_000;
  for (const p of [0.01, 0.1, 0.5, 0.99]) {
    const keep = dropoutMask(n, p, 12345, 3);
    const kept = keep.reduce((a, b) => a + b, 0);
    const sd = Math.sqrt(n * p * (1 - p));
    assert.ok(Math.abs(kept - n * (1 - p)) < 5 * sd, `p=${p}: kept ${kept} of ${n}`);
    // Adjacent decisions (same Philox block and across blocks) are independent: P(both kept) = (1-p)^2.
    let both = 0;
    for (let i = 0; i + 1 < n; i++) both += keep[i]! & keep[i + 1]!;
    const q = (1 - p) ** 2;
    assert.ok(Math.abs(both - (n - 1) * q) < 5 * Math.sqrt((n - 1) * q * (1 - q)) * 2, `p=${p}: pairs ${both}`);
  }
});

test('p = 0 keeps everything unscaled; seeds and streams change the mask', () => {
  const x = Float32Array.from({ length: 100 }, (_, i) => i - 50.5);
  assert.equal(Array.from(dropout(x, 0, 1)), Array.from(x));
  const a = dropoutMask(1000, 0.5, 1, 0);
  const b = dropoutMask(1000, 0.5, 2, 0);
  const c = dropoutMask(1000, 0.5, 1, 1);
  assert.ok(a.some((v, i) => v !== b[i]) && a.some((v, i) => v !== c[i]));
});

test('the backward (same mask applied to dy) is the gradient of sum(w * dropout(x))', () => {
  // dropout is linear in x: d/dx_i sum w * y = w_i * mask_i * scale, which is dropout(w).
  const x = Float32Array.from({ length: 64 }, (_, i) => Math.sin(i));
  const w = Float32Array.from({ length: 64 }, (_, i) => Math.cos(i));
  const g = dropout(w, 0.3, 9);
  const keep = dropoutMask(64, 0.3, 9);
  for (let i = 0; i < 64; i++) assert.is(g[i], keep[i] ? Math.fround(w[i]! * Math.fround(1 / 0.7)) : 0);
  void x;
});

test.run();
