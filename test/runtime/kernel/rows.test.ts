// Rows q_t(. | x0) and columns q_t(x_t | .) on the GPU against the float64 reference (relative 1e-5),
// with the spec's adaptive truncation and with a fixed H; the reported H and bound match too.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { KernelSpec } from '../../../specs/types/kernel.ts';
import { nonProportional } from '../../reference/helpers.ts';
import { SHIPPED, maxRelErr, pair, rng, vocab } from './setup.ts';

const v = vocab(40, 2);
const TOL = 1e-5;

const KERNELS: Array<[string, () => KernelSpec]> = [
  ...Object.entries(SHIPPED),
  ['non-proportional', () => nonProportional()],
  ['non-proportional, corrupted at 0', () => nonProportional(0.3)],
];

for (const [name, make] of KERNELS) {
  test(`${name}: rows and columns equal the reference`, async () => {
    const P = await pair(make(), v);
    const r = rng(name.length);
    const N = 24;
    const ts = Array.from({ length: N }, (_, i) => (i === 0 ? 1 : i === 1 ? 0.001 : r()));
    const x0 = Array.from({ length: N }, () => Math.floor(r() * v.V));
    const xt = Array.from({ length: N }, () => Math.floor(r() * P.rt.S));
    const rows = await P.rt.rows(x0, ts);
    const cols = await P.rt.columns(xt, ts);
    for (let i = 0; i < N; i++) {
      const want = P.ref.row(ts[i]!, x0[i]!);
      const e = maxRelErr(rows.subarray(i * P.rt.S, (i + 1) * P.rt.S), want, 1e-7);
      assert.ok(e < TOL, `row t=${ts[i]} x0=${x0[i]}: relative error ${e}`);
      const wc = P.ref.column(ts[i]!, xt[i]!);
      const ec = maxRelErr(cols.subarray(i * v.V, (i + 1) * v.V), wc, 1e-7);
      assert.ok(ec < TOL, `column t=${ts[i]} xt=${xt[i]}: relative error ${ec}`);
      const h = P.ref.hops(ts[i]!);
      const co = P.rt.transition(0, ts[i]!);
      assert.is(co.H, h.H);
      assert.ok(Math.abs(co.bound - h.bound) <= 1e-9 * h.bound + 1e-300, `bound ${co.bound} vs ${h.bound}`);
    }
    // A fixed H, as the reference's H argument.
    const fixed = await P.rt.rows(x0.slice(0, 4), ts.slice(0, 4), { H: 2 });
    for (let i = 0; i < 4; i++) {
      const e = maxRelErr(fixed.subarray(i * P.rt.S, (i + 1) * P.rt.S), P.ref.row(ts[i]!, x0[i]!, 2), 1e-7);
      assert.ok(e < TOL, `row with H = 2: relative error ${e}`);
    }
  });
}

test.run();
