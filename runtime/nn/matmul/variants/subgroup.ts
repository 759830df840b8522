// (1) The lavapipe-friendly kernel (PERF-NOTES, "fastest matmul shape"): one subgroup per
// workgroup owns R rows x (4 * S * CPL) columns of C (S = subgroup size, from the adapter);
// each lane holds CPL vec4s of columns per row. Per k chunk (4 * S values of k), every lane
// fetches one texel of op(A) per row (4 consecutive k) and the subgroup spreads those values
// lane by lane; op(B) comes one texel per lane per k. No workgroup memory, no barriers; the
// generator unrolls over lanes and rows, and loops over the 4 k of a texel. Spreading uses
// subgroupShuffle with a constant lane at 8 lanes: on lavapipe that is one vpermps, where
// subgroupBroadcast costs four instructions (a permute, a broadcast and a masked zeroing);
// measured 39.9 vs 34.7 GFLOP/s at 1024^3. At 16 lanes (LP_NATIVE_VECTOR_WIDTH=512) it is the
// other way round, by far: a shuffle-and-FMA loop ran at 32 GFLOP/s with subgroupShuffle and
// 199 with subgroupBroadcast (LLVM 15, docs/perf.md), so kernels for more than 8 lanes broadcast.
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
import { prologue, type Kernel, type KernelConfig, type VariantImpl } from '../kernel.ts';
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
  const max = gpu.limits.maxTextureDimension2D;
  const outRows = p.M * p.batchOuter * p.batchInner;
  if (outRows > max) return `the output needs ${outRows} texture rows, over the ${max} limit`;
  if (Math.ceil(p.N / (4 * S * 2)) * 2 * S > max) return `the output needs more than ${max} texels per row`;
  return packUnfit(gpu, a) ?? packUnfit(gpu, b);
}

// Larger tiles fetch fewer texels per flop but unroll more code (compile time grows faster than
// linearly in lavapipe's LLVM) and waste rows when M is small: R is capped near M.
function configs(_gpu: Gpu, f16: boolean, p: Problem): KernelConfig[] {
  const all: KernelConfig[] = f16 ? [{ R: 64 }, { R: 32 }, { R: 16 }] : [{ R: 64, CPL: 1 }, { R: 64, CPL: 2 }, { R: 32, CPL: 1 }, { R: 16, CPL: 1 }];
  const fit = all.filter((c) => c['R']! <= Math.max(16, 2 ** Math.ceil(Math.log2(p.M))));
  return fit.slice(0, 3);
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
  const spread = S > 8 ? 'subgroupBroadcast' : 'subgroupShuffle'; // see the header
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
  // The chunk's op(A) texels, one per row: this lane's kPerTexel values of k.
  for (const r of rows) {
    if (f16) {
      emit(`    let ta${r} = textureLoad(AT, vec2u(ka, arow + ${r}u), 0);`);
      const [lo, hi] = unpack(`ta${r}`);
      emit(`    let a${r}_0 = ${lo}; let a${r}_1 = ${hi};`);
    } else {
      emit(`    let a${r}_0 = textureLoad(AT, vec2u(ka, arow + ${r}u), 0);`);
    }
  }
  // "nk": the chunk's op(B) texels up front (each holds every w of one column).
  if (nk) {
    for (let q = 0; q < S; q++) {
      if (f16) {
        for (let i = 0; i < 8; i++) {
          emit(`    let tb${q}_${i} = textureLoad(BT, vec2u(ch * ${S}u + ${q}u, t.tex_b + n0 + ${i}u), 0);`);
          const [lo, hi] = unpack(`tb${q}_${i}`);
          emit(`    let u${q}_${i}_0 = ${lo}; let u${q}_${i}_1 = ${hi};`);
        }
      } else {
        for (const j of js) for (let i = 0; i < 4; i++) emit(`    let tb${q}_${j}_${i} = textureLoad(BT, vec2u(ch * ${S}u + ${q}u, t.tex_b + n${j} + ${i}u), 0);`);
      }
    }
  }
  // The chunk runs as kPerTexel steps of S values of k each (k = chunk start + kPerTexel * l + w
  // for lanes l): a loop rather than full unrolling keeps lavapipe's LLVM compile in seconds.
  // Per step: its op(B) texels are fetched together (a fetch is a function call that clobbers
  // every vector register), then rows run one at a time with their accumulators in registers.
  emit(`    for (var w = 0u; w < ${kPerTexel}u; w = w + 1u) {`);
  const pick = (v: string) => (f16 ? `select(${v}_1[w - 4u], ${v}_0[min(w, 3u)], w < 4u)` : `${v}_0[w]`);
  if (!nk) {
    emit(`      let kb = t.tex_b + ch * ${kChunk}u + w;`);
    for (let l = 0; l < S; l++) {
      if (f16) {
        emit(`      let tb${l} = textureLoad(BT, vec2u(n0 / 8u, kb + ${kPerTexel * l}u), 0);`);
        const [lo, hi] = unpack(`tb${l}`);
        emit(`      let b${l}_0 = ${lo}; let b${l}_1 = ${hi};`);
      } else {
        for (const j of js) emit(`      let b${l}_${j} = textureLoad(BT, vec2u(n${j} / 4u, kb + ${kPerTexel * l}u), 0);`);
      }
    }
  } else {
    for (let l = 0; l < S; l++) {
      for (const j of js) {
        const col = (i: number) => (f16 ? pick(`u${l}_${4 * j + i}`) : `tb${l}_${j}_${i}[w]`);
        emit(`      let b${l}_${j} = vec4f(${col(0)}, ${col(1)}, ${col(2)}, ${col(3)});`);
      }
    }
  }
  for (const r of rows) {
    emit(`      {`);
    emit(`        let ar = ${pick(`a${r}`)};`);
    for (const j of js) emit(`        var x${j} = c${r}_${j};`);
    for (let l = 0; l < S; l++) {
      emit(`        { let s = vec4f(${spread}(ar, ${l}u)); ${js.map((j) => `x${j} = fma(s, b${l}_${j}, x${j});`).join(' ')} }`);
    }
    for (const j of js) emit(`        c${r}_${j} = x${j};`);
    emit(`      }`);
  }
  emit(`    }`);
  emit(`  }`);
  // Raw sums to OT, one texel per row and vec4; rows past M would land in the next batch item.
  for (const r of rows) {
    emit(`  if (t.tm * ${R}u + ${r}u < P.M) { ${js.map((j) => `textureStore(OT, vec2u(n${j} / 4u, t.tex_c + t.tm * ${R}u + ${r}u), c${r}_${j});`).join(' ')} }`);
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
  configs: (gpu, p) => configs(gpu, false, p),
  kernel: (gpu, p, c) => subgroupKernel(gpu, p, false, asSubgroup(c)),
};

export const subgroupF16: VariantImpl = {
  name: 'subgroup-f16',
  unsupported: (gpu, p) => unsupported(gpu, true, p),
  configs: (gpu, p) => configs(gpu, true, p),
  kernel: (gpu, p, c) => subgroupKernel(gpu, p, true, asSubgroup(c)),
};
