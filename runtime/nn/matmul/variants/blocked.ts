// (4) The fallback: no subgroups, no workgroup memory. 64 invocations per workgroup, each
// accumulating a 4x4 block of C in registers (a 32x32 tile per workgroup). Runs on any adapter.
import { aIndex, bIndex, prologue, storeC, type VariantImpl } from '../kernel.ts';

export const blocked: VariantImpl = {
  name: 'blocked',
  unsupported: () => null,
  configs: () => [{}],
  kernel(_gpu, p) {
    const R = 4; // rows per invocation
    const S = 4; // columns per invocation
    const rows = Array.from({ length: R }, (_, i) => i);
    const cols = Array.from({ length: S }, (_, j) => j);
    const code = `${prologue(p)}
@compute @workgroup_size(8, 8)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let t = tile(wid, nwg);
  if (!t.valid) { return; }
  let m0 = t.tm * 32u + lid.y * ${R}u;
  let n0 = t.tn * 32u + lid.x;
  // Out-of-range rows and columns read a clamped (valid) element and are not stored.
${rows.map((i) => `  let ma${i} = min(m0 + ${i}u, P.M - 1u);`).join('\n')}
${cols.map((j) => `  let nb${j} = min(n0 + ${j * 8}u, P.N - 1u);`).join('\n')}
${rows.map((i) => cols.map((j) => `  var c${i}${j} = 0.0;`).join(' ')).join('\n')}
  for (var k = 0u; k < P.K; k = k + 1u) {
${rows.map((i) => `    let a${i} = A[${aIndex(`ma${i}`, 'k')}];`).join('\n')}
${cols.map((j) => `    let b${j} = B[${bIndex('k', `nb${j}`)}];`).join('\n')}
${rows.map((i) => cols.map((j) => `    c${i}${j} = fma(a${i}, b${j}, c${i}${j});`).join(' ')).join('\n')}
  }
${rows.map((i) => cols.map((j) => `  if (m0 + ${i}u < P.M && n0 + ${j * 8}u < P.N) { ${storeC(`m0 + ${i}u`, `n0 + ${j * 8}u`, `c${i}${j}`)} }`).join('\n')).join('\n')}
}`;
    return { variant: 'blocked', key: 'matmul/blocked', code, tileM: 32, tileN: 32, workgroupSize: 64 };
  },
};
