// Subgroup reductions for the one-subgroup-per-row kernels (rules, the row-layout ELBO), with a
// one-lane fallback for adapters without subgroups (W = 1: every reduction is the lane's own value).
// The callers keep every value that steers control flow equal across the subgroup (it comes from
// subgroup reductions), which WGSL's uniformity analysis cannot see: its subgroup check is off here.
import { wgslModule, type WgslModule } from './module.ts';

export function subgroupModule(subgroups: boolean): WgslModule {
  const code = subgroups
    ? `@diagnostic(off, subgroup_uniformity) fn sg_add(x: f32) -> f32 { return subgroupAdd(x); }
@diagnostic(off, subgroup_uniformity) fn sg_max(x: f32) -> f32 { return subgroupMax(x); }
@diagnostic(off, subgroup_uniformity) fn sg_excl(x: u32) -> u32 { return subgroupExclusiveAdd(x); }
@diagnostic(off, subgroup_uniformity) fn sg_addu(x: u32) -> u32 { return subgroupAdd(x); }
@diagnostic(off, subgroup_uniformity) fn sg_minu(x: u32) -> u32 { return subgroupMin(x); }`
    : `fn sg_add(x: f32) -> f32 { return x; }
fn sg_max(x: f32) -> f32 { return x; }
fn sg_excl(x: u32) -> u32 { return 0u; }
fn sg_addu(x: u32) -> u32 { return x; }
fn sg_minu(x: u32) -> u32 { return x; }`;
  return wgslModule(`subgroup_${subgroups ? 'sg' : 'lane'}`, code, [], subgroups ? ['subgroups'] : []);
}
