// The whole trainer's throughput next to the bare model step, measured in the same run.
//
// trainer: `train()` on the embedded corpus (SOTU, the `words` tokenizer with V tokens): data from
//   the batcher, the kernel's corruption and loss (ELBO with gradient) on the GPU, the DiT's forward
//   and backward, clipping, AdamW, EMA, the LR schedule, metrics; tokens/s over the steps after the
//   warm-up (validation and checkpoints, which run after the last step, are not in it).
// bare: the same DiT (same config, B, L, V) trained on fixed random batches with plain
//   cross-entropy (runtime/nn/models recordTrainStep, as bench/train-step.ts): no data, no kernel.
// The ratio trainer / bare is what the trainer keeps of the model step (target >= 0.9 for masking).
//
// Usage: npx tsx bench/train.ts [--kernels masking,semdlm_plus] [--size tiny] [--V 2048] [--L 64]
//                               [--B 16] [--steps 20] [--warmup 4]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getGpu, Recorder } from '../runtime/gpu/index.ts';
import { AdamWOptimizer, EmaWeights } from '../runtime/nn/index.ts';
import { crossEntropyLoss, recordTrainStep, TransformerModel, type ModelConfig } from '../runtime/nn/models/index.ts';
import { train } from '../runtime/train/index.ts';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : def;
}
const kernels = arg('kernels', 'masking,semdlm_plus').split(',');
const size = arg('size', 'tiny');
const V = Number(arg('V', '2048'));
const L = Number(arg('L', '64'));
const B = Number(arg('B', '16'));
const steps = Number(arg('steps', '20'));
const warmup = Number(arg('warmup', '4'));
const root = mkdtempSync(join(tmpdir(), 'dlmk-bench-train-'));

/** The trainer's tokens/s over the steps after `warmup`, and the model config it used. */
async function trainer(kernel: string): Promise<{ tps: number; cfg: ModelConfig }> {
  const stamps: number[] = [];
  const out = join(root, kernel);
  const r = await train(
    {
      format: 'dlmk.run/1',
      data: { corpus: { name: 'sotu' }, tokenizer: { name: 'words', size: V }, length: L, cacheDir: join(process.cwd(), '.dlmk-cache') },
      model: { size, dropout: 0.1 },
      kernel: { path: kernel },
      optimizer: { warmupSteps: 2, emaDecay: 0.999 },
      batchSize: B,
      budget: { steps: warmup + steps },
      validation: { every: 0, rows: 1, grid: 1 },
      checkpoint: { every: 0, keep: 1 },
      log: { every: 1000 },
    },
    { out, onStep: () => stamps.push(performance.now()) },
  );
  const { readFileSync } = await import('node:fs');
  const cfg = (JSON.parse(readFileSync(join(r.checkpoint!, 'manifest.json'), 'utf8')) as { model: ModelConfig }).model;
  const s = (stamps[stamps.length - 1]! - stamps[warmup - 1]!) / 1000;
  return { tps: (steps * B * L) / s, cfg };
}

/** The bare model step's tokens/s for `cfg` (fresh recorder after the warm-up, as bench/train-step.ts). */
async function bare(cfg: ModelConfig): Promise<number> {
  const gpu = await getGpu();
  const model = new TransformerModel(gpu, cfg, { seed: 1 });
  const opt = new AdamWOptimizer(model.registry, { lr: 3e-4, maxGradNorm: 1 });
  const N = B * L;
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296);
  const mk = (data: Uint32Array) => {
    const buffer = gpu.device.createBuffer({ size: data.byteLength, usage: 0x80 | 0x08 });
    gpu.device.queue.writeBuffer(buffer, 0, data);
    return { buffer, offset: 0, shape: [data.length], dtype: 'u32' as const };
  };
  const x0 = Uint32Array.from({ length: N }, () => Math.floor(rnd() * cfg.vocabSize));
  const ids = mk(x0.map((v) => (rnd() < 0.5 && cfg.arch === 'dit' && cfg.maskToken ? cfg.vocabSize : v)));
  const targets = mk(x0);
  const time = Array.from({ length: B }, () => rnd());
  const warm = new Recorder(gpu);
  const ema = new EmaWeights(model.registry, 0.999, warm);
  await model.prepare(warm, B, L);
  let k = 0;
  const step = async (rec: Recorder) => {
    const loss = recordTrainStep(rec, model, { opt, ema }, { B, L, ids, time, dropoutSeed: 1000 + k++ }, crossEntropyLoss(targets));
    const out = new Float32Array(1);
    rec.read(loss, out);
    await rec.submit();
  };
  for (let i = 0; i < warmup; i++) await step(warm);
  const rec = new Recorder(gpu);
  await step(rec);
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) await step(rec);
  const s = (performance.now() - t0) / 1000;
  model.destroy();
  return (steps * N) / s;
}

const gpu = await getGpu();
console.log(`adapter: ${gpu.description}${gpu.isSoftware ? ' (software)' : ''}; DiT ${size}, V ${V} (SOTU words), B ${B}, L ${L}, ${steps} timed steps after ${warmup}`);
console.log('kernel        bare step tok/s   trainer tok/s   trainer / bare');
for (const k of kernels) {
  const t = await trainer(k);
  const b = await bare(t.cfg);
  console.log(`${k.padEnd(12)}  ${b.toFixed(0).padStart(15)}   ${t.tps.toFixed(0).padStart(13)}   ${(t.tps / b).toFixed(2).padStart(14)}`);
}
rmSync(root, { recursive: true, force: true });
process.exit(0);
