// Training-step throughput of the DiT denoiser: a full step (forward, cross-entropy on the clean
// tokens, backward, gradient clipping, AdamW) recorded into one command buffer, one submit and one
// readback per step, as the trainer runs it.
//
// Prints, per size: B, L, V, the parameter count, ms per step and tokens/s; the model FLOPs per
// step (6 x matmul parameters x tokens + 12 x layers x L x d x tokens for attention) as GFLOP/s;
// and, as the peer measured in the same run, the GFLOP/s of the matmul layer alone on the MLP's
// up-projection shape (M = B*L, K = d, N = 4d): the ratio says how much of the matmul layer's
// speed a whole step keeps. Where the adapter has timestamp queries, a few profiled steps split
// GPU time into matmul passes and the rest (all passes are timed then, so those steps are slower).
//
// With `--peer torch`, the same step of the same model (bench/peers/torch_dit.py: same layers,
// shapes, initialisation, loss, clipping and AdamW) runs in PyTorch on the same shapes in the same
// run (CPU, or CUDA with `--torch-device cuda`, strict fp32), and the bench prints both tokens/s,
// their ratio and both peak memories (dlmk: GPU buffers held for the step: parameters, gradients,
// AdamW state, pooled temporaries and inputs; PyTorch: peak RSS on CPU, max_memory_allocated on CUDA).
// Without an importable torch it says how to get it and prints dlmk's figures alone.
//
// Usage: npx tsx bench/train-step.ts [--sizes tiny,small] [--L 128] [--V 256] [--B tiny=32,small=8]
//                                    [--steps 5] [--warmup 3] [--profile-steps 2]
//                                    [--peer torch [--python python3] [--torch-device cpu|cuda] [--threads N]]
// On a GPU machine without the npm toolchain: bundle it here with
//   node_modules/.bin/esbuild bench/train-step.ts --bundle --platform=node --format=esm --external:webgpu --outfile=train-step.mjs
// and run `node train-step.mjs` there next to node_modules/webgpu (its dist/linux-x64/dawn.node and a
// Vulkan loader; on NVIDIA set VK_DRIVER_FILES to the driver's nvidia_icd.json if Dawn finds no adapter).
// Batch sizes default to tiny 64 / small 64 on hardware adapters, 32 / 4 on software ones.
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { getGpu, profileEntries, Recorder, resetProfile, type Gpu } from '../runtime/gpu/index.ts';
import { AdamWOptimizer, type Tensor } from '../runtime/nn/index.ts';
import { encodeMatmul, prepareMatmul } from '../runtime/nn/matmul/index.ts';
import { crossEntropyLoss, ditConfig, recordTrainStep, TransformerModel, type DitConfig, type ModelSize } from '../runtime/nn/models/index.ts';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : def;
}

const sizes = arg('sizes', 'tiny,small').split(',') as ModelSize[];
const L = Number(arg('L', '128'));
const V = Number(arg('V', '256'));
const steps = Number(arg('steps', '5'));
const warmup = Number(arg('warmup', '3'));
const profileSteps = Number(arg('profile-steps', '2'));
const peerName = arg('peer', '');
// Debian's python3-torch lives under /usr/bin/python3, which another python3 on PATH (pyenv) may hide.
let python = arg('python', '');
const torchDevice = arg('torch-device', 'cpu');
const threads = Number(arg('threads', String(availableParallelism())));
let peerOff = false;
if (peerName && peerName !== 'torch') throw new Error(`--peer: the only peer is 'torch', got '${peerName}'`);

/** Whether `python` imports torch; the reason when not. */
function torchAvailable(): { ok: true; version: string } | { ok: false; why: string } {
  const tried: string[] = [];
  for (const py of python ? [python] : ['python3', '/usr/bin/python3']) {
    const r = spawnSync(py, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
    if (r.error) tried.push(`${py} did not start`);
    else if (r.status !== 0) tried.push(`${py} cannot import torch`);
    else {
      python = py;
      return { ok: true, version: r.stdout.trim() };
    }
  }
  return { ok: false, why: tried.join(', ') };
}

interface PeerResult { params: number; ms_per_step: number; tokens_per_s: number; peak_mib: number; peak_kind: string; loss: number; torch: string; blas: string; threads: number }

/** The PyTorch step of the same model and shapes (bench/peers/torch_dit.py). */
function runPeer(cfg: DitConfig, B: number): PeerResult {
  const script = fileURLToPath(new URL('./peers/torch_dit.py', import.meta.url));
  const args = [script, '--hidden', cfg.hidden, '--layers', cfg.layers, '--heads', cfg.heads, '--cond', cfg.condDim, '--freq', cfg.freqDim,
    '--vocab', V, '--seq', L, '--batch', B, '--dropout', cfg.dropout, '--steps', steps, '--warmup', warmup, '--threads', threads,
    '--device', torchDevice, '--json'].map(String);
  const r = spawnSync(python, args, { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`the torch peer failed (exit ${r.status}):\n${r.stderr.slice(-2000)}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as PeerResult;
}

function batchSizes(gpu: Gpu): Record<string, number> {
  // Software adapters run about 1e10 FLOP/s: keep a step of `small` to seconds there.
  const def: Record<string, number> = gpu.isSoftware ? { tiny: 32, small: 4, base: 2 } : { tiny: 64, small: 64, base: 32 };
  for (const kv of arg('B', '').split(',').filter(Boolean)) {
    const [k, v] = kv.split('=');
    if (k && v) def[k] = Number(v);
  }
  return def;
}

function u32Buffer(gpu: Gpu, data: Uint32Array): Tensor {
  const buffer = gpu.device.createBuffer({ size: Math.max(16, data.byteLength), usage: 0x80 | 0x08, label: 'bench ids' });
  gpu.device.queue.writeBuffer(buffer, 0, data);
  return { buffer, offset: 0, shape: [data.length], dtype: 'u32' };
}

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** GFLOP/s of the matmul layer alone on [M, K] x [K, N]^T (the peer). */
async function matmulPeer(gpu: Gpu, M: number, K: number, N: number): Promise<number> {
  const mk = (n: number) => gpu.device.createBuffer({ size: n * 4, usage: 0x80 | 0x04 | 0x08 });
  const a = mk(M * K);
  const b = mk(N * K);
  const c = mk(M * N);
  const shape = { M, N, K, transB: true } as const;
  await prepareMatmul(gpu, shape);
  const rec = new Recorder(gpu, { profile: false });
  const reps = Math.max(1, Math.min(50, Math.round(2e10 / (2 * M * N * K) / (gpu.isSoftware ? 10 : 1))));
  const once = async (n: number) => {
    for (let i = 0; i < n; i++) encodeMatmul(rec, { ...shape, a: { buffer: a }, b: { buffer: b }, c: { buffer: c } });
    await rec.submit({ wait: true });
  };
  await once(1);
  const t0 = performance.now();
  await once(reps);
  const s = (performance.now() - t0) / 1000;
  for (const x of [a, b, c]) x.destroy();
  return (2 * M * N * K * reps) / s / 1e9;
}

async function benchSize(gpu: Gpu, size: ModelSize, B: number): Promise<void> {
  const cfg: DitConfig = ditConfig(size, V, { dropout: 0.1 });
  const model = new TransformerModel(gpu, cfg, { seed: 1 });
  const opt = new AdamWOptimizer(model.registry, { lr: 3e-4, maxGradNorm: 1 });
  const N = B * L;
  const d = cfg.hidden;
  const u = rng(7);
  // Two batches alternate (uploaded once): masked inputs, clean targets, per-sequence times.
  const batches = [0, 1].map(() => {
    const x0 = Uint32Array.from({ length: N }, () => Math.floor(u() * V));
    const xt = x0.map((v) => (u() < 0.5 ? V : v));
    return { ids: u32Buffer(gpu, xt), targets: u32Buffer(gpu, x0), time: Array.from({ length: B }, () => u()) };
  });
  await model.prepare(new Recorder(gpu), B, L);
  let k = 0;
  const step = async (rec: Recorder) => {
    const b = batches[k % 2]!;
    const loss = recordTrainStep(rec, model, { opt }, { B, L, ids: b.ids, time: b.time, dropoutSeed: 1000 + k }, crossEntropyLoss(b.targets));
    const out = new Float32Array(1);
    rec.read(loss, out);
    await rec.submit();
    k++;
    if (!Number.isFinite(out[0]!)) throw new Error(`${size}: the loss is ${out[0]} at step ${k}`);
    return out[0]!;
  };
  // Warm-up steps compile the pipelines. WORKAROUND (runtime/gpu owner): on software adapters the
  // recorder sleeps before each readback for 0.9 x its previous step's time, and after a slow first
  // step (compilation) that estimate decays only ~10% per step, so the following steps oversleep
  // (measured: 3.9, 2.9, 2.7, ... 1.6 s for a 0.6 s step). The timed steps therefore use a fresh
  // recorder, whose first (untimed) step measures the true time.
  const warm = new Recorder(gpu, { profile: false });
  for (let i = 0; i < warmup; i++) await step(warm);
  const rec = new Recorder(gpu, { profile: false });
  await step(rec);
  const t0 = performance.now();
  let last = 0;
  for (let i = 0; i < steps; i++) last = await step(rec);
  const ms = (performance.now() - t0) / steps;

  // Model FLOPs per step (the usual accounting): 6 per matmul weight per token, 12 L d per token per layer for attention.
  let matmulParams = 0;
  for (const t of model.tensors) if (t.kind === 'linear') matmulParams += t.shape[0]! * t.shape[1]!;
  const flops = N * (6 * matmulParams + 12 * cfg.layers * L * d);
  const gflops = flops / (ms / 1000) / 1e9;
  const peer = await matmulPeer(gpu, N, d, 4 * d);

  console.log(
    `${size.padEnd(6)} B ${String(B).padStart(3)}  L ${L}  V ${V}  params ${(model.parameterCount / 1e6).toFixed(3)}M  ` +
      `${ms.toFixed(1)} ms/step  ${((N / ms) * 1000).toFixed(0)} tokens/s  ${gflops.toFixed(2)} GFLOP/s  ` +
      `(peer: matmul ${N}x${d}x${4 * d} alone ${peer.toFixed(2)} GFLOP/s; step/peer ${(gflops / peer).toFixed(2)})  loss ${last.toFixed(3)}`,
  );

  if (gpu.hasTimestamps && profileSteps > 0) {
    const prec = new Recorder(gpu, { profile: true });
    await step(prec);
    resetProfile();
    for (let i = 0; i < profileSteps; i++) await step(prec);
    const entries = profileEntries();
    let mm = 0;
    let total = 0;
    for (const e of entries) {
      total += e.totalMs;
      if (e.label.startsWith('matmul')) mm += e.totalMs;
    }
    const top = entries.filter((e) => !e.label.startsWith('matmul')).slice(0, 6).map((e) => `${e.label} ${(100 * e.totalMs / total).toFixed(1)}%`).join(', ');
    console.log(
      `${''.padEnd(6)} GPU time per profiled step ${(total / profileSteps).toFixed(1)} ms: matmul ${(100 * mm / total).toFixed(1)}%, rest ${(100 * (total - mm) / total).toFixed(1)}% (largest: ${top})`,
    );
    resetProfile();
  } else if (profileSteps > 0) {
    console.log(`${''.padEnd(6)} (no timestamp queries on this adapter: no matmul share)`);
  }
  // GPU memory the step holds: the registry (parameters and gradients), AdamW's moments and
  // statistics, the recorder's pooled temporaries (the pool keeps its peak) and the input batches.
  const held = model.registry.params.buffer.size + model.registry.grads.buffer.size +
    [opt.m, opt.v, opt.stats].reduce((a, t) => a + t.buffer.size, 0) + rec.pool.stats().allocatedBytes +
    batches.reduce((a, b) => a + b.ids.buffer.size + b.targets.buffer.size, 0);
  const mib = held / 2 ** 20;
  if (peerName === 'torch' && !peerOff) {
    const p = runPeer(cfg, B);
    const ratio = (N / ms) * 1000 / p.tokens_per_s;
    console.log(
      `${''.padEnd(6)} torch ${p.torch} ${torchDevice} (${p.blas}, ${p.threads} threads): params ${(p.params / 1e6).toFixed(3)}M  ` +
        `${p.ms_per_step.toFixed(1)} ms/step  ${p.tokens_per_s.toFixed(0)} tokens/s  loss ${p.loss.toFixed(3)}`,
    );
    console.log(`${''.padEnd(6)} dlmk/torch tokens/s ${ratio.toFixed(2)}x   memory: dlmk ${mib.toFixed(0)} MiB GPU buffers, torch ${p.peak_mib.toFixed(0)} MiB (${p.peak_kind})`);
    if (p.params !== model.parameterCount) console.log(`${''.padEnd(6)} WARNING: parameter counts differ (dlmk ${model.parameterCount}, torch ${p.params}): not the same model`);
  } else {
    console.log(`${''.padEnd(6)} memory: ${mib.toFixed(0)} MiB of GPU buffers held for the step`);
  }
  for (const b of batches) {
    b.ids.buffer.destroy();
    b.targets.buffer.destroy();
  }
  for (const t of [opt.m, opt.v, opt.stats]) t.buffer.destroy();
  model.destroy();
}

async function main(): Promise<void> {
  const gpu = await getGpu();
  console.log(`adapter: ${gpu.description}${gpu.isSoftware ? ' (software)' : ''}`);
  const bs = batchSizes(gpu);
  if (peerName === 'torch') {
    const t = torchAvailable();
    if (!t.ok) {
      console.log(`--peer torch: ${t.why}; dlmk's figures alone. On Debian: apt-get install python3-torch libopenblas0-openmp ` +
        `(the peer puts OpenBLAS's OpenMP build first itself), or point --python at a Python with torch.`);
      peerOff = true;
    } else console.log(`peer: PyTorch ${t.version} (${python}, ${torchDevice}), same model and step, same run`);
  }
  for (const s of sizes) await benchSize(gpu, s, bs[s] ?? 8);
}

await main();
