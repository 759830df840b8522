// The sampler rules in force as a kernel runtime to run them. The kernel runtime applies the rules
// of the spec it was built with (encodeRules), so rules or rule params that differ from those get a
// second runtime over the same vocabulary, graphs and distributions, used for encodeRules only
// (cached per runtime). A param that the process itself reads cannot be changed here: that is a
// different kernel, with its own runtime.
import type { KernelSpec, Num, Param, Rule } from '../../specs/types/kernel.ts';
import { KernelRuntime, type CsrGraph } from '../kernel/index.ts';
import { paramsUsed } from '../../compiler/expr/index.ts';
import { SampleError } from './errors.ts';

const variants = new WeakMap<KernelRuntime, Map<string, KernelRuntime>>();

function num(x: Num): number {
  return x === 'inf' ? Infinity : x === '-inf' ? -Infinity : x;
}

function checkParam(p: Param, v: number | boolean): void {
  const bad = (what: string) => new SampleError(`param '${p.name}' ${what}`, `params.${p.name}`);
  if (p.type === 'bool') {
    if (typeof v !== 'boolean') throw bad(`is a bool, not ${String(v)}`);
    return;
  }
  if (typeof v !== 'number' || Number.isNaN(v)) throw bad(`must be a number, not ${String(v)}`);
  if (p.type === 'int' && !Number.isInteger(v)) throw bad(`must be a whole number, not ${v}`);
  const r = p.range;
  if (r) {
    const lo = num(r.lo);
    const hi = num(r.hi);
    if (!((r.loOpen ? v > lo : v >= lo) && (r.hiOpen ? v < hi : v <= hi))) {
      throw bad(`must be in ${r.loOpen ? '(' : '['}${r.lo}, ${r.hi}${r.hiOpen ? ')' : ']'}, not ${v}`);
    }
  }
}

/** The runtime whose encodeRules applies `rules` with `params` overriding the spec's values. */
export function rulesRuntime(rt: KernelRuntime, rules: readonly Rule[], params: Record<string, number | boolean>): KernelRuntime {
  const spec = rt.spec;
  const read = JSON.stringify(rules);
  const used = new Set<string>();
  for (const r of rules) for (const n of paramsUsed(r.kind === 'logit' ? r.expr : r.value)) used.add(n);
  for (const [name, v] of Object.entries(params)) {
    const p = spec.params.find((q) => q.name === name);
    if (!p) throw new SampleError(`kernel '${spec.name}' has no param '${name}'`, `params.${name}`);
    if (!used.has(name)) {
      throw new SampleError(
        `param '${name}' is not read by the sampler's rules: it changes the process itself, so compile the kernel with it (--set ${name}=${String(v)}) and build its runtime`,
        `params.${name}`,
      );
    }
    checkParam(p, v);
  }
  const same = read === JSON.stringify(spec.sampler.rules) && Object.entries(params).every(([k, v]) => spec.params.find((q) => q.name === k)!.value === v);
  if (same) return rt;
  const key = JSON.stringify([rules, Object.entries(params).sort()]);
  let byKey = variants.get(rt);
  if (!byKey) variants.set(rt, (byKey = new Map()));
  const hit = byKey.get(key);
  if (hit) return hit;
  const variant = structuredClone(spec) as KernelSpec;
  variant.sampler = { ...variant.sampler, rules: structuredClone(rules) as Rule[] };
  for (const p of variant.params) if (p.name in params) p.value = params[p.name]!;
  const graphs: Record<string, CsrGraph> = {};
  for (const [name, g] of Object.entries(rt.graphs)) graphs[name] = g.host;
  let unigram: Float64Array | undefined;
  const dists: Record<string, Float64Array> = {};
  rt.st.resets.forEach((g, i) => {
    if (g.dist.kind === 'unigram') unigram = rt.resetDists[i];
    else if (g.dist.kind === 'file') dists[g.dist.file] = rt.resetDists[i]!;
  });
  const out = new KernelRuntime(rt.gpu, variant, rt.V, { V: rt.V, graphs, unigram, dists, rates: rt.co.rates });
  byKey.set(key, out);
  return out;
}
