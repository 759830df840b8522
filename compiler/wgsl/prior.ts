// The prior p_1 (docs/math.md §2.6): on the real tokens the limit law mu of the non-mask chain,
//   mu <- k_u pibar + k_a mu Abar       (lazy: (mu + mu Abar) / 2 when there is no reset),
// iterated on the GPU; its sampler (mask with probability 1 - e^{-Lambda_m(1)}, else an alias
// draw from mu); and KL(q_1(. | x0) || p_1) per position as a column reduction.
import { PURPOSE } from './corrupt.ts';
import { dimsModule } from './dims.ts';
import { gridModule } from './layout.ts';
import { mathModule, rngModule } from './math.ts';
import { program, wgslModule, type WgslProgram } from './module.ts';

/**
 * One power-iteration step, invocation per token y. Bindings: 1 tRowPtr, 2 tCol, 3 tW (CSR of Abar^T),
 * 4 pibar, 5 cur, 6 next. Dims: V, f0 = k_u, f1 = k_a, mode 1 = lazy.
 */
export function priorIterProgram(wg: number): WgslProgram {
  const code = /* wgsl */ `
@group(0) @binding(1) var<storage, read> tRowPtr: array<u32>;
@group(0) @binding(2) var<storage, read> tCol: array<u32>;
@group(0) @binding(3) var<storage, read> tW: array<f32>;
@group(0) @binding(4) var<storage, read> pibar: array<f32>;
@group(0) @binding(5) var<storage, read> cur: array<f32>;
@group(0) @binding(6) var<storage, read_write> next: array<f32>;

@compute @workgroup_size(${wg})
fn main(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let y = g.x + g.y * nw.x * ${wg}u;
  if (y >= d.V) { return; }
  var s = 0.0;
  for (var j = tRowPtr[y]; j < tRowPtr[y + 1u]; j = j + 1u) { s = s + tW[j] * cur[tCol[j]]; }
  var v = d.f0 * pibar[y] + d.f1 * s;
  if (d.mode == 1u) { v = 0.5 * (v + cur[y]); }
  next[y] = v;
}
`;
  return program('prior_iter', [wg], dimsModule, wgslModule('prior_iter_main', code));
}

/**
 * x ~ p_1 per position: [MASK] (= V) with probability f0 = 1 - e^{-Lambda_m(1)} (f1 = e^{-Lambda_m(1)},
 * the smaller compared), else bucket floor(word * V / 2^32) kept with probability prob[bucket], else
 * its alias. Bindings: 1 prob, 2 alias, 3 out. Dims: V, C = positions, n = L, seeds, stream.
 */
export function priorSampleProgram(wg: number, hasMask: boolean): WgslProgram {
  const code = /* wgsl */ `
@group(0) @binding(1) var<storage, read> prob: array<f32>;
@group(0) @binding(2) var<storage, read> aliasIdx: array<u32>;
@group(0) @binding(3) var<storage, read_write> outv: array<u32>;

@compute @workgroup_size(${wg})
fn main(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let i = g.x + g.y * nw.x * ${wg}u;
  if (i >= d.C) { return; }
  let seq = i / d.n;
  let r = rng4(vec2<u32>(d.seed0, d.seed1), i - seq * d.n, seq, (${PURPOSE.prior}u << 24u) | (d.stream & 0xffffffu), 0u);
  ${
    hasMask
      ? `let um = rand_open01(r.x, r.y);
  var masked = false;
  if (d.f0 < 0.5) { masked = um < d.f0; } else { masked = !(um < d.f1); }
  if (masked) { outv[i] = d.V; return; }`
      : ''
  }
  let b = philox_mulhilo(r.z, d.V).x;
  let r2 = rng4(vec2<u32>(d.seed0, d.seed1), i - seq * d.n, seq, (${PURPOSE.prior}u << 24u) | (d.stream & 0xffffffu), 1u);
  var x = b;
  if (!(rand_open01(r2.x, r2.y) < prob[b])) { x = aliasIdx[b]; }
  outv[i] = x;
}
`;
  return program(`prior_sample_${hasMask ? 'm' : 'n'}`, [wg], dimsModule, rngModule, mathModule, wgslModule(`prior_sample_main_${hasMask ? 'm' : 'n'}`, code));
}

/**
 * Block partials of KL(a || p) per column, a = M[y, c] + rho[y, slot] (a row q_1(. | x0)), p the prior:
 * sum a log(a / p) over the real tokens (the mask entries agree and add 0). Bindings: 1 M, 2 rho,
 * 3 colt, 4 prior, 5 partial. Dims: V, C, act, nb, R, n = slots.
 */
export function klPartialProgram(wx: number, wy: number): WgslProgram {
  const code = /* wgsl */ `
@group(0) @binding(1) var<storage, read> M: array<f32>;
@group(0) @binding(2) var<storage, read> rho: array<f32>;
@group(0) @binding(3) var<storage, read> colt: array<vec2<u32>>;
@group(0) @binding(4) var<storage, read> prior: array<f32>;
@group(0) @binding(5) var<storage, read_write> partial: array<f32>;

@compute @workgroup_size(${wx}, ${wy})
fn main(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let c = g.x;
  let b = row_of(g, nw, ${wy}u);
  if (c >= d.act || b >= d.nb) { return; }
  let s = colt[c].y;
  var acc = vec2<f32>(0.0);
  let y1 = min(d.V, (b + 1u) * d.R);
  for (var y = b * d.R; y < y1; y = y + 1u) {
    let a = M[y * d.C + c] + rho[y * d.n + s];
    if (a > 0.0) { acc = kahan_add(acc, a * dlmk_log(a / prior[y])); }
  }
  partial[b * d.C + c] = acc.x - acc.y;
}
`;
  return program('kl_partial', [wx, wy], dimsModule, gridModule, mathModule, wgslModule('kl_partial_main', code));
}
