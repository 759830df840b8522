// Forward corruption x_t ~ q_t(. | x0) by path simulation (docs/math.md §2.1), one invocation per
// position, never a V-vector:
//   1. masked with probability 1 - e^{-L_m} (the smaller of the two probabilities is compared with
//      the 48-bit uniform, so both tails are exact);
//   2. E ~ Exp(1) is the reset clock looking back from t: no reset when E >= L_u (drawn as a
//      Bernoulli of 1 - e^{-L_u}, then E from its conditional law); otherwise the walk
//      starts at y ~ pi_g (group g by its share of the reset amount; alias table or uniform; buckets
//      are floor(word * n / 2^32), uniform integers) and
//      covers jump amount (L_a / L_u) E (reset and jump channels in fixed proportion; otherwise
//      the reset's time tau by bisection on Lambda_u, jump amount L_a - Lambda_a(tau), group by
//      sigma_g(tau));
//   3. N ~ Poisson(that amount) by counting Exp(1) arrivals (exact in the tail), N alias steps on A.
// Random numbers: Philox counter (position in sequence, sequence, PURPOSE | stream, draw).
import { dimsModule } from './dims.ts';
import { mathModule, rngModule } from './math.ts';
import { program, wgslModule, type WgslProgram } from './module.ts';

export const PURPOSE = { corrupt: 1, reverse: 2, prior: 3, tauLeap: 4 } as const;

export interface CorruptOptions {
  hasMask: boolean;
  /** Reset groups, each uniform or by alias table. */
  groups: Array<'uniform' | 'alias'>;
  jump: boolean;
  wg: number;
  /**
   * Reset and jump channels NOT in fixed proportion: WGSL f32 expressions in `tau` of the reset
   * amount Lambda_u(tau), the jump amount Lambda_a(tau) and each reset group's rate sigma_g(tau)
   * (compiled from the IR's closed forms). The time of the last reset is then found by bisection
   * and fixes the jump amount after it and the group (docs/math.md §2.1).
   */
  clock?: ClockWgsl;
}

/**
 * The clocks of a non-proportional kernel: WGSL expressions in `tau` compiled from the IR's closed
 * forms, or (tabulated rates) a table at tau = i / M, i = 0..M, read from binding 11: per node two
 * vec4, (Lambda_u, sigma_u, Lambda_a, sigma_a) and sigma_g of the reset groups; Lambda_u and
 * Lambda_a by cubic Hermite interpolation with their rates as slopes, sigma_g linearly.
 */
export type ClockWgsl = { kind: 'expr'; lamU: string; lamA: string; sig: string[] } | { kind: 'table'; M: number };

/**
 * Bindings: 1 x0 [N], 2 out [N], 3 slot of each sequence [B], 4 slot parameters (5 vec4 per slot:
 * (maskProb, keep, L_u, L_a), (L_a / L_u, 1 - e^{-L_u}, e^{-L_u}, 0), cumulative group shares,
 * (t, L_u(0), L_a(0), 0) and the cumulative group shares of the amounts at 0 (the prefix of
 * docs/math.md §1.6; with `clock` only)), 5 rowPtr, 6 col, 7 aliasProb, 8 aliasIdx (graph rows),
 * 9 distProb, 10 distAlias ([group][V]), 11 the clock table (ClockWgsl 'table').
 * Dims: C = N positions, n = L (positions per sequence), V, seed0/1, stream, f3 = +infinity.
 */
export function corruptProgram(o: CorruptOptions): WgslProgram {
  const G = o.groups.length;
  const pickToken = o.groups
    .map((kind, g) =>
      kind === 'uniform'
        ? `    if (grp == ${g}u) { x = philox_mulhilo(q.z, d.V).x; }`
        : `    if (grp == ${g}u) {
      let bkt = philox_mulhilo(q.z, d.V).x;
      if (uc < distProb[${g}u * d.V + bkt]) { x = bkt; } else { x = distAlias[${g}u * d.V + bkt]; }
    }`,
    )
    .join('\n');
  const ck = o.clock;
  const clockFns = !ck
    ? ''
    : ck.kind === 'expr'
      ? `
fn clk_u(tau: f32) -> f32 { return ${ck.lamU}; }
fn clk_a(tau: f32) -> f32 { return ${ck.lamA}; }
fn clk_sig(tau: f32, g: u32) -> f32 {
${ck.sig.map((e, g) => `  if (g == ${g}u) { return ${e}; }`).join('\n')}
  return 0.0;
}
`
      : `
@group(0) @binding(11) var<storage, read> clk: array<vec4<f32>>;
const CLK_M: f32 = ${ck.M}.0;

fn clk_at(tau: f32) -> vec2<f32> {
  let x = clamp(tau, 0.0, 1.0) * CLK_M;
  let i = min(floor(x), CLK_M - 1.0);
  return vec2<f32>(i, x - i);
}
// Cubic Hermite of value component k and slope component k + 1 between nodes i and i + 1.
fn clk_herm(tau: f32, k: u32) -> f32 {
  let a = clk_at(tau);
  let i = u32(a.x);
  let u = a.y;
  let n0 = clk[2u * i];
  let n1 = clk[2u * i + 2u];
  let h = 1.0 / CLK_M;
  let u2 = u * u;
  let u3 = u2 * u;
  return (2.0 * u3 - 3.0 * u2 + 1.0) * n0[k] + (u3 - 2.0 * u2 + u) * h * n0[k + 1u] + (3.0 * u2 - 2.0 * u3) * n1[k] + (u3 - u2) * h * n1[k + 1u];
}
fn clk_u(tau: f32) -> f32 { return clk_herm(tau, 0u); }
fn clk_a(tau: f32) -> f32 { return clk_herm(tau, 2u); }
fn clk_sig(tau: f32, g: u32) -> f32 {
  let a = clk_at(tau);
  let i = u32(a.x);
  return mix(clk[2u * i + 1u][g], clk[2u * i + 3u][g], a.y);
}
`;
  // Uniforms of a reset: the group (ug), the token within the law (uc), the clock distance E.
  const resetDraws = `let q = rng4(key, pos, seq, purpose, draw);
    draw = draw + 1u;
    let ug = rand_open01(q.x, q.y);
    let q2 = rng4(key, pos, seq, purpose, draw);
    draw = draw + 1u;
    let uc = rand_open01(q2.x, q2.y);
    let E = -dlmk_log1p(-rand_open01(q2.z, q2.w) * p1.y);
    var grp = 0u;`;
  const resetBranch = ck
    ? `${resetDraws}
    if (E <= p0.z - p3.y) {
      // The last reset at tau in (0, t]: the smallest tau with Lambda_u(tau) >= L_u - E (bisection
      // to f32 resolution); its group by the rates at tau; the walk covers L_a - Lambda_a(tau).
      let goal = p0.z - E;
      var lo = 0.0;
      var hi = p3.x;
      for (var it = 0u; it < 64u; it = it + 1u) {
        let mid = 0.5 * (lo + hi);
        if (!(mid > lo && mid < hi)) { break; }
        if (clk_u(mid) < goal) { lo = mid; } else { hi = mid; }
      }
      let tau = 0.5 * (lo + hi);
      var tot = 0.0;
      for (var g = 0u; g < ${G}u; g = g + 1u) { tot = tot + clk_sig(tau, g); }
      var cg = 0.0;
      for (var g = 0u; g < ${G - 1}u; g = g + 1u) {
        cg = cg + clk_sig(tau, g);
        if (ug * tot >= cg) { grp = g + 1u; }
      }
      mean = max(0.0, p0.w - clk_a(tau));
    } else {
      // The reset falls in the prefix before 0, where the amounts at 0 are in fixed proportion.
      let f = (E - (p0.z - p3.y)) / p3.y;
      mean = max(0.0, p0.w - p3.z * (1.0 - f));
      for (var g = 0u; g < ${G - 1}u; g = g + 1u) { if (ug >= pre[g]) { grp = g + 1u; } }
    }`
    : `${resetDraws}
    for (var g = 0u; g < ${G - 1}u; g = g + 1u) { if (ug >= cum[g]) { grp = g + 1u; } }
    mean = p1.x * E;`;
  const code = /* wgsl */ `
@group(0) @binding(1) var<storage, read> x0: array<u32>;
@group(0) @binding(2) var<storage, read_write> outv: array<u32>;
@group(0) @binding(3) var<storage, read> seqSlot: array<u32>;
@group(0) @binding(4) var<storage, read> sp: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read> rowPtr: array<u32>;
@group(0) @binding(6) var<storage, read> colIdx: array<u32>;
@group(0) @binding(7) var<storage, read> aliasProb: array<f32>;
@group(0) @binding(8) var<storage, read> aliasIdx: array<u32>;
@group(0) @binding(9) var<storage, read> distProb: array<f32>;
@group(0) @binding(10) var<storage, read> distAlias: array<u32>;

const PURPOSE: u32 = ${PURPOSE.corrupt}u;
${clockFns}
@compute @workgroup_size(${o.wg})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let i = gid.x + gid.y * nw.x * ${o.wg}u;
  if (i >= d.C) { return; }
  let seq = i / d.n;
  let pos = i - seq * d.n;
  let s = seqSlot[seq];
  let p0 = sp[5u * s];
  let p1 = sp[5u * s + 1u];
  let cum = sp[5u * s + 2u];
  let p3 = sp[5u * s + 3u];
  let pre = sp[5u * s + 4u];
  let key = vec2<u32>(d.seed0, d.seed1);
  let purpose = (PURPOSE << 24u) | (d.stream & 0xffffffu);
  var draw = 0u;
  var r = rng4(key, pos, seq, purpose, draw);
  draw = draw + 1u;
  ${
    o.hasMask
      ? `// Masked with probability p0.x: compare the smaller side with the uniform.
  let um = rand_open01(r.x, r.y);
  var masked = false;
  if (p0.x < 0.5) { masked = um < p0.x; } else { masked = !(um < p0.y); }
  if (masked) { outv[i] = d.V; return; }`
      : ''
  }
  var x = x0[i];
  var mean = p0.w;
  ${
    G > 0
      ? `// A reset in (0, t] has probability p1.y = 1 - e^{-L_u} (the smaller side is compared); given one,
  // the clock distance E to the last is Exp(1) conditioned below L_u: E = -log1p(-v p1.y).
  let ur = rand_open01(r.z, r.w);
  var reset = false;
  if (p1.y < 0.5) { reset = ur < p1.y; } else { reset = !(ur < p1.z); }
  if (reset) {
    ${resetBranch}
${pickToken}
  }`
      : ''
  }
  ${
    o.jump
      ? `// N ~ Poisson(mean): arrivals of a unit-rate Poisson process in [0, mean).
  var n = 0u;
  var acc = 0.0;
  loop {
    let a = rng4(key, pos, seq, purpose, draw);
    draw = draw + 1u;
    acc = acc + -dlmk_log(rand_open01(a.x, a.y));
    if (acc >= mean) { break; }
    n = n + 1u;
    acc = acc + -dlmk_log(rand_open01(a.z, a.w));
    if (acc >= mean) { break; }
    n = n + 1u;
  }
  for (var k = 0u; k < n; k = k + 1u) {
    let a = rng4(key, pos, seq, purpose, draw);
    draw = draw + 1u;
    let j0 = rowPtr[x];
    let deg = rowPtr[x + 1u] - j0;
    if (deg == 0u) { continue; }
    let b = philox_mulhilo(a.x, deg).x;
    if (rand_open01(a.z, a.w) < aliasProb[j0 + b]) { x = colIdx[j0 + b]; } else { x = colIdx[j0 + aliasIdx[j0 + b]]; }
  }`
      : ''
  }
  outv[i] = x;
}
`;
  const key = `corrupt_${o.hasMask ? 'm' : ''}${o.groups.map((g) => g[0]).join('')}${o.jump ? 'j' : ''}${ck ? 'c' : ''}`;
  return program(key, [o.wg], dimsModule, rngModule, mathModule, wgslModule(`${key}_main`, code));
}
