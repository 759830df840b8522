// One hop of a sparse operator over column-layout matrices, with the weighted accumulation that
// builds sum_n w_n X A^n (docs/math.md, rows and the reverse step):
//   Y[y, :] = sum_{j in row y of the CSR} w_j X[col_j, :]      Acc[y, :] += hw[n, :] * Y[y, :]
// Passing the CSR of A^T gives X -> X A (rows q_t(.|x0), p_hat^T P); the CSR of A gives
// G -> A G (columns q_t(xt|.), gradients). `mats` matrices share one pass of index loads.
import { dimsModule } from './dims.ts';
import { gridModule } from './layout.ts';
import { program, wgslModule, type WgslProgram } from './module.ts';

export interface HopOptions {
  mats: 1 | 2;
  /** vec4 columns per invocation (index loads shared by 4 * cpt positions). */
  cpt?: number;
  /** Workgroup lanes along vec4 columns and along rows (wx * wy <= the device's limit). */
  wx: number;
  wy: number;
}

export function hopProgram(o: HopOptions): WgslProgram {
  const ids = o.mats === 1 ? [0] : [0, 1];
  const binds = ids
    .map(
      (m) => `
@group(0) @binding(${5 + 3 * m}) var<storage, read> X${m}: array<vec4<f32>>;
@group(0) @binding(${6 + 3 * m}) var<storage, read_write> Y${m}: array<vec4<f32>>;
@group(0) @binding(${7 + 3 * m}) var<storage, read_write> A${m}: array<vec4<f32>>;`,
    )
    .join('');
  const cpt = o.cpt ?? 1;
  const parts = Array.from({ length: cpt }, (_, q) => q);
  const code = /* wgsl */ `
@group(0) @binding(1) var<storage, read> rowPtr: array<u32>;
@group(0) @binding(2) var<storage, read> colIdx: array<u32>;
@group(0) @binding(3) var<storage, read> wt: array<f32>;
@group(0) @binding(4) var<storage, read> hw: array<vec4<f32>>;
${binds}

@compute @workgroup_size(${o.wx}, ${o.wy})
fn main(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let c0 = g.x * ${cpt}u;
  let r = row_of(g, nw, ${o.wy}u);
  if (c0 >= d.act || r >= d.V) { return; }
  let j0 = rowPtr[r];
  let j1 = rowPtr[r + 1u];
  // Columns past d.act (at most cpt - 1 of them) are computed too and ignored: C is padded.
${ids.map((m) => parts.map((q) => `  var s${m}_${q} = vec4<f32>(0.0);`).join('\n')).join('\n')}
  for (var j = j0; j < j1; j = j + 1u) {
    let w = wt[j];
    let k = colIdx[j] * d.cv + c0;
${ids.map((m) => parts.map((q) => `    s${m}_${q} = s${m}_${q} + w * X${m}[k${q ? ` + ${q}u` : ''}];`).join('\n')).join('\n')}
  }
  let o = r * d.cv + c0;
${parts
  .map(
    (q) => `  if (c0 + ${q}u < d.cv) {
    let h${q} = hw[d.n * d.cv + c0 + ${q}u];
${ids.map((m) => `    Y${m}[o + ${q}u] = s${m}_${q};\n    A${m}[o + ${q}u] = A${m}[o + ${q}u] + h${q} * s${m}_${q};`).join('\n')}
  }`,
  )
  .join('\n')}
}
`;
  return program(`hop${o.mats}x${o.cpt ?? 1}`, [o.wx, o.wy], dimsModule, gridModule, wgslModule(`hop${o.mats}_main`, code));
}
