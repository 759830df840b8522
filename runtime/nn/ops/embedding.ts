// Embedding gather and its backward, a deterministic scatter-add.
//   forward:  out[n, :] = table[ids[n], :]            (ids >= V give a zero row)
//   backward: dtable[v, :] += sum over n with ids[n] = v of dout[n, :], in increasing n
// Float atomics would make the sum's order (and its bits) depend on scheduling, so the backward
// sorts the positions by id with a stable LSD radix sort (8-bit digits; per-block histograms
// counted with integer atomics, whose totals are exact; ranks inside a block by comparison) and
// then reduces each run of equal ids in position order, one workgroup per run.
import { runsOf, uniformLayout, type Recorder } from '../../gpu/index.ts';
import { expectDense, expectDtype, expectRank, expectShape, windowFor } from '../bind.ts';
import { dispatchOp } from '../dispatch.ts';
import { NnError } from '../errors.ts';
import { numel, tempTensor, type Tensor } from '../tensor.ts';
import { groups, WG_INDEX } from '../wgsl.ts';

const G_U = uniformLayout('EmbGU', { N: 'u32', D: 'u32', V: 'u32', v0: 'u32', nv: 'u32', oi: 'u32', ot: 'u32', oo: 'u32' });

const gatherSource = (decls: string) => /* wgsl */ `
${G_U.wgsl}
@group(0) @binding(0) var<uniform> u: EmbGU;
${decls}
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  ${WG_INDEX}
  for (var k = 0u; k < 4u; k = k + 1u) {
    let i = wg_index * 256u + k * 64u + lid;
    if (i >= u.N * u.D) { return; }
    let n = i / u.D;
    let d = i - n * u.D;
    let id = ids[u.oi + n];
    // Each vocabulary window's dispatch writes the rows whose id it holds; the first also writes
    // the zero rows of ids outside the vocabulary.
    if (id >= u.v0 && id < u.v0 + u.nv) {
      out[u.oo + i] = table[u.ot + (id - u.v0) * u.D + d];
    } else if (id >= u.V && u.v0 == 0u) {
      out[u.oo + i] = 0.0;
    }
  }
}`;

/** out[n, :] = table[ids[n], :]; ids is u32 [N] (any shape), table [V, D], out [...ids.shape, D]. */
export function embeddingForward(rec: Recorder, a: { ids: Tensor; table: Tensor; out: Tensor }): void {
  const op = 'embedding';
  expectDtype(op, 'ids', a.ids, 'u32');
  expectRank(op, 'table', a.table, 2);
  const [V, D] = a.table.shape as [number, number];
  const N = numel(a.ids.shape);
  expectShape(op, 'out', a.out, [...a.ids.shape, D]);
  for (const [f, t] of [['ids', a.ids], ['table', a.table], ['out', a.out]] as const) expectDense(op, f, t);
  if (N === 0) return;
  if (N * D * 4 > rec.gpu.limits.maxStorageBufferBindingSize) throw new NnError(op, 'out', 'over the binding limit; split the batch');
  const wi = windowFor(rec.gpu, op, 'ids', a.ids);
  const wo = windowFor(rec.gpu, op, 'out', a.out);
  for (const [v0, nv] of runsOf(rec.gpu, V, D)) {
    const wt = windowFor(rec.gpu, op, 'table', a.table, v0 * D, nv * D);
    dispatchOp(rec, {
      key: 'emb.gather',
      label: 'embedding.fwd',
      slots: [{ name: 'ids', type: 'u32' }, { name: 'table' }, { name: 'out', write: true }],
      fields: ['ids', 'table', 'out'],
      windows: [wi, wt, wo],
      uniform: { layout: G_U, values: { N, D, V, v0, nv, oi: wi.shift, ot: wt.shift, oo: wo.shift } },
      workgroups: groups(N * D, 256),
      make: gatherSource,
    });
  }
}

// ---- the stable radix sort of (id, position) pairs ----

const BLOCK = 256;
const S_U = uniformLayout('SortU', { N: 'u32', nblk: 'u32', shift: 'u32', ok: 'u32' });

// Pass 1: per-block histogram of the current digit, hist[digit * nblk + block].
const histSource = (decls: string) => /* wgsl */ `
${S_U.wgsl}
@group(0) @binding(0) var<uniform> u: SortU;
${decls}
var<workgroup> cnt: array<atomic<u32>, 256>;
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  ${WG_INDEX}
  let blk = wg_index;
  if (blk >= u.nblk) { return; }
  atomicStore(&cnt[lid], 0u);
  workgroupBarrier();
  let i = blk * 256u + lid;
  if (i < u.N) { atomicAdd(&cnt[(keys[u.ok + i] >> u.shift) & 255u], 1u); }
  workgroupBarrier();
  hist[lid * u.nblk + blk] = atomicLoad(&cnt[lid]);
}`;

// Pass 2: exclusive scan of hist in digit-major order (one workgroup; thread t owns digit t).
const scanSource = (decls: string) => /* wgsl */ `
${S_U.wgsl}
@group(0) @binding(0) var<uniform> u: SortU;
${decls}
var<workgroup> tot: array<u32, 256>;
@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) lid: u32) {
  var s = 0u;
  for (var b = 0u; b < u.nblk; b = b + 1u) { s = s + hist[lid * u.nblk + b]; }
  tot[lid] = s;
  workgroupBarrier();
  var base = 0u;
  for (var d = 0u; d < lid; d = d + 1u) { base = base + tot[d]; }
  for (var b = 0u; b < u.nblk; b = b + 1u) {
    let c = hist[lid * u.nblk + b];
    hist[lid * u.nblk + b] = base;
    base = base + c;
  }
}`;

// Pass 3: stable scatter: destination = offset of (digit, block) + rank among equal digits before it in the block.
const scatterSource = (decls: string) => /* wgsl */ `
${S_U.wgsl}
@group(0) @binding(0) var<uniform> u: SortU;
${decls}
var<workgroup> dig: array<u32, 256>;
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  ${WG_INDEX}
  let blk = wg_index;
  if (blk >= u.nblk) { return; }
  let i = blk * 256u + lid;
  var k = 0u;
  var dg = 256u;
  if (i < u.N) { k = keys[u.ok + i]; dg = (k >> u.shift) & 255u; }
  dig[lid] = dg;
  workgroupBarrier();
  if (i >= u.N) { return; }
  var rank = 0u;
  for (var j = 0u; j < lid; j = j + 1u) { rank = rank + select(0u, 1u, dig[j] == dg); }
  let dst = hist[dg * u.nblk + blk] + rank;
  keys_out[dst] = k;
  vals_out[dst] = vals[i];
}`;

const R_U = uniformLayout('SegU', { N: 'u32', D: 'u32', v0: 'u32', nv: 'u32', og: 'u32', ot: 'u32', scale: 'f32' });

// One workgroup per sorted index; the first of each run of equal ids sums the run in order.
const reduceSource = (decls: string) => /* wgsl */ `
${R_U.wgsl}
@group(0) @binding(0) var<uniform> u: SegU;
${decls}
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  ${WG_INDEX}
  let s = wg_index;
  if (s >= u.N) { return; }
  let id = skeys[s];
  if (id < u.v0 || id >= u.v0 + u.nv) { return; }
  if (s > 0u && skeys[s - 1u] == id) { return; }
  var e = s + 1u;
  while (e < u.N && skeys[e] == id) { e = e + 1u; }
  let row = u.ot + (id - u.v0) * u.D;
  for (var d = lid; d < u.D; d = d + 64u) {
    var acc = 0.0;
    for (var j = s; j < e; j = j + 1u) { acc = acc + dout[u.og + svals[j] * u.D + d]; }
    dtable[row + d] = dtable[row + d] + u.scale * acc;
  }
}`;

export interface EmbeddingBackwardArgs {
  ids: Tensor;
  /** [...ids.shape, D] */
  dout: Tensor;
  /** [V, D]: receives the gradient (added to it with `accumulate`, e.g. for tied weights). */
  dtable: Tensor;
  accumulate?: boolean;
  /** Multiplies the gradient (default 1). */
  scale?: number;
}

export function embeddingBackward(rec: Recorder, a: EmbeddingBackwardArgs): void {
  const op = 'embeddingBackward';
  expectDtype(op, 'ids', a.ids, 'u32');
  expectRank(op, 'dtable', a.dtable, 2);
  const [V, D] = a.dtable.shape as [number, number];
  const N = numel(a.ids.shape);
  expectShape(op, 'dout', a.dout, [...a.ids.shape, D]);
  for (const [f, t] of [['ids', a.ids], ['dout', a.dout], ['dtable', a.dtable]] as const) expectDense(op, f, t);
  if (!a.accumulate) {
    // Rows no id touches must be zero; the reduction below only adds.
    rec.clear(a.dtable.buffer, a.dtable.offset * 4, V * D * 4);
  }
  if (N === 0) return;
  const nblk = Math.ceil(N / BLOCK);
  if (nblk > 65535 * 16) throw new NnError(op, 'ids', `${N} positions are too many for one call`);
  const bits = Math.max(1, Math.ceil(Math.log2(Math.max(2, V))));
  const passes = Math.ceil(bits / 8);
  const keys = [tempTensor(rec, [N], 'u32', 'emb keys'), tempTensor(rec, [N], 'u32', 'emb keys')];
  const vals = [tempTensor(rec, [N], 'u32', 'emb vals'), tempTensor(rec, [N], 'u32', 'emb vals')];
  const hist = tempTensor(rec, [256 * nblk], 'u32', 'emb hist');
  const wids = windowFor(rec.gpu, op, 'ids', a.ids);
  const W = (t: Tensor) => windowFor(rec.gpu, op, 'sort buffer', t);
  // The first pass reads the ids themselves; the values start as positions.
  for (let p = 0; p < passes; p++) {
    const src = p === 0 ? wids : W(keys[p % 2]!);
    const u = { layout: S_U, values: { N, nblk, shift: 8 * p, ok: p === 0 ? wids.shift : 0 } };
    dispatchOp(rec, {
      key: 'emb.hist', label: 'embedding.sort', slots: [{ name: 'keys', type: 'u32' }, { name: 'hist', type: 'u32', write: true }],
      windows: [src, W(hist)], uniform: u, workgroups: groups(nblk, 1), make: histSource,
    });
    dispatchOp(rec, {
      key: 'emb.scan', label: 'embedding.sort', slots: [{ name: 'hist', type: 'u32', write: true }],
      windows: [W(hist)], uniform: u, workgroups: [1], make: scanSource,
    });
    const first = p === 0;
    dispatchOp(rec, {
      key: `emb.scatter${first ? '0' : ''}`,
      label: 'embedding.sort',
      slots: [
        { name: 'keys', type: 'u32' }, { name: 'vals', type: 'u32' }, { name: 'hist', type: 'u32' },
        { name: 'keys_out', type: 'u32', write: true }, { name: 'vals_out', type: 'u32', write: true },
      ],
      // The first pass has no value buffer yet: it binds the ids as values and uses positions.
      windows: [src, first ? wids : W(vals[p % 2]!), W(hist), W(keys[(p + 1) % 2]!), W(vals[(p + 1) % 2]!)],
      uniform: u,
      workgroups: groups(nblk, 1),
      make: first ? (d) => scatterSource(d).replace('vals_out[dst] = vals[i];', 'vals_out[dst] = i + 0u * vals[0];') : scatterSource,
    });
  }
  const sk = W(keys[passes % 2]!);
  const sv = W(vals[passes % 2]!);
  const wg = windowFor(rec.gpu, op, 'dout', a.dout);
  for (const [v0, nv] of runsOf(rec.gpu, V, D)) {
    const wt = windowFor(rec.gpu, op, 'dtable', a.dtable, v0 * D, nv * D);
    dispatchOp(rec, {
      key: 'emb.reduce',
      label: 'embedding.bwd',
      slots: [{ name: 'skeys', type: 'u32' }, { name: 'svals', type: 'u32' }, { name: 'dout' }, { name: 'dtable', write: true }],
      fields: ['sorted ids', 'sorted positions', 'dout', 'dtable'],
      windows: [sk, sv, wg, wt],
      uniform: { layout: R_U, values: { N, D, v0, nv, og: wg.shift, ot: wt.shift, scale: a.scale ?? 1 } },
      workgroups: groups(N, 1),
      make: reduceSource,
    });
  }
}
