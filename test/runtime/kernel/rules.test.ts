// Sampler rules compiled to WGSL against the reference's applyRules: the shipped SemDLM+ rules
// (semantic-frequency penalty + top-p) and a set using every built-in and every field.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { KernelSpec, Rule } from '../../../specs/types/kernel.ts';
import * as X from '../../../compiler/expr/build.ts';
import { applyRules } from '../../../reference/kernel/index.ts';
import { SHIPPED, gaussian, pair, rng, vocab } from './setup.ts';

const v = vocab(48, 12);

async function check(spec: KernelSpec, seed: number, opts: { ties?: boolean } = {}) {
  const P = await pair(spec, v);
  const r = rng(seed);
  const B = 3;
  const L = 10;
  const N = B * L;
  const logits = Float32Array.from({ length: N * v.V }, () => (opts.ties ? Math.round(2 * gaussian(r)) : 2 * gaussian(r)));
  const tokens = Uint32Array.from({ length: N }, () => (r() < 0.3 ? v.V : Math.floor(r() * v.V)));
  const t = [0.9, 0.5, 0.2];
  const s = [0.8, 0.4, 0.1];
  const got = await P.rt.applyRules(logits, tokens, { L, t, s, step: 7 });
  for (let i = 0; i < N; i++) {
    const b = Math.floor(i / L);
    const seq = Int32Array.from(tokens.subarray(b * L, (b + 1) * L));
    const want = applyRules(spec, Float64Array.from(logits.subarray(i * v.V, (i + 1) * v.V)), seq, { t: t[b]!, s: s[b]!, step: 7, graphs: { near: v.graph } });
    for (let y = 0; y < v.V; y++) {
      const g = got[i * v.V + y]!;
      const w = want[y]!;
      if (w === -Infinity || g === -Infinity) assert.is(g, w, `row ${i} token ${y}: ${g} vs ${w}`);
      else assert.ok(Math.abs(g - w) <= 1e-5 * Math.max(1, Math.abs(w)), `row ${i} token ${y}: ${g} vs ${w}`);
    }
  }
}

test('SemDLM+ rules (semantic-frequency penalty, top-p 0.95) equal the reference', async () => {
  await check(SHIPPED.semdlm_plus!(), 1);
});

function withRules(rules: Rule[], params: KernelSpec['params'] = []): KernelSpec {
  const spec = SHIPPED.semdlm_plus!();
  return { ...spec, params: [...spec.params, ...params], sampler: { ...spec.sampler, rules } };
}

test('every built-in rule and field equals the reference', async () => {
  const rules: Rule[] = [
    { kind: 'temperature', value: X.add(0.5, X.t) },
    { kind: 'repetition_penalty', value: X.num(1.3) },
    { kind: 'logit', op: '+=', expr: X.mul(0.5, X.call('log', X.add(X.field('prob'), 1e-3))) },
    { kind: 'logit', op: '-=', expr: { k: 'graph_agg', graph: 'near', agg: 'max', of: 'logit', index: X.v } },
    { kind: 'logit', op: '*=', expr: { k: 'if', cond: { k: 'binary', op: '>', a: X.field('count'), b: X.num(0) }, then: X.num(0.9), else: X.num(1) } },
    { kind: 'logit', op: '+=', expr: X.mul(X.param('gamma'), { k: 'graph_agg', graph: 'near', agg: 'mean', of: 'prob', index: X.v }) },
    { kind: 'min_p', value: X.num(0.01) },
    { kind: 'top_k', value: X.add(X.step, 10) },
    { kind: 'top_p', value: X.num(0.8) },
  ];
  await check(withRules(rules), 2);
});

test('top-k and top-p break ties by the smaller index', async () => {
  await check(withRules([{ kind: 'top_k', value: X.num(7) }]), 3, { ties: true });
  await check(withRules([{ kind: 'top_p', value: X.num(0.5) }]), 4, { ties: true });
  await check(withRules([{ kind: 'logit', op: '=', expr: X.num(0) }, { kind: 'top_p', value: X.num(0.3) }]), 5);
});

test('without subgroups (one lane per row) the rules give the same logits', async () => {
  process.env['DLMK_NO_SUBGROUPS'] = '1';
  try {
    await check(SHIPPED.semdlm_plus!(), 6);
    await check(withRules([{ kind: 'min_p', value: X.num(0.05) }, { kind: 'top_k', value: X.num(5) }, { kind: 'temperature', value: X.num(0.7) }]), 7, { ties: true });
  } finally {
    delete process.env['DLMK_NO_SUBGROUPS'];
  }
});

test.run();
