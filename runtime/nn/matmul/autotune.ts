// The measured autotune: every supported (variant, config) runs the caller's shape on scratch
// buffers, the fastest wins and is cached on disk per adapter (cache.ts). Short by design:
// one warm-up dispatch per candidate (that is where Dawn/lavapipe compile), then a few timed
// repetitions sized to ~40 ms, best of two; a candidate more than 4x slower than the best so
// far is not timed further.
import type { Gpu } from '../../gpu/index.ts';
import { adapterKey, storeTuned, KERNELS_VERSION, type TunedEntry } from './cache.ts';
import { encodeMirrorRefresh, encodeWith } from './encode.ts';
import type { KernelConfig, VariantImpl } from './kernel.ts';
import { extent, normalise, type Problem } from './problem.ts';
import { tuneKey } from './select.ts';
import type { MatmulArgs, MatmulShape } from './types.ts';
import { F16_VARIANTS, MATMUL_VARIANTS } from './types.ts';
import { VARIANTS } from './variants/index.ts';
import { createWeightMirror, type WeightMirror } from './weight-mirror.ts';

export interface Candidate {
  impl: VariantImpl;
  config: KernelConfig;
}

export function candidates(gpu: Gpu, p: Problem): Candidate[] {
  const out: Candidate[] = [];
  for (const name of MATMUL_VARIANTS) {
    if (F16_VARIANTS.includes(name) && !p.allowF16) continue;
    const impl = VARIANTS[name];
    if (impl.unsupported(gpu, p)) continue;
    for (const config of impl.configs(gpu, p)) out.push({ impl, config });
  }
  return out;
}

export function candidateName(c: Candidate): string {
  const cfg = Object.entries(c.config).map(([k, v]) => `${k}${v}`).join(' ');
  return cfg ? `${c.impl.name} {${cfg}}` : c.impl.name;
}

/** A bench/tune harness: scratch operands for `p` and a timer for any candidate. */
export class Timer {
  private buffers: GPUBuffer[] = [];
  readonly args: MatmulArgs;

  constructor(readonly gpu: Gpu, readonly p: Problem, shape: MatmulShape, bMirror: boolean) {
    const buf = (elems: number, label: string) => {
      const b = gpu.device.createBuffer({ size: Math.max(16, elems * 4), usage: 0x80 | 0x04 | 0x08, label });
      this.buffers.push(b);
      return b;
    };
    const b = { buffer: buf(extent(p, 'b'), 'tune B'), offset: 0 };
    this.args = {
      ...shape,
      a: { buffer: buf(extent(p, 'a'), 'tune A'), offset: 0 },
      b: bMirror ? createWeightMirror(gpu, b) : b,
      c: { buffer: buf(extent(p, 'c'), 'tune C'), offset: 0 },
      bias: p.hasBias ? { buffer: buf(p.N, 'tune bias'), offset: 0 } : undefined,
    };
  }

  /**
   * Milliseconds for `reps` back-to-back calls in one submit. On a software adapter it sleeps
   * through most of the expected time first, as the step recorder does: Node spins a core while
   * it awaits the queue, and that core is the GPU's (PERF-NOTES).
   */
  async run(c: Candidate, reps: number, expectMs = 0): Promise<number> {
    const { device } = this.gpu;
    device.pushErrorScope('validation');
    const enc = device.createCommandEncoder({ label: 'matmul tune' });
    for (let i = 0; i < reps; i++) encodeWith(this.gpu, enc, c.impl, c.config, this.p, this.args);
    const t0 = performance.now();
    device.queue.submit([enc.finish()]);
    if (this.gpu.isSoftware && expectMs * reps > 2) await new Promise((r) => setTimeout(r, 0.85 * expectMs * reps));
    await device.queue.onSubmittedWorkDone();
    const ms = performance.now() - t0;
    const err = await device.popErrorScope();
    if (err) throw new Error(`${candidateName(c)}: ${err.message}`);
    return ms / reps;
  }

  /** Best per-call milliseconds over `trials` timed batches of ~targetMs (after one warm-up). */
  async time(c: Candidate, opts: { targetMs?: number; trials?: number; giveUpMs?: number } = {}): Promise<number> {
    await this.run(c, 1); // compiles
    const first = await this.run(c, 1);
    if (opts.giveUpMs !== undefined && first > opts.giveUpMs) return first;
    const reps = Math.max(1, Math.min(50, Math.round((opts.targetMs ?? 40) / Math.max(first, 1e-3))));
    let best = first;
    for (let t = 0; t < (opts.trials ?? 2); t++) best = Math.min(best, await this.run(c, reps, best));
    return best;
  }

  /**
   * Milliseconds per refresh of the B mirror: `reps` pack passes alone (invalidate, then encode
   * the call with its matmul pass dropped) in one submit. 0 for variants that read B directly.
   */
  async refreshMs(c: Candidate, reps: number): Promise<number> {
    const mirror = this.args.b as WeightMirror;
    if (!c.impl.kernel(this.gpu, this.p, c.config).textures) return 0;
    await this.run(c, 1); // compile and create the mirror texture
    const { device } = this.gpu;
    const enc = device.createCommandEncoder({ label: 'matmul mirror refresh' });
    for (let i = 0; i < reps; i++) {
      mirror.invalidate();
      encodeMirrorRefresh(this.gpu, enc, c.impl.kernel(this.gpu, this.p, c.config), this.p, mirror);
    }
    const t0 = performance.now();
    device.queue.submit([enc.finish()]);
    await device.queue.onSubmittedWorkDone();
    return (performance.now() - t0) / reps;
  }

  destroy(): void {
    for (const b of this.buffers) b.destroy();
    const b = this.args.b as { destroy?: () => void };
    b.destroy?.();
  }
}

export function flops(p: Problem): number {
  return 2 * p.M * p.N * p.K * p.batchOuter * p.batchInner;
}

/**
 * Runs a candidate on a small odd-sized problem with the same transposes and compares it with a
 * float64 product: a driver can miscompile a kernel (lavapipe with LP_NATIVE_VECTOR_WIDTH=512
 * returns scrambled rgba32float texels), and a fast wrong kernel must never win the tune.
 * Returns the worst error relative to sum |a b|, or Infinity when the run failed.
 */
export async function verifyCandidate(gpu: Gpu, c: Candidate, p: Problem): Promise<number> {
  const M = 13;
  const N = 21;
  const K = 45;
  const shape: MatmulShape = { M, N, K, transA: p.transA, transB: p.transB, allowF16: p.allowF16 };
  const small = normalise(shape);
  let seed = 12345;
  const rand = (n: number) => Float32Array.from({ length: n }, () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32) * 2 - 1);
  const a = rand(M * K);
  const b = rand(K * N);
  const { device } = gpu;
  const make = (data: Float32Array) => {
    const buf = device.createBuffer({ size: data.byteLength, usage: 0x80 | 0x04 | 0x08 });
    device.queue.writeBuffer(buf, 0, data);
    return buf;
  };
  const ba = make(a);
  const bb = make(b);
  const bc = make(new Float32Array(M * N));
  const staging = device.createBuffer({ size: M * N * 4, usage: 0x01 | 0x08 });
  try {
    device.pushErrorScope('validation');
    const enc = device.createCommandEncoder({ label: 'matmul verify' });
    encodeWith(gpu, enc, c.impl, c.config, small, { ...shape, a: { buffer: ba }, b: { buffer: bb }, c: { buffer: bc } });
    enc.copyBufferToBuffer(bc, 0, staging, 0, M * N * 4);
    device.queue.submit([enc.finish()]);
    if (await device.popErrorScope()) return Infinity;
    await staging.mapAsync(0x01);
    const got = new Float32Array(staging.getMappedRange().slice(0));
    staging.unmap();
    let worst = 0;
    for (let m = 0; m < M; m++) {
      for (let n = 0; n < N; n++) {
        let sum = 0;
        let mag = 0;
        for (let k = 0; k < K; k++) {
          const x = (p.transA ? a[k * M + m] : a[m * K + k])! * (p.transB ? b[n * K + k] : b[k * N + n])!;
          sum += x;
          mag += Math.abs(x);
        }
        const err = Math.abs(got[m * N + n]! - sum) / mag;
        if (!(err <= worst)) worst = err; // NaN counts as the worst
      }
    }
    return worst;
  } catch {
    return Infinity;
  } finally {
    for (const x of [ba, bb, bc, staging]) x.destroy();
  }
}

/** Relative error a candidate may show in verifyCandidate (f16 operands: 2^-11 rounding each). */
export function verifyTolerance(c: Candidate): number {
  return F16_VARIANTS.includes(c.impl.name) ? 5e-3 : 1e-4;
}

/** Times every candidate on `shape` and records the winner for its tune key. */
export async function autotune(gpu: Gpu, p: Problem, shape: MatmulShape, bMirror: boolean): Promise<TunedEntry> {
  const timer = new Timer(gpu, p, shape, bMirror);
  const tried: Record<string, number> = {};
  let best: { c: Candidate; ms: number } | undefined;
  try {
    for (const c of candidates(gpu, p)) {
      let ms: number;
      const t0 = performance.now();
      const err = await verifyCandidate(gpu, c, p);
      if (!(err <= verifyTolerance(c))) {
        console.warn(`[dlmk] matmul autotune: ${candidateName(c)} computes wrong results on ${gpu.description} (relative error ${err}); it is not used`);
        tried[candidateName(c)] = 0;
        continue;
      }
      try {
        ms = await timer.time(c, { giveUpMs: best ? best.ms * 4 : undefined, trials: 3 });
        if (process.env['DLMK_MATMUL_TUNE_LOG']) {
          console.error(`[dlmk] matmul tune ${tuneKey(p, bMirror)}: ${candidateName(c)} ${(flops(p) / ms / 1e6).toFixed(2)} GFLOP/s (${ms.toFixed(2)} ms/call, ${(performance.now() - t0).toFixed(0)} ms to measure)`);
        }
      } catch (err) {
        console.warn(`[dlmk] matmul autotune: ${candidateName(c)} failed and is skipped: ${(err as Error).message}`);
        continue;
      }
      tried[candidateName(c)] = Number((flops(p) / ms / 1e6).toFixed(2));
      if (!best || ms < best.ms) best = { c, ms };
    }
  } finally {
    timer.destroy();
  }
  if (!best) throw new Error('matmul autotune: no variant could run this shape');
  const entry: TunedEntry = {
    variant: best.c.impl.name,
    config: best.c.config,
    gflops: Number((flops(p) / best.ms / 1e6).toFixed(2)),
    tried,
    shape: `${p.M}x${p.N}x${p.K}x${p.batchOuter * p.batchInner}`,
    at: new Date().toISOString(),
    version: KERNELS_VERSION,
  };
  storeTuned(adapterKey(gpu), tuneKey(p, bMirror), entry);
  return entry;
}
