// Sampler rules applied to one position's V logits, in the order written (kernel-contract.md,
// "Sampler rule semantics"; docs/math.md §4).
import type { KernelSpec, Rule } from '../../specs/types/kernel.ts';
import { evalExpr, num } from '../../compiler/expr/eval.ts';
import type { RuleEnv } from './types.ts';
import { softmax } from './elbo.ts';

/** Token order for top-k and top-p: larger key first, ties smaller index first. */
function order(key: Float64Array): number[] {
  const idx = Array.from(key, (_, i) => i);
  idx.sort((a, b) => (key[b]! > key[a]! ? 1 : key[b]! < key[a]! ? -1 : a - b));
  return idx;
}

export function applyRules(spec: KernelSpec, logits: Float64Array, seq: Int32Array, env: RuleEnv): Float64Array {
  const V = logits.length;
  const params = Object.fromEntries(spec.params.map((p) => [p.name, typeof p.value === 'boolean' ? p.value : num(p.value)]));
  const count = new Float64Array(V);
  for (const x of seq) if (x >= 0 && x < V) count[x]!++;
  let cur = Float64Array.from(logits);
  const scalar = (r: Extract<Rule, { value: unknown }>) => evalExpr(r.value, { t: env.t, s: env.s, step: env.step, params });
  for (const rule of spec.sampler.rules) {
    const prev = cur;
    cur = Float64Array.from(prev);
    if (rule.kind === 'logit') {
      const fields = { logit: prev, prob: softmax(prev), count };
      for (let v = 0; v < V; v++) {
        const x = evalExpr(rule.expr, { t: env.t, s: env.s, step: env.step, v, params, fields, graphs: env.graphs });
        const l = prev[v]!;
        cur[v] = rule.op === '=' ? x : rule.op === '+=' ? l + x : rule.op === '-=' ? l - x : rule.op === '*=' ? l * x : l / x;
      }
      continue;
    }
    const value = scalar(rule);
    switch (rule.kind) {
      case 'temperature':
        for (let v = 0; v < V; v++) cur[v] = prev[v]! / value;
        break;
      case 'top_k': {
        const K = Math.max(1, Math.floor(value));
        order(prev).slice(K).forEach((v) => (cur[v] = -Infinity));
        break;
      }
      case 'top_p': {
        const p = softmax(prev);
        const idx = order(p);
        let mass = 0;
        let keep = 0;
        while (keep < V) {
          mass += p[idx[keep]!]!;
          keep++;
          if (mass >= value) break;
        }
        idx.slice(keep).forEach((v) => (cur[v] = -Infinity));
        break;
      }
      case 'min_p': {
        const p = softmax(prev);
        let mx = 0;
        for (const x of p) mx = Math.max(mx, x);
        for (let v = 0; v < V; v++) if (p[v]! < value * mx) cur[v] = -Infinity;
        break;
      }
      case 'repetition_penalty':
        for (let v = 0; v < V; v++) if (count[v]! > 0) cur[v] = prev[v]! > 0 ? prev[v]! / value : prev[v]! * value;
        break;
    }
  }
  return cur;
}
