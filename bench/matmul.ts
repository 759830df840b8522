// Matmul throughput: dlmk's chosen variant and every candidate, against tfjs with its wasm
// backend (XNNPACK) measured in the same run, and against this CPU's fp32 peak.
//
//   npx tsx bench/matmul.ts [--shapes 256x256x256,1024x1024x1024,4096x256x1024] [--all]
//   LP_NATIVE_VECTOR_WIDTH=512 npx tsx bench/matmul.ts ...   (lavapipe at 512 bits, AVX-512 CPUs)
//
// Shapes are M x N x K: C (M x N) = A (M x K) @ B (K x N). "weight B" rows treat B as a layer
// weight held in a WeightMirror (packed once, re-packed only after invalidate(); that refresh is
// timed on its own); "packed B" rows pack B on every call, as for an activation. --all times
// every candidate at every shape (by default a candidate under 10% of the best at the first
// shape is not timed at the larger ones).
import { getGpu, readF32, storageBuffer } from '../runtime/gpu/index.ts';
import {
  autotuneCachePath,
  createWeightMirror,
  encodeMatmul,
  matmulCandidates,
  prepareMatmul,
  timeMatmul,
  timeMirrorRefresh,
  type MatmulTiming,
} from '../runtime/nn/matmul/index.ts';
import { cpuPeak, fmt, lpad, pad, tfjsWasm } from './util.ts';

const argv = process.argv.slice(2);
const arg = (name: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const shapes = (arg('--shapes') ?? '256x256x256,1024x1024x1024,4096x256x1024').split(',').map((s) => {
  const [M, N, K] = s.split('x').map(Number);
  if (!M || !N || !K) throw new Error(`--shapes: '${s}' is not MxNxK`);
  return { M, N, K };
});
const all = argv.includes('--all');

const gpu = await getGpu();
const cpu = cpuPeak();
const tf = await tfjsWasm();
console.log(`adapter: ${gpu.description}${gpu.isSoftware ? ' (software)' : ''}; subgroups ${gpu.hasSubgroups ? `${gpu.subgroupMinSize}..${gpu.subgroupMaxSize}` : 'none'}; shader-f16 ${gpu.hasF16 ? 'yes' : 'no'}`);
console.log(`cpu: ${cpu.model}; fp32 peak at lavapipe's width: ${cpu.formula}${cpu.hasAvx512 ? ` (at 512 bits: ${fmt(cpu.gflops512, 0)})` : ''}`);
if (gpu.isSoftware) {
  console.log(`lavapipe threads: LP_NUM_THREADS=${process.env['LP_NUM_THREADS'] ?? '(default: one per core)'}`);
  // The width is read when the driver loads; runtime/gpu gives each set width its own Mesa shader cache.
  console.log(`lavapipe width: LP_NATIVE_VECTOR_WIDTH=${process.env['LP_NATIVE_VECTOR_WIDTH'] ?? '(default: 256)'}; Mesa shader cache: ${process.env['MESA_SHADER_CACHE_DIR'] ?? "(Mesa's default)"}`);
}
console.log(`peer: ${tf.name}`);
console.log(`autotune cache: ${autotuneCachePath()}`);

function random(n: number, seed: number): Float32Array {
  let s = seed >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 32 - 0.5;
  }
  return out;
}

/** dlmk's chosen variant on real data, compared with the peer's product. */
async function check(M: number, N: number, K: number, a: Float32Array, b: Float32Array, want: Float32Array): Promise<number> {
  const ba = storageBuffer(gpu, a);
  const bb = storageBuffer(gpu, b);
  const bc = storageBuffer(gpu, M * N * 4);
  const enc = gpu.device.createCommandEncoder();
  encodeMatmul({ gpu, encoder: enc }, { M, N, K, a: { buffer: ba }, b: createWeightMirror(gpu, { buffer: bb }), c: { buffer: bc } });
  gpu.device.queue.submit([enc.finish()]);
  const got = await readF32(gpu, bc, M * N);
  let err = 0;
  let scale = 0;
  for (let i = 0; i < want.length; i++) {
    err = Math.max(err, Math.abs(got[i]! - want[i]!));
    scale = Math.max(scale, Math.abs(want[i]!));
  }
  for (const x of [ba, bb, bc]) x.destroy();
  return err / scale;
}

const header = `${pad('', 34)}${lpad('ms/call', 10)}${lpad('GFLOP/s', 9)}${lpad('x tfjs', 8)}${lpad('% peak', 8)}`;
const firstBest = new Map<string, number>();
const summary: string[] = [];
for (const [si, { M, N, K }] of shapes.entries()) {
  const flop = 2 * M * N * K;
  console.log(`\n== ${M} x ${N} x ${K} (M x N x K), ${fmt(flop / 1e9, 2)} GFLOP per call`);
  const a = random(M * K, 1);
  const b = random(K * N, 2);
  const peer = tf.matmul(a, b, M, N, K);
  const peerGf = flop / peer.ms / 1e6;
  console.log(header);
  // The CPU-peak column describes work done on this CPU: the peer, and dlmk on a software adapter.
  const row = (name: string, ms: number, onCpu = gpu.isSoftware) => {
    const gf = flop / ms / 1e6;
    console.log(`${pad(name, 34)}${lpad(fmt(ms, 2), 10)}${lpad(fmt(gf), 9)}${lpad(fmt(gf / peerGf, 2), 8)}${lpad(onCpu ? fmt((100 * gf) / cpu.gflops) : '-', 8)}`);
    return gf;
  };
  row('tfjs-wasm', peer.ms, true);
  const shapeW = { M, N, K, bMirror: true };
  const shape = { M, N, K };
  const prepW = await prepareMatmul(gpu, shapeW);
  await prepareMatmul(gpu, shape);
  const chosenW = await timeMatmul(gpu, shape, { bMirror: true });
  const chosen = await timeMatmul(gpu, shape);
  const gfW = row(`dlmk, weight B: ${chosenW.name}`, chosenW.msPerCall);
  row(`dlmk, packed B: ${chosen.name}`, chosen.msPerCall);
  const refresh = await timeMirrorRefresh(gpu, shape);
  if (refresh > 0) console.log(`${pad('  weight mirror refresh (per change)', 34)}${lpad(fmt(refresh, 3), 10)}`);
  const relErr = await check(M, N, K, a, b, peer.out);
  console.log(`  chosen (${prepW.source}) vs tfjs: max |diff| / max |C| = ${relErr.toExponential(1)}`);
  console.log('  every candidate (packed B; f16 = f16 operands, f32 accumulation, opt-in):');
  const timings: MatmulTiming[] = [];
  for (const name of matmulCandidates(gpu, { ...shape, allowF16: true })) {
    const best0 = firstBest.get(name);
    const top = Math.max(...firstBest.values());
    if (!all && si > 0 && best0 !== undefined && best0 < 0.1 * top) {
      console.log(`  ${pad(name, 32)}${lpad('skipped', 10)}  (${fmt(best0)} GFLOP/s at the first shape; --all times it)`);
      continue;
    }
    const t = await timeMatmul(gpu, { ...shape, allowF16: true }, { candidate: name });
    timings.push(t);
    if (si === 0) firstBest.set(name, t.gflops);
    row(`  ${name}`, t.msPerCall);
  }
  summary.push(
    `${M}x${N}x${K}: dlmk ${fmt(gfW)} GFLOP/s (${chosenW.name}, weight B), tfjs-wasm ${fmt(peerGf)}, ratio ${fmt(gfW / peerGf, 2)}` +
      (gpu.isSoftware ? `, ${fmt((100 * gfW) / cpu.gflops)}% of CPU peak` : ''),
  );
}
console.log(`\nsummary (${gpu.description}):`);
for (const s of summary) console.log(`  ${s}`);
process.exit(0);
