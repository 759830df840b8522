// Randomised differential test of the whole GPU back end against the float64 reference: kernels
// drawn at random from the channel algebra (mask, reset(uniform), reset(unigram), jump; random
// shares; loglinear or corrupted-at-0 linear schedules; adaptive or fixed hops), and for each the
// rows, columns, ELBO (value, parts, gradient), reverse-step mixture, reverse rates, the prior and
// the KL to it at random positions.
// Fixed seed; tolerances as the per-quantity tests (1e-5 on probabilities, 1e-4 on ELBO terms).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { KernelSpec, Operator } from '../../../specs/types/kernel.ts';
import * as IR from '../../helpers/ir.ts';
import { drawFrom, gaussian, maxRelErr, pair, rng, vocab } from './setup.ts';

const v = vocab(24, 8);
const r = rng(2026);

function randomSpec(i: number): KernelSpec {
  const ops: Operator[] = [{ op: 'mask' }, { op: 'reset', dist: { kind: 'uniform' } }, { op: 'reset', dist: { kind: 'unigram' } }, { op: 'jump', graph: 'near' }];
  const chosen = ops.filter(() => r() < 0.55);
  if (!chosen.length) chosen.push(ops[Math.floor(r() * ops.length)]!);
  const w = chosen.map(() => 0.2 + r());
  const z = w.reduce((a, b) => a + b, 0);
  const schedule = r() < 0.5 ? IR.loglinear(10 ** (-1 - 2 * r())) : IR.linear(r() < 0.5 ? 0 : 0.3 * r(), 1 + 3 * r());
  const spec = IR.custom(`random_${i}`, schedule, chosen.map((op, k) => [op, w[k]! / z]));
  if (r() < 0.3) spec.hops = { mode: 'fixed', H: 1 + Math.floor(4 * r()) };
  return spec;
}

for (let i = 0; i < 16; i++) {
  const spec = randomSpec(i);
  const what = spec.channels.map((c) => (c.operator.op === 'reset' ? `reset(${c.operator.dist.kind === 'file' ? 'file' : c.operator.dist.kind})` : c.operator.op)).join(' + ');
  test(`random kernel ${i}: ${what}, ${spec.schedule.kind}${spec.hops.mode === 'fixed' ? `, hops ${spec.hops.H}` : ''}`, async () => {
    const P = await pair(spec, v);
    const N = 10;
    const ts = Array.from({ length: N }, () => 0.02 + 0.97 * r());
    const ss = ts.map((t) => t * r());
    const x0 = Array.from({ length: N }, () => Math.floor(r() * v.V));
    const xt = x0.map((x, i) => drawFrom(P.ref.row(ts[i]!, x), r()));
    const logits = Float32Array.from({ length: N * v.V }, () => 2 * gaussian(r));
    const rows = await P.rt.rows(x0, ts, { L: 1 });
    const cols = await P.rt.columns(xt, ts, { L: 1 });
    const el = await P.rt.elbo(logits, x0, xt, ts, { L: 1 });
    const mix = await P.rt.reverseMixture(logits, xt, ts, ss, { L: 1 });
    const rates = await P.rt.rates(logits, xt, ts, { L: 1 });
    const kl = await P.rt.priorKL(x0);
    const prior = await P.rt.prior();
    assert.ok(maxRelErr(prior, P.ref.prior(), 1e-9) < 1e-5, 'prior p_1');
    const st = P.rt.st;
    for (let i = 0; i < N; i++) {
      const at = `position ${i} (t = ${ts[i]}, s = ${ss[i]}, x0 = ${x0[i]}, x_t = ${xt[i]})`;
      assert.ok(maxRelErr(rows.subarray(i * P.rt.S, (i + 1) * P.rt.S), P.ref.row(ts[i]!, x0[i]!), 1e-7) < 1e-5, `row at ${at}`);
      assert.ok(maxRelErr(cols.subarray(i * v.V, (i + 1) * v.V), P.ref.column(ts[i]!, xt[i]!), 1e-7) < 1e-5, `column at ${at}`);
      const l = logits.subarray(i * v.V, (i + 1) * v.V);
      const ref = P.ref.elbo(Float64Array.from(l), x0[i]!, xt[i]!, ts[i]!);
      const scale = Math.max(Math.abs(ref.value), 1e-6);
      assert.ok(Math.abs(el.loss[i]! - ref.value) <= 1e-4 * scale, `ELBO ${el.loss[i]} vs ${ref.value} at ${at}`);
      [st.maskChannels, st.resetChannels, st.jumpChannels].forEach((cs, k) => {
        const want = cs.reduce((a, c) => a + ref.byChannel[c]!, 0);
        assert.ok(Math.abs(el.parts[3 * i + k]! - want) <= 1e-4 * scale, `part ${k} at ${at}`);
      });
      let gmax = 0;
      for (const g of ref.grad) gmax = Math.max(gmax, Math.abs(g));
      for (let y = 0; y < v.V; y++) {
        const g = el.grad[i * v.V + y]!;
        assert.ok(Math.abs(g - ref.grad[y]!) <= 1e-4 * Math.abs(ref.grad[y]!) + 1e-5 * gmax + 1e-9, `grad[${y}] ${g} vs ${ref.grad[y]} at ${at}`);
      }
      const mx = Math.max(...l);
      const e = Float64Array.from(l, (x) => Math.exp(x - mx));
      const zs = e.reduce((a, b) => a + b, 0);
      const rm = P.ref.reverseMixture(e.map((x) => x / zs), xt[i]!, ts[i]!, ss[i]!);
      assert.ok(maxRelErr(mix.weights.subarray(4 * i, 4 * i + 4), rm.weights, 1e-9) < 1e-5, `mixture weights ${Array.from(mix.weights.subarray(4 * i, 4 * i + 4))} vs ${Array.from(rm.weights)} at ${at}`);
      const rr = P.ref.reverseRates(e.map((x) => x / zs), xt[i]!, ts[i]!);
      let rmax = 0;
      for (const x of rr) rmax = Math.max(rmax, Math.abs(x));
      const got = rates.subarray(i * P.rt.S, (i + 1) * P.rt.S);
      for (let y = 0; y < P.rt.S; y++) assert.ok(Math.abs(got[y]! - rr[y]!) <= 1e-5 * Math.abs(rr[y]!) + 1e-6 * rmax, `rate to ${y}: ${got[y]} vs ${rr[y]} at ${at}`);
      const wantKl = P.ref.priorKL(x0[i]!);
      assert.ok(Math.abs(kl[i]! - wantKl) <= 1e-4 * Math.max(wantKl, 1e-6), `KL to the prior ${kl[i]} vs ${wantKl} at ${at}`);
    }
  });
}

test.run();
