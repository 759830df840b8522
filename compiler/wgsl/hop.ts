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
  const code = /* wgsl */ `
@group(0) @binding(1) var<storage, read> rowPtr: array<u32>;
@group(0) @binding(2) var<storage, read> colIdx: array<u32>;
@group(0) @binding(3) var<storage, read> wt: array<f32>;
@group(0) @binding(4) var<storage, read> hw: array<vec4<f32>>;
${binds}

@compute @workgroup_size(${o.wx}, ${o.wy})
fn main(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let c = g.x;
  let r = row_of(g, nw, ${o.wy}u);
  if (c >= d.act || r >= d.V) { return; }
  let j0 = rowPtr[r];
  let j1 = rowPtr[r + 1u];
${ids.map((m) => `  var s${m} = vec4<f32>(0.0);`).join('\n')}
  for (var j = j0; j < j1; j = j + 1u) {
    let w = wt[j];
    let k = colIdx[j] * d.cv + c;
${ids.map((m) => `    s${m} = s${m} + w * X${m}[k];`).join('\n')}
  }
  let o = r * d.cv + c;
  let h = hw[d.n * d.cv + c];
${ids.map((m) => `  Y${m}[o] = s${m};\n  A${m}[o] = A${m}[o] + h * s${m};`).join('\n')}
}
`;
  return program(`hop${o.mats}`, [o.wx, o.wy], dimsModule, gridModule, wgslModule(`hop${o.mats}_main`, code));
}
