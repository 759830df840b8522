// Shader-building helpers shared by the ops: the reduction target of the adapter, the row
// reductions, and a memo so that a program's text is generated once per key.
//
// Reductions run one row per workgroup. Where the adapter has subgroups of one fixed size (lavapipe:
// 8, from the adapter's info), the workgroup IS one subgroup and rows reduce with subgroupAdd /
// subgroupMax (PERF-NOTES: 3-4x a shared-memory tree there); elsewhere a 64-lane workgroup reduces
// through workgroup memory. Both orders are fixed, so results are deterministic.
import type { Gpu, ProgramSource } from '../gpu/index.ts';

export interface Target {
  /** Row reductions use subgroup operations. */
  readonly subgroups: boolean;
  /** Invocations per row (= the workgroup size of row kernels). */
  readonly lanes: number;
  /** Goes into program keys. */
  readonly tag: string;
}

let forced: 'subgroups' | 'shared' | undefined;

/** Tests run both reduction paths on one adapter; undefined restores the automatic choice. */
export function setReductionPathForTests(path: 'subgroups' | 'shared' | undefined): void {
  forced = path;
}

export function targetOf(gpu: Gpu): Target {
  const env = process.env['DLMK_SUBGROUPS'];
  const fixed = gpu.hasSubgroups && gpu.subgroupMinSize > 0 && gpu.subgroupMinSize === gpu.subgroupMaxSize;
  const want = forced ?? (env === '0' ? 'shared' : 'subgroups');
  if (want === 'subgroups' && fixed) {
    const lanes = gpu.subgroupMinSize;
    return { subgroups: true, lanes, tag: `sg${lanes}` };
  }
  return { subgroups: false, lanes: 64, tag: 'wg64' };
}

/** The module header the target needs (`enable subgroups;` must come first). */
export function header(t: Target): string {
  return t.subgroups ? 'enable subgroups;\n' : '';
}

/**
 * red_sum(x, lane) and red_max(x, lane): the sum / max of x over the workgroup, returned to
 * every lane. Call them in uniform control flow (every lane, same number of times).
 */
export function reductions(t: Target): string {
  if (t.subgroups) {
    return /* wgsl */ `
fn red_sum(x: f32, lane: u32) -> f32 { return subgroupAdd(x); }
fn red_max(x: f32, lane: u32) -> f32 { return subgroupMax(x); }
`;
  }
  const half = t.lanes / 2;
  const tree = (op: string) => /* wgsl */ `
  red_buf[lane] = x;
  workgroupBarrier();
  for (var s = ${half}u; s > 0u; s = s >> 1u) {
    if (lane < s) { red_buf[lane] = ${op}; }
    workgroupBarrier();
  }
  let r = red_buf[0];
  workgroupBarrier();
  return r;`;
  return /* wgsl */ `
var<workgroup> red_buf: array<f32, ${t.lanes}>;
fn red_sum(x: f32, lane: u32) -> f32 {${tree('red_buf[lane] + red_buf[lane + s]')}
}
fn red_max(x: f32, lane: u32) -> f32 {${tree('max(red_buf[lane], red_buf[lane + s])')}
}
`;
}

const memo = new Map<string, ProgramSource>();

/** The program for `key`, generating its text only the first time. */
export function program(key: string, make: () => string): ProgramSource {
  let p = memo.get(key);
  if (!p) memo.set(key, (p = { key, code: make() }));
  return p;
}

/** The index of a workgroup in a (possibly 2-D, see gpu `grid`) dispatch. */
export const WG_INDEX = 'let wg_index = wid.x + wid.y * nwg.x;';

/**
 * A kernel whose workgroup (t.lanes lanes) shares one item: the header, the uniform block `U` as `u`
 * at binding 0, `decls`, the lane reductions, and `main` with `lane` and `wg_index` (the
 * workgroup's index in a possibly 2-D grid) in scope before `body`.
 */
export function laneKernel(t: Target, U: { name: string; wgsl: string }, decls: string, body: string): string {
  return /* wgsl */ `${header(t)}
${U.wgsl}
@group(0) @binding(0) var<uniform> u: ${U.name};
${decls}
${reductions(t)}
@compute @workgroup_size(${t.lanes})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lane: u32) {
  ${WG_INDEX}
${body}
}`;
}

/** Workgroups for `n` items of `per` each, as a grid within the per-dimension limit. */
export function groups(n: number, per: number): [number, number] {
  const g = Math.max(1, Math.ceil(n / per));
  if (g <= 65535) return [g, 1];
  const y = Math.ceil(g / 65535);
  return [Math.ceil(g / y), y];
}
