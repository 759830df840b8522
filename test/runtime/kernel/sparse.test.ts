// Sparse hops of one-hot starts (compiler/wgsl/sparse.ts): on a vocabulary big enough for several
// of them (V = 512, k = 4: three forward, one backward), rows and columns equal the float64
// reference, and the ELBO (value and gradient) and the reverse-step mixture equal the runtime's
// own all-dense path (sparseHops: false) to float32 rounding.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SHIPPED, drawFrom, gaussian, maxRelErr, pair, rng, vocab, type Pair } from './setup.ts';
import { makeReferenceKernel } from '../../../reference/kernel/index.ts';
import { createKernelRuntime } from '../../../runtime/kernel/index.ts';
import { getGpu } from '../../../runtime/gpu/index.ts';

// This file compares the sparse path with the dense one: the switch that turns it off must not be set.
delete process.env['DLMK_SPARSE_HOPS'];

const v = vocab(512, 9, 8, 4);
const spec = SHIPPED.semdlm_plus!;

async function densePair(): Promise<Pair> {
  const gpu = await getGpu();
  const inputs = { V: v.V, graphs: { near: v.graph }, unigram: v.unigram };
  return { gpu, spec: spec(), vocab: v, ref: makeReferenceKernel(spec(), inputs), rt: await createKernelRuntime(gpu, spec(), { ...inputs, sparseHops: false }) };
}

test('sparse hops run: three forward and one backward at V = 512, k = 4; none when turned off', async () => {
  const P = await pair(spec(), v);
  assert.equal(P.rt.describe().hops.sparse, { forward: 3, backward: 1 });
  const D = await densePair();
  assert.equal(D.rt.describe().hops.sparse, { forward: 0, backward: 0 });
});

test('rows and columns with sparse first hops equal the reference (relative 1e-5)', async () => {
  const P = await pair(spec(), v);
  const r = rng(3);
  const N = 12;
  const x0 = Array.from({ length: N }, () => Math.floor(r() * v.V));
  const ts = Array.from({ length: N }, () => 0.3 + 0.7 * r());
  for (const H of [1, 2, 3, 6]) {
    const rows = await P.rt.rows(x0, ts, { L: 1, H });
    const cols = await P.rt.columns(x0, ts, { L: 1, H });
    for (let i = 0; i < N; i++) {
      const e = maxRelErr(rows.subarray(i * P.rt.S, (i + 1) * P.rt.S), P.ref.row(ts[i]!, x0[i]!, H), 1e-7);
      assert.ok(e < 1e-5, `row H=${H} x0=${x0[i]}: relative error ${e}`);
      const ec = maxRelErr(cols.subarray(i * v.V, (i + 1) * v.V), P.ref.column(ts[i]!, x0[i]!, H), 1e-7);
      assert.ok(ec < 1e-5, `column H=${H} xt=${x0[i]}: relative error ${ec}`);
    }
  }
});

test('ELBO and reverse mixture: sparse first hops equal the all-dense path', async () => {
  const S = await pair(spec(), v);
  const D = await densePair();
  const r = rng(11);
  const L = 8;
  const B = 3;
  const N = B * L;
  const ts = [0.95, 0.6, 0.2];
  const x0 = Array.from({ length: N }, () => Math.floor(r() * v.V));
  const xt = x0.map((x, i) => drawFrom(S.ref.row(ts[Math.floor(i / L)]!, x), r()));
  const logits = Float32Array.from({ length: N * v.V }, () => 2 * gaussian(r));
  const tPos = x0.map((_, i) => ts[Math.floor(i / L)]!);
  const a = await S.rt.elbo(logits, x0, xt, tPos);
  const b = await D.rt.elbo(logits, x0, xt, tPos);
  assert.ok(maxRelErr(a.loss, b.loss, 1e-6) < 1e-5, `loss: ${maxRelErr(a.loss, b.loss, 1e-6)}`);
  let gmax = 0;
  for (const g of b.grad) gmax = Math.max(gmax, Math.abs(g));
  for (let i = 0; i < b.grad.length; i++) assert.ok(Math.abs(a.grad[i]! - b.grad[i]!) <= 1e-5 * Math.abs(b.grad[i]!) + 1e-6 * gmax, `grad[${i}] ${a.grad[i]} vs ${b.grad[i]}`);
  const s = ts.map((t) => t - 0.15);
  const ma = await S.rt.reverseMixture(logits, xt, ts, s, { L });
  const mb = await D.rt.reverseMixture(logits, xt, ts, s, { L });
  assert.ok(maxRelErr(ma.weights, mb.weights, 1e-7) < 1e-5, 'weights');
  assert.ok(maxRelErr(ma.walk, mb.walk, 1e-7) < 1e-5, 'walk law');
  assert.ok(maxRelErr(ma.b, mb.b, 1e-7) < 1e-5, 'b_s law');
});

test.run();
