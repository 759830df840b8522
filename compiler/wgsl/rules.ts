// The sampler's rules (docs/math.md §4; semantics in kernel-contract.md) compiled from their
// expression trees into ONE kernel: a subgroup per position. Rules run in the order written on the
// position's logits, held in `outv`; a `logit[v] op= expr` rule first snapshots them in `prev` so
// that expr reads the values before the rule. Row statistics (max, sum of exp) are subgroup
// reductions. top-k and top-p find their threshold by a radix search over the logits'
// order-preserving u32 keys (8 passes of 4 bits; per-lane 16-bin histograms of counts or
// probability mass, summed over the subgroup), then keep the tied tokens with the smallest
// indices (an exclusive scan per round of tokens) - no sort.
import type { Expr, Rule } from '../../specs/types/kernel.ts';
import { dimsModule } from './dims.ts';
import { exprToWgsl, exprUses, type ExprTarget } from './expr.ts';
import { mathModule } from './math.ts';
import { program, wgslModule, type WgslProgram } from './module.ts';
import { subgroupModule } from './subgroup.ts';

export interface RulesOptions {
  rules: readonly Rule[];
  /** Parameter names in slot order (slot 0 of `prm` is +infinity, parameters from slot 1). */
  params: readonly string[];
  /** Graph names in binding order (their CSR rowPtr/col follow the fixed bindings). */
  graphs: readonly string[];
  W: number;
}

/** Graphs the rules aggregate over, in first-use order. */
export function ruleGraphs(rules: readonly Rule[]): string[] {
  const out: string[] = [];
  for (const r of rules) {
    const e = r.kind === 'logit' ? r.expr : r.value;
    for (const a of exprUses(e).aggs) {
      const g = a.split('/')[0]!;
      if (!out.includes(g)) out.push(g);
    }
  }
  return out;
}

/**
 * Bindings: 1 in (row-major logits, window at d.shift), 2 out (row-major, same rows, at d.nb),
 * 3 prev (scratch, C x V), 4 counts (u32 [B, V]), 5 ts (vec2 (t, s) per sequence), 6 prm, then
 * rowPtr and col of each graph. Dims: V, C = rows, n = L (rows per sequence), R = first sequence,
 * f0 = step.
 *
 * One subgroup per row (W = the adapter's subgroup size; W = 1 without subgroups): lane l owns the
 * tokens l, l + W, ...; reductions and the radix histograms are subgroupAdd / subgroupMax, the tie
 * ranks a subgroupExclusiveAdd per round of W tokens. Only logit rules (which read other tokens'
 * values before the rule) need a barrier, so CPU adapters compile the kernel quickly.
 */
export function rulesProgram(o: RulesOptions & { subgroups: boolean }): WgslProgram {
  const W = o.subgroups ? o.W : 1;
  const slot = (name: string) => {
    const i = o.params.indexOf(name);
    if (i < 0) throw new Error(`rule uses unknown parameter '${name}'`);
    return `prm[${i + 1}]`;
  };
  const graphBinds = o.graphs
    .map((g, i) => `@group(0) @binding(${7 + 2 * i}) var<storage, read> g${i}_rowPtr: array<u32>;\n@group(0) @binding(${8 + 2 * i}) var<storage, read> g${i}_col: array<u32>;`)
    .join('\n');
  const aggFns = new Map<string, string>();
  const target = (inRule: boolean): ExprTarget => ({
    variable: (n) => (n === 't' ? 'T.x' : n === 's' ? 'T.y' : n === 'step' ? 'd.f0' : 'f32(v)'),
    param: slot,
    infinity: 'prm[0]',
    field: (f, idx) => {
      if (!inRule) throw new Error(`'${f}[...]' is only available in a 'logit[v] op= expr' rule`);
      return `fld_${f}(${idx})`;
    },
    graphAgg: (g, agg, of, idx) => {
      if (!inRule) throw new Error(`'${g}.${agg}(${of})' is only available in a 'logit[v] op= expr' rule`);
      const gi = o.graphs.indexOf(g);
      const name = `agg_${gi}_${agg}_${of}`;
      if (!aggFns.has(name)) {
        const init = agg === 'max' ? '-prm[0]' : '0.0';
        const upd = agg === 'max' ? 'acc = max(acc, x);' : 'acc = acc + x;';
        const fin = agg === 'mean' ? 'if (hi > lo) { return acc / f32(hi - lo); } return 0.0;' : agg === 'max' ? 'if (hi > lo) { return acc; } return 0.0;' : 'return acc;';
        aggFns.set(
          name,
          `fn ${name}(fi: f32) -> f32 {
  let i = u32(fi);
  let lo = g${gi}_rowPtr[i];
  let hi = g${gi}_rowPtr[i + 1u];
  var acc = ${init};
  for (var j = lo; j < hi; j = j + 1u) { let x = fld_${of}(f32(g${gi}_col[j])); ${upd} }
  ${fin}
}`,
        );
      }
      return `${name}(${idx})`;
    },
  });
  const scalar = (e: Expr) => exprToWgsl(e, target(false));
  const body: string[] = [];
  let needSelect = false;
  o.rules.forEach((r, i) => {
    body.push(`  // rule ${i}: ${r.kind}`);
    if (r.kind === 'logit') {
      const uses = exprUses(r.expr);
      const expr = exprToWgsl(r.expr, target(true));
      if (uses.fields.has('prob') || [...uses.aggs].some((a) => a.endsWith('/prob'))) body.push('  row_stats(ob);');
      const op = r.op === '=' ? 'x' : `old ${r.op[0]} x`;
      body.push(`  for (var v = l; v < d.V; v = v + W) { prev[row * d.V + v] = outv[ob + v]; }
  storageBarrier();
  for (var v = l; v < d.V; v = v + W) {
    let old = prev[row * d.V + v];
    let x = ${expr};
    outv[ob + v] = ${op};
  }
  storageBarrier();`);
      return;
    }
    const val = scalar(r.value);
    switch (r.kind) {
      case 'temperature':
        body.push(`  { let T0 = ${val}; for (var v = l; v < d.V; v = v + W) { outv[ob + v] = outv[ob + v] / T0; } }`);
        break;
      case 'repetition_penalty':
        body.push(`  { let R0 = ${val};
    for (var v = l; v < d.V; v = v + W) {
      if (counts[seq * d.V + v] > 0u) { let x = outv[ob + v]; outv[ob + v] = select(x * R0, x / R0, x > 0.0); }
    } }`);
        break;
      case 'min_p':
        body.push(`  row_stats(ob);
  { let P0 = ${val};
    for (var v = l; v < d.V; v = v + W) { if (exp(outv[ob + v] - st_max) < P0) { outv[ob + v] = -prm[0]; } } }`);
        break;
      case 'top_k':
        needSelect = true;
        body.push(`  select_keep(ob, false, max(1.0, floor(${val})));`);
        break;
      case 'top_p':
        needSelect = true;
        body.push(`  row_stats(ob);\n  select_keep(ob, true, ${val});`);
        break;
    }
  });
  const code = /* wgsl */ `
@group(0) @binding(1) var<storage, read> inv: array<f32>;
@group(0) @binding(2) var<storage, read_write> outv: array<f32>;
@group(0) @binding(3) var<storage, read_write> prev: array<f32>;
@group(0) @binding(4) var<storage, read> counts: array<u32>;
@group(0) @binding(5) var<storage, read> ts: array<vec2<f32>>;
@group(0) @binding(6) var<storage, read> prm: array<f32>;
${graphBinds}

const W: u32 = ${W}u;
var<private> st_max: f32;
var<private> st_sum: f32;
var<private> cur_row: u32;
var<private> cur_seq: u32;
var<private> l: u32;

fn fld_logit(fi: f32) -> f32 {
  if (!(fi >= 0.0 && fi < f32(d.V))) { return prm[0] - prm[0]; }
  return prev[cur_row * d.V + u32(fi)];
}
fn fld_prob(fi: f32) -> f32 {
  if (!(fi >= 0.0 && fi < f32(d.V))) { return prm[0] - prm[0]; }
  return exp(prev[cur_row * d.V + u32(fi)] - st_max) / st_sum;
}
fn fld_count(fi: f32) -> f32 {
  if (!(fi >= 0.0 && fi < f32(d.V))) { return prm[0] - prm[0]; }
  return f32(counts[cur_seq * d.V + u32(fi)]);
}
${[...aggFns.values()].join('\n')}

// Max and sum of exp(l - max) of the current logits of the row.
fn row_stats(ob: u32) {
  var m = -prm[0];
  for (var v = l; v < d.V; v = v + W) { m = max(m, outv[ob + v]); }
  let mx = sg_max(m);
  var acc = vec2<f32>(0.0);
  for (var v = l; v < d.V; v = v + W) { acc = kahan_add(acc, exp(outv[ob + v] - mx)); }
  st_max = mx;
  st_sum = sg_add(acc.x - acc.y);
}
${needSelect ? SELECT : ''}

@compute @workgroup_size(${W})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32, @builtin(num_workgroups) nw: vec3<u32>) {
  let row = wid.x + wid.y * nw.x;
  if (row >= d.C) { return; }
  l = li;
  let seq = d.R + row / d.n;
  let T = ts[seq];
  let ob = d.nb + row * d.V;
  cur_row = row;
  cur_seq = seq;
  st_max = 0.0;
  st_sum = 1.0;
  for (var v = l; v < d.V; v = v + W) { outv[ob + v] = inv[d.shift + row * d.V + v]; }
${body.join('\n')}
}
`;
  return program(`rules${o.subgroups ? '_sg' : ''}`, [W], dimsModule, mathModule, subgroupModule(o.subgroups), wgslModule(`rules_main`, code));
}

// Keep the tokens ranked first by (logit descending, index ascending) until their count (mass: their
// probability mass) reaches goal; set the others to -inf. Radix search of the threshold key, 4 bits
// per pass from the top, histograms summed over the subgroup; then the tied tokens by index.
const SELECT = /* wgsl */ `
// Order-preserving key: larger float, larger key.
fn fkey(x: f32) -> u32 {
  let b = bitcast<u32>(x);
  if ((b & 0x80000000u) != 0u) { return ~b; }
  return b | 0x80000000u;
}

fn select_keep(ob: u32, mass: bool, goal: f32) {
  var prefix = 0u;
  var T = goal;
  for (var p = 0u; p < 8u; p = p + 1u) {
    let shift = 28u - 4u * p;
    var hmask = 0u;
    if (p > 0u) { hmask = ~((1u << (32u - 4u * p)) - 1u); }
    var bins: array<f32, 16>;
    for (var i = 0u; i < 16u; i = i + 1u) { bins[i] = 0.0; }
    for (var v = l; v < d.V; v = v + W) {
      let x = outv[ob + v];
      let k = fkey(x);
      if ((k & hmask) == prefix) {
        var w = 1.0;
        if (mass) { w = exp(x - st_max) / st_sum; }
        let dg = (k >> shift) & 15u;
        bins[dg] = bins[dg] + w;
      }
    }
    // Every lane sees the same totals and makes the same choice.
    var cum = 0.0;
    var chosen = 16u;
    var lowest = 16u;
    var before = 0.0;
    for (var ii = 0u; ii < 16u; ii = ii + 1u) {
      let i = 15u - ii;
      let t = sg_add(bins[i]);
      if (t > 0.0) { lowest = i; before = cum; }
      if (chosen == 16u && t > 0.0 && cum + t >= T) { chosen = i; T = T - cum; }
      cum = cum + t;
    }
    if (chosen == 16u) {
      // The goal exceeds what is left: keep everything down to the lowest key.
      chosen = lowest;
      T = T - before;
    }
    prefix = prefix | (chosen << shift);
  }
  // Ties at the threshold: keep the first j by index.
  var j = T;
  if (mass) {
    var xs = bitcast<f32>(prefix & 0x7fffffffu);
    if ((prefix & 0x80000000u) == 0u) { xs = bitcast<f32>(~prefix); }
    j = ceil(T / (exp(xs - st_max) / st_sum));
  }
  var rank = 0u;
  for (var base = 0u; base < d.V; base = base + W) {
    let v = base + l;
    var k = 0u;
    if (v < d.V) { k = fkey(outv[ob + v]); }
    let tie = select(0u, 1u, v < d.V && k == prefix);
    let r = f32(rank + sg_excl(tie));
    rank = rank + sg_addu(tie);
    if ((v < d.V && k < prefix) || (tie == 1u && r >= j)) { outv[ob + v] = -prm[0]; }
  }
}
`;

/** Per-sequence token counts: counts[seq * V + x] += 1 for every position whose token x < V. Bindings: 1 tokens, 2 counts (atomic). Dims: V, C = positions, n = L. */
export function countsProgram(wg: number): WgslProgram {
  const code = /* wgsl */ `
@group(0) @binding(1) var<storage, read> toks: array<u32>;
@group(0) @binding(2) var<storage, read_write> counts: array<atomic<u32>>;

@compute @workgroup_size(${wg})
fn main(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let i = g.x + g.y * nw.x * ${wg}u;
  if (i >= d.C) { return; }
  let x = toks[i];
  if (x < d.V) { atomicAdd(&counts[(i / d.n) * d.V + x], 1u); }
}
`;
  return program('counts', [wg], dimsModule, wgslModule('counts_main', code));
}
