// Shared by the matmul tests: random operands (fixed seed), one GPU run, comparison with the
// float64 reference relative to sum_k |alpha a b| (+|bias| + |C|), the scale f32 rounding error lives on.
import { readF32, storageBuffer, type Gpu } from '../../../../runtime/gpu/index.ts';
import { encodeMatmul, type MatmulArgs, type MatmulShape, type MatmulVariant } from '../../../../runtime/nn/matmul/index.ts';
import { extent, normalise } from '../../../../runtime/nn/matmul/problem.ts';
import { encodeWith } from '../../../../runtime/nn/matmul/encode.ts';
import type { Candidate } from '../../../../runtime/nn/matmul/autotune.ts';
import { matmulAbsRef, matmulRef } from '../../../../reference/nn/matmul.ts';

export interface Case extends MatmulShape {
  /** Element offsets of the operands in their buffers. */
  offA?: number;
  offB?: number;
  offC?: number;
  bias?: boolean;
}

/** Deterministic values in [-1, 1) (xorshift32). */
export function randoms(n: number, seed: number): Float32Array {
  let s = (seed * 2654435761) >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

export interface Outcome { maxErr: number; where: number; got: number; want: number }

/** Runs one case and returns the worst error relative to the reference scale. */
export async function runCase(gpu: Gpu, c: Case, variant?: MatmulVariant | Candidate, seed = 1): Promise<Outcome> {
  const p = normalise({ ...c, hasBias: !!c.bias });
  const offA = c.offA ?? 0;
  const offB = c.offB ?? 0;
  const offC = c.offC ?? 0;
  const a = randoms(offA + extent(p, 'a'), seed);
  const b = randoms(offB + extent(p, 'b'), seed + 1);
  const c0 = randoms(offC + extent(p, 'c'), seed + 2);
  const bias = c.bias ? randoms(p.N, seed + 3) : undefined;
  const ba = storageBuffer(gpu, a);
  const bb = storageBuffer(gpu, b);
  const bc = storageBuffer(gpu, c0);
  const bbias = bias ? storageBuffer(gpu, bias) : undefined;
  const enc = gpu.device.createCommandEncoder();
  const args: MatmulArgs = {
    ...c,
    a: { buffer: ba, offset: offA },
    b: { buffer: bb, offset: offB },
    c: { buffer: bc, offset: offC },
    bias: bbias ? { buffer: bbias, offset: 0 } : undefined,
    variant: typeof variant === 'string' ? variant : undefined,
  };
  if (variant && typeof variant !== 'string') encodeWith(gpu, enc, variant.impl, variant.config, p, args);
  else encodeMatmul({ gpu, encoder: enc }, args);
  gpu.device.queue.submit([enc.finish()]);
  const got = await readF32(gpu, bc, c0.length);
  for (const x of [ba, bb, bc, bbias]) x?.destroy();
  const ref = { ...c, offsetA: offA, offsetB: offB, offsetC: offC };
  const want = matmulRef(ref, a, b, Float64Array.from(c0), bias);
  const scale = matmulAbsRef(ref, a, b, Float64Array.from(c0), bias);
  let out: Outcome = { maxErr: 0, where: -1, got: 0, want: 0 };
  for (let i = 0; i < got.length; i++) {
    const err = Math.abs(got[i]! - want[i]!) / Math.max(scale[i]!, 1e-30);
    if (!(err <= out.maxErr)) out = { maxErr: err, where: i, got: got[i]!, want: want[i]! };
  }
  return out;
}
