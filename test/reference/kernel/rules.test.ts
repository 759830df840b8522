// Sampler rules (kernel-contract.md, "Sampler rule semantics"; docs/math.md §4) on hand-computed
// examples, including the SemDLM+ semantic-frequency penalty on a tiny graph.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as IR from '../../helpers/ir.ts';
import * as X from '../../../compiler/expr/build.ts';
import { applyRules } from '../../../reference/kernel/index.ts';
import type { KernelSpec, Rule } from '../../../specs/types/kernel.ts';
import type { SparseGraph } from '../../../runtime/kernel/tables/graph.ts';

const env = { t: 0.5, s: 0.25, step: 3 };
const withRules = (rules: Rule[], params: KernelSpec['params'] = []): KernelSpec => {
  const s = IR.masking();
  return { ...s, params, sampler: { ...s.sampler, rules } };
};
const rule = (kind: Exclude<Rule['kind'], 'logit'>, value: number): Rule => ({ kind, value: X.num(value) });
const close = (got: Float64Array, want: number[], tol = 1e-12) => {
  assert.is(got.length, want.length);
  want.forEach((w, i) => assert.ok(w === got[i] || Math.abs(w - got[i]!) < tol, `[${i}] = ${got[i]}, expected ${w}`));
};
const logsOf = (p: number[]) => Float64Array.from(p, Math.log);
const NONE = new Int32Array(0);

test('temperature divides the logits', () => {
  close(applyRules(withRules([rule('temperature', 2)]), Float64Array.of(2, -4, 0), NONE, env), [1, -2, 0]);
});

test('top_k keeps the K largest, ties to the smaller index', () => {
  const inf = -Infinity;
  close(applyRules(withRules([rule('top_k', 2)]), Float64Array.of(1, 3, 3, 0, 3), NONE, env), [inf, 3, 3, inf, inf]);
  close(applyRules(withRules([rule('top_k', 10)]), Float64Array.of(1, 2), NONE, env), [1, 2]);
});

test('top_p keeps the shortest prefix with mass >= P (ties to the smaller index, at least one)', () => {
  const l = logsOf([0.5, 0.2, 0.2, 0.1]);
  const inf = -Infinity;
  close(applyRules(withRules([rule('top_p', 0.65)]), l, NONE, env), [l[0]!, l[1]!, inf, inf]);
  close(applyRules(withRules([rule('top_p', 0.75)]), l, NONE, env), [l[0]!, l[1]!, l[2]!, inf]);
  close(applyRules(withRules([rule('top_p', 0.4)]), l, NONE, env), [l[0]!, inf, inf, inf]);
  // Tie between tokens 1 and 2 at the boundary: the smaller index stays.
  const t = logsOf([0.2, 0.3, 0.3, 0.2]);
  close(applyRules(withRules([rule('top_p', 0.5)]), t, NONE, env), [inf, t[1]!, t[2]!, inf]);
  close(applyRules(withRules([rule('top_p', 0.65)]), t, NONE, env), [t[0]!, t[1]!, t[2]!, inf]);
});

test('min_p keeps tokens with p >= P * max p', () => {
  const l = logsOf([0.5, 0.2, 0.2, 0.1]);
  close(applyRules(withRules([rule('min_p', 0.3)]), l, NONE, env), [l[0]!, l[1]!, l[2]!, -Infinity]);
});

test('repetition_penalty divides positive and multiplies negative logits of seen tokens; [MASK] counts nothing', () => {
  const seq = Int32Array.of(0, 1, 4, 4); // 4 = [MASK] for V = 4
  close(applyRules(withRules([rule('repetition_penalty', 2)]), Float64Array.of(2, -1, 3, 0.5), seq, env), [1, -2, 3, 0.5]);
});

// near: 0 -> {1, 2}, 1 -> {0}, 2 -> {3}, 3 -> {0, 1} (weights irrelevant: aggregates are unweighted).
const tiny: SparseGraph = { V: 4, rowPtr: Int32Array.of(0, 2, 3, 4, 6), col: Int32Array.of(1, 2, 0, 3, 0, 1), w: Float64Array.of(0.7, 0.3, 1, 1, 0.5, 0.5) };

test('SemDLM+ penalty logit[v] -= gamma (count[v] + beta near.sum(count)[v]) on a tiny graph, then top_p', () => {
  // seq 0 0 3 [MASK] 1: count = (2, 1, 0, 1); near.sum(count) = (1, 2, 1, 3);
  // penalty with gamma = beta = 0.5: (1.25, 1, 0.25, 1.25).
  const seq = Int32Array.of(0, 0, 3, 4, 1);
  const spec = IR.semdlmPlus(IR.loglinear(), { gamma: 0.5, beta: 0.5 });
  const zero = new Float64Array(4);
  close(applyRules(spec, zero, seq, { ...env, graphs: { near: tiny } }), [-1.25, -1, -0.25, -1.25]);
  // top_p 0.8 instead of 0.95: probs (0.1666, 0.2139, 0.4529, 0.1666): keep 2, 1, then 0 (tie with 3, smaller index).
  const p08 = { ...spec, sampler: { ...spec.sampler, rules: [spec.sampler.rules[0]!, rule('top_p', 0.8)] } };
  close(applyRules(p08, zero, seq, { ...env, graphs: { near: tiny } }), [-1.25, -1, -0.25, -Infinity]);
  // gamma from the parameter values in force.
  const strong = IR.semdlmPlus(IR.loglinear(), { gamma: 2, beta: 1 });
  close(applyRules({ ...strong, sampler: { ...strong.sampler, rules: [strong.sampler.rules[0]!] } }, zero, seq, { ...env, graphs: { near: tiny } }), [-6, -6, -2, -8]);
});

test('logit rules see the logits and probs from before the rule, t, s, step, mean and max aggregates, and every op', () => {
  const l = Float64Array.of(0, Math.log(3));
  const p = [0.25, 0.75];
  const g: SparseGraph = { V: 2, rowPtr: Int32Array.of(0, 1, 2), col: Int32Array.of(1, 0), w: Float64Array.of(1, 1) };
  const r = (op: '=' | '+=' | '-=' | '*=' | '/=', expr: ReturnType<typeof X.num>): Rule => ({ kind: 'logit', op, expr });
  // logit[v] = prob[v] + step * t - s
  close(applyRules(withRules([r('=', X.sub(X.add(X.field('prob'), X.mul(X.step, X.t)), X.s))]), l, NONE, env), [p[0]! + 1.25, p[1]! + 1.25]);
  // logit[v] *= near.mean(logit)[v] ; logit[v] /= 2 ; logit[v] += near.max(prob)[v]
  const mean: ReturnType<typeof X.num> = { k: 'graph_agg', graph: 'near', agg: 'mean', of: 'logit', index: X.v };
  const max: ReturnType<typeof X.num> = { k: 'graph_agg', graph: 'near', agg: 'max', of: 'prob', index: X.v };
  const out = applyRules(withRules([r('*=', mean), r('/=', X.num(2)), r('+=', max), r('-=', X.param('k'))], [{ name: 'k', type: 'real', default: 1, value: 1 }]), l, NONE, { ...env, graphs: { near: g } });
  // after *=: (0 * log 3, log 3 * 0) = (0, 0); /= 2: (0, 0); += max prob of the neighbour, with probs of (0, 0) = 0.5: (0.5, 0.5); -= 1.
  close(out, [-0.5, -0.5]);
});

test.run();
