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


test('host tokens out of range are errors naming the position', async () => {
  const P = await pair(SHIPPED.everything!(), v);
  const logits = new Float32Array(2 * v.V);
  const expectError = async (f: () => Promise<unknown>, text: string) => {
    try {
      await f();
    } catch (e) {
      assert.ok((e as Error).message.includes(text), (e as Error).message);
      return;
    }
    assert.unreachable(`expected an error with "${text}"`);
  };
  await expectError(() => P.rt.corrupt([1, v.V], 0.5, { seed: 1 }), `x0[1] = ${v.V} is not a token (0..${v.V - 1})`);
  await expectError(() => P.rt.rows([-1, 2], 0.5), 'x0[0] = -1 is not a token');
  await expectError(() => P.rt.columns([1, v.V + 1], 0.5), `xt[1] = ${v.V + 1} is not a state (0..${v.V}; [MASK] is ${v.V})`);
  await expectError(() => P.rt.elbo(logits, [1, 2.5], [1, 2], 0.5), 'x0[1] = 2.5 is not a token');
  await expectError(() => P.rt.reverseStep(logits, [v.V + 3, 1], 0.5, 0.4, { seed: 1 }), `xt[0] = ${v.V + 3} is not a state`);
  await expectError(() => P.rt.applyRules(logits, [1, 99], { L: 2, t: 0.5 }), 'tokens[1] = 99 is not a state');
  await P.rt.applyRules(logits, [1, v.V], { L: 2, t: 0.5 }); // V: a position with no token yet
  // [MASK] (= V) is a state, not a clean token.
  await expectError(() => P.rt.priorKL([v.V]), `x0[0] = ${v.V} is not a token`);
});

test.run();
