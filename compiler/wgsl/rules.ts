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

/** A logit rule whose expression reads no logits or probabilities: the same for every position of a sequence. */
export function sequenceLevel(r: Rule): boolean {
  if (r.kind !== 'logit') return false;
  const u = exprUses(r.expr);
  return [...u.fields].every((f) => f === 'count') && [...u.aggs].every((a) => a.endsWith('/count'));
}

/** Expression targets of the rule kernels: parameters, fields, and one function per graph aggregate. */
function exprEnv(o: RulesOptions, graphBinding: number) {
  const slot = (name: string) => {
    const i = o.params.indexOf(name);
    if (i < 0) throw new Error(`rule uses unknown parameter '${name}'`);
    return `prm[${i + 1}]`;
  };
  const graphBinds = o.graphs
    .map(
      (g, i) =>
        `@group(0) @binding(${graphBinding + 2 * i}) var<storage, read> g${i}_rowPtr: array<u32>;\n@group(0) @binding(${graphBinding + 1 + 2 * i}) var<storage, read> g${i}_col: array<u32>;`,
    )
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
  return { target, aggFns, graphBinds };
}

const FLD_COUNT = /* wgsl */ `fn fld_count(fi: f32) -> f32 {
  if (!(fi >= 0.0 && fi < f32(d.V))) { return prm[0] - prm[0]; }
  return f32(counts[cur_seq * d.V + u32(fi)]);
}`;

/**
 * The sequence-level logit rules (sequenceLevel) evaluated once per sequence and token:
 * hoist[(h * d.act + seq) * V + v] for the h-th such rule. Bindings: 1 counts, 2 ts, 3 prm, 4 hoist,
 * then rowPtr and col of each graph. Dims: V, act = number of sequences. One lane per (v, seq).
 */
export function rulesSeqProgram(o: RulesOptions): WgslProgram {
  const env = exprEnv(o, 5);
  const hoisted = o.rules.filter(sequenceLevel) as Array<Extract<Rule, { kind: 'logit' }>>;
  // Compiling the expressions first fills env.aggFns with the aggregate functions they call.
  const stores = hoisted.map((r, h) => `  hoist[(${h}u * d.act + seq) * d.V + v] = ${exprToWgsl(r.expr, env.target(true))};`).join('\n');
  const code = /* wgsl */ `
@group(0) @binding(1) var<storage, read> counts: array<u32>;
@group(0) @binding(2) var<storage, read> ts: array<vec2<f32>>;
@group(0) @binding(3) var<storage, read> prm: array<f32>;
@group(0) @binding(4) var<storage, read_write> hoist: array<f32>;
${env.graphBinds}

var<private> cur_seq: u32;
${FLD_COUNT}
${[...env.aggFns.values()].join('\n')}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let v = gid.x;
  let seq = gid.y;
  if (v >= d.V || seq >= d.act) { return; }
  cur_seq = seq;
  let T = ts[seq];
${stores}
}
`;
  return program('rules_seq', [64], dimsModule, mathModule, wgslModule('rules_seq_main', code));
}

/**
 * Bindings: 1 in (row-major logits, window at d.shift), 2 out (row-major, same rows, at d.nb),
 * 3 prev (scratch, C x V), 4 counts (u32 [B, V]), 5 ts (vec2 (t, s) per sequence), 6 prm, 7 hoist
 * (rulesSeqProgram's output, when `hoist`), 8 cand (u32 scratch, C x 2V, for top-k and
 * top-p), then rowPtr and col of each graph (from binding 9). Dims: V, C = rows,
 * n = L (rows per sequence), R = the window's first row, act = number of sequences, f0 = step.
 *
 * One subgroup per row (W = the adapter's subgroup size; W = 1 without subgroups): lane l owns the
 * tokens l, l + W, ...; reductions and the radix histograms are subgroupAdd / subgroupMax, the tie
 * ranks a subgroupExclusiveAdd per round of W tokens. Only logit rules (which read other tokens'
 * values before the rule) need a barrier, so CPU adapters compile the kernel quickly.
 */
export function rulesProgram(o: RulesOptions & { subgroups: boolean; hoist: boolean }): WgslProgram {
  const W = o.subgroups ? o.W : 1;
  const { target, aggFns, graphBinds } = exprEnv(o, 9);
  const scalar = (e: Expr) => exprToWgsl(e, target(false));
  const body: string[] = [];
  let needSelect = false;
  let hoisted = 0;
  o.rules.forEach((r, i) => {
    body.push(`  // rule ${i}: ${r.kind}`);
    if (r.kind === 'logit' && o.hoist && sequenceLevel(r)) {
      // Evaluated per sequence by rulesSeqProgram; no snapshot needed (the expression reads no logits).
      const op = r.op === '=' ? 'x' : `outv[ob + v] ${r.op[0]} x`;
      body.push(`  for (var v = l; v < d.V; v = v + W) {
    let x = hoist[(${hoisted++}u * d.act + cur_seq) * d.V + v];
    outv[ob + v] = ${op};
  }`);
      return;
    }
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
@group(0) @binding(7) var<storage, read> hoist: array<f32>;
@group(0) @binding(8) var<storage, read_write> cand: array<u32>;
${graphBinds}

const W: u32 = ${W}u;
var<private> st_max: f32;
var<private> st_sum: f32;
var<private> cur_row: u32;
var<private> cur_seq: u32;
var<private> lane: u32;

fn fld_logit(fi: f32) -> f32 {
  if (!(fi >= 0.0 && fi < f32(d.V))) { return prm[0] - prm[0]; }
  return prev[cur_row * d.V + u32(fi)];
}
fn fld_prob(fi: f32) -> f32 {
  if (!(fi >= 0.0 && fi < f32(d.V))) { return prm[0] - prm[0]; }
  return exp(prev[cur_row * d.V + u32(fi)] - st_max) / st_sum;
}
${FLD_COUNT}
${[...aggFns.values()].join('\n')}

// Max and sum of exp(l - max) of the current logits of the row.
fn row_stats(ob: u32) {
  let l = lane;
  let eb = cur_row * d.V;
  var m = -prm[0];
  for (var v = l; v < d.V; v = v + W) { m = max(m, outv[ob + v]); }
  let mx = sg_max(m);
  var acc = vec2<f32>(0.0);
  for (var v = l; v < d.V; v = v + W) {
    let e = exp(outv[ob + v] - mx);
    prev[eb + v] = e;
    acc = kahan_add(acc, e);
  }
  st_max = mx;
  st_sum = sg_add(acc.x - acc.y);
}
${needSelect ? SELECT : ''}

@compute @workgroup_size(${W})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32, @builtin(num_workgroups) nw: vec3<u32>) {
  let row = wid.x + wid.y * nw.x;
  if (row >= d.C) { return; }
  lane = li;
  let l = li;
  let seq = (d.R + row) / d.n;
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
  let l = lane;
  let eb = cur_row * d.V;
  var prefix = 0u;
  var T = goal;
  // Candidate lists (token indices in increasing order), ping-pong in cand[row * 2V ...]: pass p >= 1
  // keeps the tokens that match the prefix of digits < p, so pass p + 1 reads only those.
  var nIn = d.V;
  var src = cur_row * 2u * d.V;
  var dst = src + d.V;
  for (var p = 0u; p < 8u; p = p + 1u) {
    let shift = 28u - 4u * p;
    var hmask = 0u;
    if (p > 0u) { hmask = ~((1u << (32u - 4u * p)) - 1u); }
    let direct = p <= 1u;
    let n = select(nIn, d.V, direct);
    // Histogram in four vec4 accumulators, branch-free (no dynamically indexed private array,
    // which a CPU adapter keeps in memory). With mass, prev holds exp(l - max) from row_stats.
    var h0 = vec4<f32>(0.0);
    var h1 = vec4<f32>(0.0);
    var h2 = vec4<f32>(0.0);
    var h3 = vec4<f32>(0.0);
    var cnt = 0u;
    for (var base = 0u; base < n; base = base + W) {
      let i = base + l;
      let ok = i < n;
      var v = i;
      if (!direct && ok) { v = cand[src + i]; }
      var k = 0u;
      var w = 0.0;
      if (ok) {
        k = fkey(outv[ob + v]);
        w = 1.0;
        if (mass) { w = prev[eb + v]; }
      }
      let hit = ok && (k & hmask) == prefix;
      w = select(0.0, w, hit);
      let dg = (k >> shift) & 15u;
      let e = vec4<f32>(vec4<u32>(0u, 1u, 2u, 3u) == vec4<u32>(dg & 3u)) * w;
      let q = dg >> 2u;
      h0 = h0 + select(vec4<f32>(0.0), e, q == 0u);
      h1 = h1 + select(vec4<f32>(0.0), e, q == 1u);
      h2 = h2 + select(vec4<f32>(0.0), e, q == 2u);
      h3 = h3 + select(vec4<f32>(0.0), e, q == 3u);
      if (p > 0u) {
        let f = select(0u, 1u, hit);
        let at = cnt + sg_excl(f);
        cnt = cnt + sg_addu(f);
        if (hit) { cand[dst + at] = v; }
      }
    }
    if (p > 0u) {
      nIn = cnt;
      let tmp = src;
      src = dst;
      dst = tmp;
    }
    var bins = array<f32, 16>(h0.x, h0.y, h0.z, h0.w, h1.x, h1.y, h1.z, h1.w, h2.x, h2.y, h2.z, h2.w, h3.x, h3.y, h3.z, h3.w);
    if (mass) { for (var i = 0u; i < 16u; i = i + 1u) { bins[i] = bins[i] / st_sum; } }
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
  // The ties are among the last candidate list (index order): rank them there.
  var rank = 0u;
  for (var base = 0u; base < nIn; base = base + W) {
    let i = base + l;
    let ok = i < nIn;
    var v = 0u;
    var k = 0u;
    if (ok) {
      v = cand[src + i];
      k = fkey(outv[ob + v]);
    }
    let tie = select(0u, 1u, ok && k == prefix);
    let r = f32(rank + sg_excl(tie));
    rank = rank + sg_addu(tie);
    if (tie == 1u && r >= j) { outv[ob + v] = -prm[0]; }
  }
  for (var v = l; v < d.V; v = v + W) {
    if (fkey(outv[ob + v]) < prefix) { outv[ob + v] = -prm[0]; }
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
