// Candidate neighbours of a knn graph (docs/math.md §1.2) on the GPU: one invocation per token v
// scans every other token u (the same class when classes are given), cosine = dot of unit rows
// (vec4 loads), and keeps the K largest (ties: smaller index first) by insertion. The host
// re-ranks the candidates in float64 (runtime/kernel/knn.ts), so the graph equals the reference's.
import { dimsModule } from './dims.ts';
import { program, wgslModule, type WgslProgram } from './module.ts';

/**
 * Bindings: 1 unit rows (vec4, V x d4), 2 classes (i32 per token; all 0 without classes),
 * 3 candidate indices (u32, V x K, 0xffffffff when fewer), 4 candidate cosines (f32, V x K).
 * Dims: V, n = d4 (vec4 per row), R = K, C = first token of this dispatch.
 */
export function knnProgram(K: number, wg: number): WgslProgram {
  const code = /* wgsl */ `
@group(0) @binding(1) var<storage, read> unit: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> cls: array<i32>;
@group(0) @binding(3) var<storage, read_write> candIdx: array<u32>;
@group(0) @binding(4) var<storage, read_write> candCos: array<f32>;

const K: u32 = ${K}u;

@compute @workgroup_size(${wg})
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  let v = d.C + g.x;
  if (v >= d.V) { return; }
  var bi: array<u32, ${K}>;
  var bc: array<f32, ${K}>;
  for (var k = 0u; k < K; k = k + 1u) { bi[k] = 0xffffffffu; bc[k] = -3.0; }
  var found = 0u;
  let cv = cls[v];
  let rv = v * d.n;
  for (var u = 0u; u < d.V; u = u + 1u) {
    if (u == v || cls[u] != cv) { continue; }
    let ru = u * d.n;
    var acc = vec4<f32>(0.0);
    for (var j = 0u; j < d.n; j = j + 1u) { acc = acc + unit[rv + j] * unit[ru + j]; }
    let c = (acc.x + acc.y) + (acc.z + acc.w);
    // Larger cosine first; u increases, so a tie keeps the earlier (smaller) index ahead.
    if (found < K || c > bc[K - 1u]) {
      var p = min(found, K - 1u);
      loop {
        if (p == 0u || !(c > bc[p - 1u])) { break; }
        bc[p] = bc[p - 1u];
        bi[p] = bi[p - 1u];
        p = p - 1u;
      }
      bc[p] = c;
      bi[p] = u;
      found = min(found + 1u, K);
    }
  }
  let o = (v - d.C) * K;
  for (var k = 0u; k < K; k = k + 1u) { candIdx[o + k] = bi[k]; candCos[o + k] = bc[k]; }
}
`;
  return program(`knn_${K}`, [wg], dimsModule, wgslModule(`knn_main_${K}`, code));
}
