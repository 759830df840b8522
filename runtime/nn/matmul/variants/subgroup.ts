// (1) The lavapipe-friendly kernel (PERF-NOTES, "fastest matmul shape"): one subgroup per
// workgroup owns R rows x (4 * S * CPL) columns of C (S = subgroup size, from the adapter);
// each lane holds CPL vec4s of columns per row. Per k chunk (4 * S values of k), every lane
// fetches one texel of op(A) per row (4 consecutive k) and the subgroup spreads those values with
// subgroupBroadcast (a register extract on a CPU); op(B) comes one texel per lane per k. No
// workgroup memory, no barriers; the chunk is unrolled by this generator.
//
// Operands come from textures (pack.ts), zero-padded along K so there is no k tail; rows and
// columns past M and N read clamped texels and are not stored. op(B) is read in either layout:
// "kn" (texel = 4 columns at one k: B as stored when transB is false) or "nk" (texel = 4 k of one
// column: B as stored when transB is true, e.g. a Linear weight [out, in]); for "nk" a lane
// fetches a 4x4 block in four texels and its transpose is a renaming of SoA registers. Either
// way a texel is 16 bytes, and when the operand's rows are 256-byte aligned, packing is a copy.
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

// Larger R fetches fewer op(B) texels per flop but unrolls more code (compile time).
function configs(_gpu: Gpu, f16: boolean): KernelConfig[] {
  return f16 ? [{ R: 16 }, { R: 32 }] : [{ R: 16, CPL: 1 }, { R: 32, CPL: 1 }, { R: 16, CPL: 2 }];
}

function asSubgroup(c: KernelConfig): SubgroupConfig {
  return { R: c['R'] ?? 16, CPL: c['CPL'] ?? 1 };
}

export function subgroupKernel(gpu: Gpu, p: Problem, f16: boolean, cfg: SubgroupConfig): Kernel {
  const S = fixedSubgroupSize(gpu);
  const R = cfg.R;
  const CPL = f16 ? 2 : cfg.CPL;
  const nk = p.transB; // op(B) texture layout, see the header
  const kPerTexel = f16 ? 8 : 4;
  const kChunk = kPerTexel * S;
  const cols = 4 * S * CPL;
  const rows = Array.from({ length: R }, (_, r) => r);
  const js = Array.from({ length: CPL }, (_, j) => j);
  const L: string[] = [];
  const emit = (s: string) => L.push(s);
  const unpack = (t: string) => [`vec4f(unpack2x16float(${t}.x), unpack2x16float(${t}.y))`, `vec4f(unpack2x16float(${t}.z), unpack2x16float(${t}.w))`];

  emit(`  let t = tile(wid, nwg);`);
  emit(`  if (!t.valid) { return; }`);
  emit(`  let arow = t.tex_a + t.tm * ${R}u;`);
  // First column of vec4 j of this lane (f16: j = 0, 1 are the two halves of one 8-column group).
  for (const j of js) emit(`  let n${j} = ${f16 ? `(t.tn * ${S}u + lane) * 8u + ${4 * j}u` : `(t.tn * ${S * CPL}u + ${j * S}u + lane) * 4u`};`);
  for (const r of rows) emit(`  ${js.map((j) => `var c${r}_${j} = vec4f(0.0);`).join(' ')}`);
  emit(`  let chunks = P.kp / ${kChunk}u;`);
  emit(`  for (var ch = 0u; ch < chunks; ch = ch + 1u) {`);
  emit(`    let ka = ch * ${S}u + lane;`);
  // All of the chunk's op(B) texels first: a texel fetch is a function call on lavapipe that
  // clobbers every vector register, so the fetches are grouped, and the multiply-adds that
  // follow keep one row's accumulators in registers with B read from the stack.
  if (!nk) {
    emit(`    let kb = t.tex_b + ch * ${kChunk}u;`);
    for (let kk = 0; kk < kChunk; kk++) {
      if (f16) {
        emit(`    let tb${kk} = textureLoad(BT, vec2u(n0 / 8u, kb + ${kk}u), 0);`);
        const [lo, hi] = unpack(`tb${kk}`);
        emit(`    let b${kk}_0 = ${lo}; let b${kk}_1 = ${hi};`);
      } else {
        for (const j of js) emit(`    let b${kk}_${j} = textureLoad(BT, vec2u(n${j} / 4u, kb + ${kk}u), 0);`);
      }
    }
  } else {
    // Texel (q, n) holds kPerTexel consecutive k of column n; q counts texels along k.
    for (let q = 0; q < S; q++) {
      if (f16) {
        for (let i = 0; i < 8; i++) {
          emit(`    let tb${q}_${i} = textureLoad(BT, vec2u(ch * ${S}u + ${q}u, t.tex_b + n0 + ${i}u), 0);`);
          const [lo, hi] = unpack(`tb${q}_${i}`);
          emit(`    let u${q}_${i}_0 = ${lo}; let u${q}_${i}_1 = ${hi};`);
        }
        for (let w = 0; w < 8; w++) {
          const kk = q * 8 + w;
          const h = Math.floor(w / 4);
          const comp = 'xyzw'[w % 4]!;
          for (const j of js) {
            const col = (i: number) => `u${q}_${4 * j + i}_${h}.${comp}`;
            emit(`    let b${kk}_${j} = vec4f(${col(0)}, ${col(1)}, ${col(2)}, ${col(3)});`);
          }
        }
      } else {
        for (const j of js) for (let i = 0; i < 4; i++) emit(`    let tb${q}_${j}_${i} = textureLoad(BT, vec2u(ch * ${S}u + ${q}u, t.tex_b + n${j} + ${i}u), 0);`);
        for (let w = 0; w < 4; w++) {
          const comp = 'xyzw'[w]!;
          for (const j of js) emit(`    let b${q * 4 + w}_${j} = vec4f(tb${q}_${j}_0.${comp}, tb${q}_${j}_1.${comp}, tb${q}_${j}_2.${comp}, tb${q}_${j}_3.${comp});`);
        }
      }
    }
  }
  // Then one row at a time: its op(A) texel (this lane's k values), spread by subgroupBroadcast.
  for (const r of rows) {
    emit(`    {`);
    if (f16) {
      emit(`      let ta = textureLoad(AT, vec2u(ka, arow + ${r}u), 0);`);
      const [lo, hi] = unpack('ta');
      emit(`      let a_0 = ${lo}; let a_1 = ${hi};`);
    } else {
      emit(`      let a_0 = textureLoad(AT, vec2u(ka, arow + ${r}u), 0);`);
    }
    for (const j of js) emit(`      var x${j} = c${r}_${j};`);
    for (let kk = 0; kk < kChunk; kk++) {
      const srcLane = Math.floor(kk / kPerTexel);
      const within = kk % kPerTexel;
      const comp = 'xyzw'[within % 4]!;
      emit(`      { let s = vec4f(subgroupBroadcast(a_${Math.floor(within / 4)}.${comp}, ${srcLane}u)); ${js.map((j) => `x${j} = fma(s, b${kk}_${j}, x${j});`).join(' ')} }`);
    }
    for (const j of js) emit(`      c${r}_${j} = x${j};`);
    emit(`    }`);
  }
  emit(`  }`);
  for (const r of rows) {
    emit(`  if (t.tm * ${R}u + ${r}u < P.M) {`);
    emit(`    let m = t.tm * ${R}u + ${r}u;`);
    for (const j of js) {
      for (let q = 0; q < 4; q++) emit(`    if (n${j} + ${q}u < P.N) { ${storeC('m', `n${j} + ${q}u`, `c${r}_${j}.${'xyzw'[q]}`)} }`);
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
    key: `matmul/${name}/S${S}R${R}C${CPL}/${nk ? 'nk' : 'kn'}`,
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
