// Subgroup reductions for the one-subgroup-per-row kernels (rules, the row-layout ELBO), with a
// one-lane fallback for adapters without subgroups (W = 1: every reduction is the lane's own value).
import { wgslModule, type WgslModule } from './module.ts';

export function subgroupModule(subgroups: boolean): WgslModule {
  const code = subgroups
    ? `fn sg_add(x: f32) -> f32 { return subgroupAdd(x); }
fn sg_max(x: f32) -> f32 { return subgroupMax(x); }
fn sg_excl(x: u32) -> u32 { return subgroupExclusiveAdd(x); }
fn sg_addu(x: u32) -> u32 { return subgroupAdd(x); }`
    : `fn sg_add(x: f32) -> f32 { return x; }
fn sg_max(x: f32) -> f32 { return x; }
fn sg_excl(x: u32) -> u32 { return 0u; }
fn sg_addu(x: u32) -> u32 { return x; }`;
  return wgslModule(`subgroup_${subgroups ? 'sg' : 'lane'}`, code, [], subgroups ? ['subgroups'] : []);
}
