// Shared by the benchmarks: this CPU's fp32 peak (from /proc/cpuinfo), formatting, and the
// tfjs wasm peer.
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { createRequire } from 'node:module';

export interface CpuPeak {
  model: string;
  cores: number;
  ghz: number;
  /** Vector width lavapipe compiles for (LP_NATIVE_VECTOR_WIDTH, default 256). */
  lavapipeBits: number;
  hasFma: boolean;
  hasAvx512: boolean;
  /** cores x GHz x FMA units x fp32 lanes x 2, at lavapipe's width. */
  gflops: number;
  /** The same at 512 bits where the CPU has AVX-512F (reference only). */
  gflops512: number;
  formula: string;
}

/**
 * Peak fp32 GFLOP/s = cores x GHz x FMA units (2 with FMA, else one adder + one multiplier
 * counted as 1) x (vector bits / 32) x 2 flops per FMA. Clock: /proc/cpuinfo "cpu MHz" (what
 * the VM reports; turbo clocks can be higher, which would lower the fractions printed).
 */
export function cpuPeak(): CpuPeak {
  let text = '';
  try {
    text = readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    // not Linux: fall back to os.cpus()
  }
  const flags = new Set((/^flags\s*:\s*(.*)$/m.exec(text)?.[1] ?? '').split(/\s+/));
  const mhz = Number(/^cpu MHz\s*:\s*([\d.]+)/m.exec(text)?.[1] ?? cpus()[0]?.speed ?? 0);
  const model = /^model name\s*:\s*(.*)$/m.exec(text)?.[1] ?? cpus()[0]?.model ?? 'unknown CPU';
  const cores = cpus().length;
  const ghz = mhz / 1000;
  const hasFma = flags.has('fma');
  const hasAvx512 = flags.has('avx512f');
  const lavapipeBits = Number(process.env['LP_NATIVE_VECTOR_WIDTH'] ?? 256);
  const units = hasFma ? 2 : 1;
  const peak = (bits: number) => cores * ghz * units * (bits / 32) * 2;
  return {
    model,
    cores,
    ghz,
    lavapipeBits,
    hasFma,
    hasAvx512,
    gflops: peak(lavapipeBits),
    gflops512: hasAvx512 ? peak(512) : peak(lavapipeBits),
    formula: `${cores} cores x ${ghz.toFixed(2)} GHz x ${units} FMA units x ${lavapipeBits / 32} lanes (${lavapipeBits}-bit) x 2 = ${peak(lavapipeBits).toFixed(0)} GFLOP/s`,
  };
}

export function fmt(x: number, digits = 1): string {
  return Number.isFinite(x) ? x.toFixed(digits) : '-';
}

export function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

export function lpad(s: string, n: number): string {
  return s.length >= n ? s : ' '.repeat(n - s.length) + s;
}

export interface TfPeer {
  name: string;
  /** C = A @ B for row-major A (M x K) and B (K x N); returns the result and ms per call (best of trials). */
  matmul(a: Float32Array, b: Float32Array, M: number, N: number, K: number, opts?: { targetMs?: number; trials?: number }): { out: Float32Array; ms: number };
}

/** tfjs-core with the wasm backend loaded from node_modules (single-threaded in Node). */
export async function tfjsWasm(): Promise<TfPeer> {
  const tf = await import('@tensorflow/tfjs-core');
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const require = createRequire(import.meta.url);
  const dir = require.resolve('@tensorflow/tfjs-backend-wasm').replace(/[^/]*$/, '');
  wasm.setWasmPaths(dir);
  await tf.setBackend('wasm');
  await tf.ready();
  const simd = tf.env().getBool('WASM_HAS_SIMD_SUPPORT');
  const threads = wasm.getThreadsCount();
  return {
    name: `tfjs-wasm ${tf.version_core} (XNNPACK, ${simd ? 'SIMD' : 'no SIMD'}, ${threads} thread${threads === 1 ? '' : 's'})`,
    matmul(a, b, M, N, K, opts = {}) {
      const ta = tf.tensor2d(a, [M, K]);
      const tb = tf.tensor2d(b, [K, N]);
      const once = () => {
        const c = tf.matMul(ta, tb);
        const v = c.dataSync() as Float32Array;
        c.dispose();
        return v;
      };
      const t0 = performance.now();
      const out = Float32Array.from(once());
      const first = performance.now() - t0;
      const reps = Math.max(1, Math.min(50, Math.round((opts.targetMs ?? 200) / Math.max(first, 1e-3))));
      let best = first;
      for (let t = 0; t < (opts.trials ?? 3); t++) {
        const t1 = performance.now();
        for (let i = 0; i < reps; i++) once();
        best = Math.min(best, (performance.now() - t1) / reps);
      }
      ta.dispose();
      tb.dispose();
      return { out, ms: best };
    },
  };
}
