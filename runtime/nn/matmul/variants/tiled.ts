// (2) Classic shared-memory tiling for discrete GPUs: a 16x16 workgroup computes a
// (16*TM) x (16*TN) tile of C; per k step of BK, the workgroup stages op(A) and op(B) tiles in
// workgroup memory (loads arranged so neighbouring invocations read neighbouring addresses for
// either transpose), then each invocation accumulates TM x TN outputs in registers, rows
// ty + 16 i and columns tx + 16 j (conflict-free shared reads, coalesced stores). The next tile
// is fetched into registers while the current one is used.
//
// (3) The f16 form stages the tiles as f16 (half the workgroup memory and traffic) and
// accumulates in f32; it needs the shader-f16 feature and a caller that set allowF16.
import type { Gpu } from '../../../gpu/index.ts';
import { aIndex, bIndex, prologue, storeC, type Kernel, type KernelConfig, type VariantImpl } from '../kernel.ts';
import type { Problem } from '../problem.ts';

export interface TiledConfig {
  TM: number;
  TN: number;
  BK: number;
}

const W = 16; // workgroup is W x W
const T = W * W;

export function tiledKernel(p: Problem, f16: boolean, cfg: TiledConfig): Kernel {
  const { TM, TN, BK } = cfg;
  const BM = W * TM;
  const BN = W * TN;
  const st = f16 ? 'f16' : 'f32';
  const perA = (BK * BM) / T; // elements of the A tile each invocation loads
  const perB = (BK * BN) / T;
  if (!Number.isInteger(perA) || !Number.isInteger(perB)) throw new Error(`tiled config ${JSON.stringify(cfg)} does not divide the workgroup`);
  // Shared layouts: As[k][m] with row length BM + 1 and Bs[k][n] with BN + 1 (the pad keeps
  // k-fastest stores off a single bank).
  const LA = BM + 1;
  const LB = BN + 1;
  const L: string[] = [];
  const e = (s: string) => L.push(s);
  // Coordinates of load slot `i` of this invocation inside the A / B tile, chosen so that
  // consecutive invocations touch consecutive global addresses.
  // The transposes are runtime flags (uniform branches-free selects).
  const aSlot = (i: number) => ({
    k: `select((lid + ${i * T}u) % ${BK}u, (lid + ${i * T}u) / ${BM}u, ta)`,
    m: `select((lid + ${i * T}u) / ${BK}u, (lid + ${i * T}u) % ${BM}u, ta)`,
  });
  const bSlot = (i: number) => ({
    k: `select((lid + ${i * T}u) / ${BN}u, (lid + ${i * T}u) % ${BK}u, tb)`,
    n: `select((lid + ${i * T}u) % ${BN}u, (lid + ${i * T}u) / ${BK}u, tb)`,
  });

  e(`  let t = tile(wid, nwg);`);
  e(`  if (!t.valid) { return; }`);
  e(`  let lid = lidv.y * ${W}u + lidv.x;`);
  e(`  let ta = (P.flags & 4u) != 0u;`);
  e(`  let tb = (P.flags & 8u) != 0u;`);
  e(`  let m0 = t.tm * ${BM}u;`);
  e(`  let n0 = t.tn * ${BN}u;`);
  for (let i = 0; i < TM; i++) e(`  ${Array.from({ length: TN }, (_, j) => `var c${i}_${j} = 0.0;`).join(' ')}`);
  // Register prefetch of one k tile.
  const fetch = (k0: string) => {
    for (let i = 0; i < perA; i++) {
      const s = aSlot(i);
      e(`    { let m = m0 + ${s.m}; let k = ${k0} + ${s.k}; ra${i} = select(0.0, A[${aIndex('min(m, P.M - 1u)', 'min(k, P.K - 1u)')}], m < P.M && k < P.K); }`);
    }
    for (let i = 0; i < perB; i++) {
      const s = bSlot(i);
      e(`    { let n = n0 + ${s.n}; let k = ${k0} + ${s.k}; rb${i} = select(0.0, B[${bIndex('min(k, P.K - 1u)', 'min(n, P.N - 1u)')}], n < P.N && k < P.K); }`);
    }
  };
  e(`  ${Array.from({ length: perA }, (_, i) => `var ra${i} = 0.0;`).join(' ')}`);
  e(`  ${Array.from({ length: perB }, (_, i) => `var rb${i} = 0.0;`).join(' ')}`);
  fetch('0u');
  e(`  for (var k0 = 0u; k0 < P.K; k0 = k0 + ${BK}u) {`);
  for (let i = 0; i < perA; i++) {
    const s = aSlot(i);
    e(`    As[${s.k} * ${LA}u + ${s.m}] = ${st}(ra${i});`);
  }
  for (let i = 0; i < perB; i++) {
    const s = bSlot(i);
    e(`    Bs[${s.k} * ${LB}u + ${s.n}] = ${st}(rb${i});`);
  }
  e(`    workgroupBarrier();`);
  e(`    if (k0 + ${BK}u < P.K) {`);
  fetch(`k0 + ${BK}u`);
  e(`    }`);
  e(`    for (var kk = 0u; kk < ${BK}u; kk = kk + 1u) {`);
  for (let i = 0; i < TM; i++) e(`      let a${i} = f32(As[kk * ${LA}u + lidv.y + ${W * i}u]);`);
  for (let j = 0; j < TN; j++) e(`      let b${j} = f32(Bs[kk * ${LB}u + lidv.x + ${W * j}u]);`);
  for (let i = 0; i < TM; i++) e(`      ${Array.from({ length: TN }, (_, j) => `c${i}_${j} = fma(a${i}, b${j}, c${i}_${j});`).join(' ')}`);
  e(`    }`);
  e(`    workgroupBarrier();`);
  e(`  }`);
  for (let i = 0; i < TM; i++) {
    e(`  { let m = m0 + lidv.y + ${W * i}u;`);
    e(`    if (m < P.M) {`);
    for (let j = 0; j < TN; j++) e(`      { let n = n0 + lidv.x + ${W * j}u; if (n < P.N) { ${storeC('m', 'n', `c${i}_${j}`)} } }`);
    e(`    }`);
    e(`  }`);
  }
  const code = `${f16 ? 'enable f16;\n' : ''}${prologue(p)}
var<workgroup> As: array<${st}, ${BK * LA}>;
var<workgroup> Bs: array<${st}, ${BK * LB}>;
@compute @workgroup_size(${W}, ${W})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lidv: vec3u) {
${L.join('\n')}
}`;
  const name = f16 ? 'tiled-f16' : 'tiled';
  return { variant: name, key: `matmul/${name}/${TM}x${TN}x${BK}`, code, tileM: BM, tileN: BN, workgroupSize: T };
}

// Software adapters run barriers as coroutine switches (PERF-NOTES): one small config there.
function configs(gpu: Gpu, p: Problem): KernelConfig[] {
  if (gpu.isSoftware) return [{ TM: 4, TN: 4, BK: 16 }];
  const big = p.M * p.N * p.batchOuter * p.batchInner >= 1 << 20;
  return big ? [{ TM: 8, TN: 8, BK: 16 }, { TM: 4, TN: 4, BK: 16 }, { TM: 8, TN: 4, BK: 32 }] : [{ TM: 4, TN: 4, BK: 16 }, { TM: 8, TN: 8, BK: 16 }];
}

function asTiled(c: KernelConfig): TiledConfig {
  return { TM: c['TM'] ?? 4, TN: c['TN'] ?? 4, BK: c['BK'] ?? 16 };
}

export const tiled: VariantImpl = {
  name: 'tiled',
  unsupported: () => null,
  configs,
  kernel: (_gpu, p, c) => tiledKernel(p, false, asTiled(c)),
};

export const tiledF16: VariantImpl = {
  name: 'tiled-f16',
  unsupported: (gpu, p) => (!gpu.hasF16 ? 'the adapter lacks shader-f16' : !p.allowF16 ? 'the call did not opt into f16 operands (allowF16)' : null),
  configs,
  kernel: (_gpu, p, c) => tiledKernel(p, true, asTiled(c)),
};
