// Sparse hops of a one-hot start (docs/math.md §2.2, "one-hot starts"): the vector e_x^T A^n (or
// A^n e_x) of a column has at most D^n non-zeros (D the largest degree along the push direction),
// so while D^n is small against V its hops visit only the support instead of all V rows.
//
// Per column c of a chunk (column layout, compiler/wgsl/layout.ts) the support F_n is a list of
// rows, lists[(n * C + c) * R + i], i < counts[n * C + c]; flag[y * C + c] = n + 1 marks y as in F_n
// (flags only grow, so atomicMax tells the first marker, which appends y). Values are pulled, not
// pushed: X_n[y, c] = sum over the pull CSR of w * X_{n-1}[u, c], the same sum in the same order as
// the dense hop, so sparse and dense hops give the same numbers; X_{n-1} is zero outside F_{n-1}
// (its buffer is cleared at F_{n-3} before the hop writes it). Deterministic: list order depends
// on atomics, values do not.
import { dimsModule } from './dims.ts';
import { program, wgslModule, type WgslProgram } from './module.ts';

const NONE = 0xffffffff;

/** F_0 = {tok[colt[c].x]} (empty for a padding column or a token >= V). Bindings: 1 colt, 2 tok, 3 lists, 4 counts, 5 flag. Dims: V, C, R. */
export function sparseInitProgram(wg: number): WgslProgram {
  const code = /* wgsl */ `
@group(0) @binding(1) var<storage, read> colt: array<vec2<u32>>;
@group(0) @binding(2) var<storage, read> tok: array<u32>;
@group(0) @binding(3) var<storage, read_write> lists: array<u32>;
@group(0) @binding(4) var<storage, read_write> counts: array<u32>;
@group(0) @binding(5) var<storage, read_write> flag: array<u32>;

@compute @workgroup_size(${wg})
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  let c = g.x;
  if (c >= d.C) { return; }
  let q = colt[c].x;
  var x = d.V;
  if (q != ${NONE}u) { x = tok[q]; }
  if (x >= d.V) {
    counts[c] = 0u;
    return;
  }
  lists[c * d.R] = x;
  counts[c] = 1u;
  flag[x * d.C + c] = 1u;
}
`;
  return program('sparse_init', [wg], dimsModule, wgslModule('sparse_init_main', code));
}

/**
 * F_n from F_{n-1}: every row reachable in one step along the push CSR, each once.
 * Bindings: 1 push rowPtr, 2 push col, 3 lists, 4 counts (atomic), 5 flag (atomic). Dims: C, act
 * (active columns), n, R. Grid: x over list entries (64 lanes), y over columns.
 */
export function sparseExpandProgram(): WgslProgram {
  const code = /* wgsl */ `
@group(0) @binding(1) var<storage, read> rowPtr: array<u32>;
@group(0) @binding(2) var<storage, read> colIdx: array<u32>;
@group(0) @binding(3) var<storage, read_write> lists: array<u32>;
@group(0) @binding(4) var<storage, read_write> counts: array<atomic<u32>>;
@group(0) @binding(5) var<storage, read_write> flag: array<atomic<u32>>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  let i = g.x;
  let c = g.y;
  if (c >= d.act) { return; }
  let prev = (d.n - 1u) * d.C + c;
  if (i >= atomicLoad(&counts[prev])) { return; }
  let u = lists[prev * d.R + i];
  let cur = d.n * d.C + c;
  for (var j = rowPtr[u]; j < rowPtr[u + 1u]; j = j + 1u) {
    let y = colIdx[j];
    let old = atomicMax(&flag[y * d.C + c], d.n + 1u);
    if (old < d.n + 1u) {
      let k = atomicAdd(&counts[cur], 1u);
      lists[cur * d.R + k] = y;
    }
  }
}
`;
  return program('sparse_expand', [64], dimsModule, wgslModule('sparse_expand_main', code));
}

// One lane per entry i of column c's list F_n (n = d.n): lanes past the list's length return; y is the entry.
const LIST_ENTRY = /* wgsl */ `@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  let i = g.x;
  let c = g.y;
  if (c >= d.act) { return; }
  let cur = d.n * d.C + c;
  if (i >= counts[cur]) { return; }
  let y = lists[cur * d.R + i];`;

/**
 * X_n on F_n by pulling along the pull CSR from X_{n-1}, and Acc += hw[n, c] X_n there.
 * Bindings: 1 pull rowPtr, 2 pull col, 3 pull w, 4 hw, 5 lists, 6 counts, 7 X_{n-1}, 8 X_n, 9 Acc.
 * Dims: C, act, n, R.
 */
export function sparsePullProgram(): WgslProgram {
  const code = /* wgsl */ `
@group(0) @binding(1) var<storage, read> rowPtr: array<u32>;
@group(0) @binding(2) var<storage, read> colIdx: array<u32>;
@group(0) @binding(3) var<storage, read> wt: array<f32>;
@group(0) @binding(4) var<storage, read> hw: array<f32>;
@group(0) @binding(5) var<storage, read> lists: array<u32>;
@group(0) @binding(6) var<storage, read> counts: array<u32>;
@group(0) @binding(7) var<storage, read> X: array<f32>;
@group(0) @binding(8) var<storage, read_write> Y: array<f32>;
@group(0) @binding(9) var<storage, read_write> Acc: array<f32>;

${LIST_ENTRY}
  var s = 0.0;
  for (var j = rowPtr[y]; j < rowPtr[y + 1u]; j = j + 1u) { s = s + wt[j] * X[colIdx[j] * d.C + c]; }
  let o = y * d.C + c;
  Y[o] = s;
  Acc[o] = Acc[o] + hw[d.n * d.C + c] * s;
}
`;
  return program('sparse_pull', [64], dimsModule, wgslModule('sparse_pull_main', code));
}

/** Y[y, c] = 0 for y in F_n (n = d.n). Bindings: 1 lists, 2 counts, 3 Y. Dims: C, act, n, R. */
export function sparseClearProgram(): WgslProgram {
  const code = /* wgsl */ `
@group(0) @binding(1) var<storage, read> lists: array<u32>;
@group(0) @binding(2) var<storage, read> counts: array<u32>;
@group(0) @binding(3) var<storage, read_write> Y: array<f32>;

${LIST_ENTRY}
  Y[y * d.C + c] = 0.0;
}
`;
  return program('sparse_clear', [64], dimsModule, wgslModule('sparse_clear_main', code));
}

/** out[i] = 0 for i < d.act (vec4 elements). Bindings: 1 out. */
export function zeroProgram(wg: number): WgslProgram {
  const code = /* wgsl */ `
@group(0) @binding(1) var<storage, read_write> outv: array<vec4<f32>>;

@compute @workgroup_size(${wg})
fn main(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let i = g.x + g.y * nw.x * ${wg}u;
  if (i < d.act) { outv[i] = vec4<f32>(0.0); }
}
`;
  return program('zero', [wg], dimsModule, wgslModule('zero_main', code));
}
