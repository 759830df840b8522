// Work split into binding windows (runtime/gpu/window.ts): with the binding limit shrunk to a few
// rows, the row-layout ELBO and reverse step, the sampler rules (windows that start inside a
// sequence) and the column-layout chunks give the same numbers and draws as with the device's limit.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SHIPPED, gaussian, pair, rng, vocab, type Pair } from './setup.ts';
import { setMaxBindingBytesForTests } from '../../../runtime/gpu/index.ts';

const v = vocab(32, 5);
const B = 3;
const L = 10;
const N = B * L;

async function both<T>(name: string, run: (P: Pair) => Promise<T>): Promise<[T, T]> {
  const wide = await run(await pair(SHIPPED[name]!(), v));
  // 256 bytes of alignment slack plus room for 7 rows of 2V words (the rules' scratch) or 14 of V.
  setMaxBindingBytesForTests(256 + 7 * 2 * v.V * 4);
  try {
    return [wide, await run(await pair(SHIPPED[name]!(), v))];
  } finally {
    setMaxBindingBytesForTests(undefined);
  }
}

const r = rng(21);
const ts = [0.9, 0.4, 0.65];
const x0 = Array.from({ length: N }, () => Math.floor(r() * v.V));
const logits = Float32Array.from({ length: N * v.V }, () => 2 * gaussian(r));

for (const name of ['masking', 'uniform', 'semdlm_plus']) {
  test(`${name}: ELBO and reverse step are the same in small windows`, async () => {
    const [a, b] = await both(name, async (P) => {
      const xt = await P.rt.corrupt(x0, ts, { L, seed: 5 });
      const e = await P.rt.elbo(logits, x0, xt, ts, { L });
      const xs = await P.rt.reverseStep(logits, xt, ts, ts.map((t) => t - 0.1), { L, seed: 9 });
      return { xt: Array.from(xt), loss: Array.from(e.loss), grad: Array.from(e.grad), xs: Array.from(xs) };
    });
    assert.equal(b.xt, a.xt);
    assert.equal(b.loss, a.loss);
    assert.equal(b.grad, a.grad);
    assert.equal(b.xs, a.xs);
  });
}

test('semdlm_plus: sampler rules are the same in windows that start inside a sequence', async () => {
  const [a, b] = await both('semdlm_plus', async (P) => Array.from(await P.rt.applyRules(logits, x0, { L, t: ts, s: ts.map((t) => t - 0.1), step: 3 })));
  assert.equal(b, a);
});

test.run();
