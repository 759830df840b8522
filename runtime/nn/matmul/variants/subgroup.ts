// (1) The lavapipe-friendly kernel (PERF-NOTES, "fastest matmul shape"): one subgroup per
// workgroup owns R rows x (4 * S * CPL) columns of C; each lane holds CPL vec4s of columns per
// row. Per k chunk of 4*S, every lane fetches one texel of op(A) per row (4 consecutive k) and the
// subgroup spreads those values with subgroupBroadcast (a register extract on a CPU); op(B) rows
// come one texel per lane per k. No workgroup memory, no barriers; the chunk is unrolled by this
// generator. Operands come from textures packed by pack.ts, zero-padded along K, so there is no
// k tail; rows and columns past M and N read clamped texels and are not stored.
//
// The f16 form reads rgba32uint texels holding 8 values as f16 pairs: half the texel fetches per
// flop (a fetch is a function call in lavapipe), operands rounded to f16, accumulation in f32.
import type { Gpu } from '../../../gpu/index.ts';
import { prologue, storeC, type Kernel, type KernelConfig, type VariantImpl } from '../kernel.ts';
import { packSpecs, packUnfit } from '../pack.ts';
import type { Problem } from '../problem.ts';

export interface SubgroupConfig {
  /** Rows of C per subgroup. */
  R: number;
  /** vec4 column groups per lane (f32 form; the f16 form always has 2, from one texel). */
  CPL: number;
}

/** The subgroup size the kernel is generated for, or 0 when the adapter's size is not fixed. */
export function fixedSubgroupSize(gpu: Gpu): number {
  if (!gpu.hasSubgroups) return 0;
  const s = gpu.subgroupMinSize;
  return s >= 4 && s === gpu.subgroupMaxSize && s <= 128 ? s : 0;
}

function unsupported(gpu: Gpu, f16: boolean, p: Problem): string | null {
  if (!gpu.hasSubgroups) return 'the adapter has no subgroups';
  const S = fixedSubgroupSize(gpu);
  if (!S) return `the subgroup size is not fixed (${gpu.subgroupMinSize}..${gpu.subgroupMaxSize})`;
  if (f16 && !p.allowF16) return 'the call did not opt into f16 operands (allowF16)';
  const { a, b } = packSpecs(p, f16 ? 'rgba32uint' : 'rgba32float', (f16 ? 8 : 4) * S);
  return packUnfit(gpu, a) ?? packUnfit(gpu, b);
}

function configs(_gpu: Gpu, f16: boolean): KernelConfig[] {
  return f16 ? [{ R: 8 }, { R: 16 }] : [{ R: 16, CPL: 1 }, { R: 8, CPL: 2 }];
}

function asSubgroup(c: KernelConfig): SubgroupConfig {
  return { R: c['R'] ?? 16, CPL: c['CPL'] ?? 1 };
}

export function subgroupKernel(gpu: Gpu, p: Problem, f16: boolean, cfg: SubgroupConfig): Kernel {
  const S = fixedSubgroupSize(gpu);
  const R = cfg.R;
  const CPL = f16 ? 2 : cfg.CPL;
  const kPerTexel = f16 ? 8 : 4; // k values per A texel
  const kChunk = kPerTexel * S;
  const cols = 4 * S * CPL; // columns per tile
  const rows = Array.from({ length: R }, (_, r) => r);
  const js = Array.from({ length: CPL }, (_, j) => j);
  const L: string[] = [];
  const emit = (s: string) => L.push(s);

  emit(`  let t = tile(wid, nwg);`);
  emit(`  if (!t.valid) { return; }`);
  emit(`  let arow = t.tex_a + t.tm * ${R}u;`);
  // Texel column of this lane: f32 texels cover 4 columns each, CPL texels per lane spaced S apart;
  // an f16 texel covers 8 columns (this lane's two vec4s).
  emit(`  let cv = t.tn * ${f16 ? S : S * CPL}u + lane;`);
  for (const r of rows) emit(`  ${js.map((j) => `var c${r}_${j} = vec4f(0.0);`).join(' ')}`);
  emit(`  let chunks = P.kp / ${kChunk}u;`);
  emit(`  for (var ch = 0u; ch < chunks; ch = ch + 1u) {`);
  emit(`    let ka = ch * ${S}u + lane;`);
  emit(`    let kb = t.tex_b + ch * ${kChunk}u;`);
  if (f16) {
    // a{r}: 8 k values of row r held by this lane (two vec4s unpacked from one texel).
    for (const r of rows) {
      emit(`    let ta${r} = textureLoad(AT, vec2u(ka, arow + ${r}u), 0);`);
      emit(`    let a${r}_0 = vec4f(unpack2x16float(ta${r}.x), unpack2x16float(ta${r}.y));`);
      emit(`    let a${r}_1 = vec4f(unpack2x16float(ta${r}.z), unpack2x16float(ta${r}.w));`);
    }
  } else {
    for (const r of rows) emit(`    let a${r}_0 = textureLoad(AT, vec2u(ka, arow + ${r}u), 0);`);
  }
  for (let kk = 0; kk < kChunk; kk++) {
    const lane = Math.floor(kk / kPerTexel);
    const within = kk % kPerTexel;
    const half = Math.floor(within / 4);
    const comp = 'xyzw'[within % 4]!;
    if (f16) {
      emit(`    let tb${kk} = textureLoad(BT, vec2u(cv, kb + ${kk}u), 0);`);
      emit(`    let b${kk}_0 = vec4f(unpack2x16float(tb${kk}.x), unpack2x16float(tb${kk}.y));`);
      emit(`    let b${kk}_1 = vec4f(unpack2x16float(tb${kk}.z), unpack2x16float(tb${kk}.w));`);
    } else {
      for (const j of js) emit(`    let b${kk}_${j} = textureLoad(BT, vec2u(cv + ${j * S}u, kb + ${kk}u), 0);`);
    }
    for (const r of rows) {
      emit(`    { let s = vec4f(subgroupBroadcast(a${r}_${half}.${comp}, ${lane}u)); ${js.map((j) => `c${r}_${j} = fma(s, b${kk}_${j}, c${r}_${j});`).join(' ')} }`);
    }
  }
  emit(`  }`);
  // Stores: column n of vec4 j of this lane.
  for (const j of js) {
    emit(`  let n${j} = ${f16 ? `cv * 8u + ${4 * j}u` : `(cv + ${j * S}u) * 4u`};`);
  }
  for (const r of rows) {
    emit(`  if (t.tm * ${R}u + ${r}u < P.M) {`);
    emit(`    let m = t.tm * ${R}u + ${r}u;`);
    for (const j of js) {
      for (let q = 0; q < 4; q++) {
        const comp = 'xyzw'[q]!;
        emit(`    if (n${j} + ${q}u < P.N) { ${storeC('m', `n${j} + ${q}u`, `c${r}_${j}.${comp}`)} }`);
      }
    }
    emit(`  }`);
  }
  const code = `enable subgroups;
${prologue(p, { texture: f16 ? 'u32' : 'f32' })}
@compute @workgroup_size(${S})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(subgroup_invocation_id) lane: u32) {
${L.join('\n')}
}`;
  const name = f16 ? 'subgroup-f16' : 'subgroup';
  return {
    variant: name,
    key: `matmul/${name}/S${S}R${R}C${CPL}`,
    code,
    tileM: R,
    tileN: cols,
    workgroupSize: S,
    textures: { format: f16 ? 'rgba32uint' : 'rgba32float', kChunk, f16 },
  };
}

export const subgroup: VariantImpl = {
  name: 'subgroup',
  unsupported: (gpu, p) => unsupported(gpu, false, p),
  configs: (gpu) => configs(gpu, false),
  kernel: (gpu, p, c) => subgroupKernel(gpu, p, false, asSubgroup(c)),
};

export const subgroupF16: VariantImpl = {
  name: 'subgroup-f16',
  unsupported: (gpu, p) => unsupported(gpu, true, p),
  configs: (gpu) => configs(gpu, true),
  kernel: (gpu, p, c) => subgroupKernel(gpu, p, true, asSubgroup(c)),
};
