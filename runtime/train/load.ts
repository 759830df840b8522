// A trained model back from its run folder, for sampling and evaluation: the run's spec, data
// (tokenizer, held-out rows, unigram law), the kernel runtime rebuilt and bound to the same graphs
// (their hashes must match what the model was trained with), and the model with the checkpoint's
// EMA weights (or its raw weights). A checkpoint outside a run folder, or one whose tokenizer,
// kernel or graphs differ from the folder's, is refused with a message that says which.
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { CheckpointManifest } from '../../specs/types/checkpoint.ts';
import type { KernelSpec } from '../../specs/types/kernel.ts';
import { getGpu, Recorder, type Gpu } from '../gpu/index.ts';
import { CheckpointError, readManifest } from '../io/index.ts';
import type { KernelRuntime } from '../kernel/index.ts';
import { loadModelCheckpoint, TransformerModel } from '../nn/models/index.ts';
import { EmaWeights } from '../nn/index.ts';
import { ModelDenoiser } from '../denoiser/index.ts';
import { listCheckpoints } from './checkpoints.ts';
import { TrainError } from './errors.ts';
import { setupKernel, specSha256 } from './kernel.ts';
import { graphVectors, setupData, type RunData } from './setup.ts';
import { readRunSpecFile, validateRunSpec, type RunSpec } from './spec.ts';
import { readFileSync } from 'node:fs';

export interface LoadedRun {
  /** The run folder. */
  readonly out: string;
  readonly spec: RunSpec;
  readonly baseDir: string;
  readonly checkpoint: { readonly dir: string; readonly manifest: CheckpointManifest };
  readonly gpu: Gpu;
  readonly data: RunData;
  /** The kernel runtime (DiT runs) and its bound spec. */
  readonly rt: KernelRuntime | null;
  readonly kernelSpec: KernelSpec | null;
  readonly model: TransformerModel;
  /** A denoiser over the model (DiT runs). */
  readonly denoiser: ModelDenoiser | null;
  /** Which weights are loaded. */
  readonly weights: 'ema' | 'raw';
}

/** The run folder and checkpoint a path names: a run folder (its newest checkpoint) or a checkpoint inside one. */
export function locateCheckpoint(path: string): { out: string; dir: string } {
  const p = resolve(path);
  if (!existsSync(p) || !statSync(p).isDirectory()) throw new TrainError(`${path}: no such folder (give a run folder, or a checkpoint folder inside one)`);
  if (existsSync(join(p, 'run.json'))) {
    const all = listCheckpoints(p);
    if (!all.length) throw new TrainError(`${path} is a run folder without a complete checkpoint (has it trained a step?)`);
    return { out: p, dir: all[all.length - 1]!.dir };
  }
  if (existsSync(join(p, 'manifest.json'))) {
    const out = dirname(dirname(p));
    if (basename(dirname(p)) !== 'checkpoints' || !existsSync(join(out, 'run.json'))) {
      throw new TrainError(`${path} is a checkpoint outside a dlmk run folder: sampling and evaluation need the run's data, tokenizer and kernel (run.json and kernel.spec.json beside checkpoints/)`);
    }
    return { out, dir: p };
  }
  throw new TrainError(`${path} is neither a run folder (run.json) nor a checkpoint (manifest.json)`);
}

/** Loads a run's model (EMA weights by default) with its data and kernel. */
export async function loadRun(path: string, o: { ema?: boolean; log?: (l: string) => void } = {}): Promise<LoadedRun> {
  const log = o.log ?? (() => {});
  const { out, dir } = locateCheckpoint(path);
  let manifest: CheckpointManifest;
  try {
    manifest = await readManifest(dir);
  } catch (err) {
    throw new TrainError(`${dir}: ${(err as Error).message}`);
  }
  let baseDir = out;
  try {
    const meta = JSON.parse(readFileSync(join(out, 'run.meta.json'), 'utf8')) as { baseDir?: string };
    if (typeof meta.baseDir === 'string') baseDir = meta.baseDir;
  } catch {
    // run.meta.json missing: paths resolve against the run folder.
  }
  const { spec } = validateRunSpec(readRunSpecFile(join(out, 'run.json')), { what: join(out, 'run.json'), baseDir });
  const gpu = await getGpu();
  const data = await setupData(spec, baseDir, { log });
  const tok = manifest.tokenizer;
  if (tok && (tok.id !== data.tokenizer.id || (tok.sha256 !== undefined && tok.sha256 !== data.tokenizer.sha256))) {
    throw new TrainError(`${dir} was trained with tokenizer ${tok.id}, but the run's data now gives ${data.tokenizer.id} (another vocabulary); the model's ids would not mean the same tokens`);
  }
  let rt: KernelRuntime | null = null;
  let kernelSpec: KernelSpec | null = null;
  if (manifest.model.arch === 'dit') {
    const kfile = join(out, 'kernel.spec.json');
    if (!existsSync(kfile)) throw new TrainError(`${out} has no kernel.spec.json: the kernel the model was trained with is unknown`);
    const k = await setupKernel(gpu, kfile, {}, out, {
      V: data.tokenizer.vocabSize,
      unigram: data.unigram,
      log,
      embeddings: () => graphVectors(spec, baseDir, data, log),
    });
    if (manifest.kernel && manifest.kernel.specSha256 !== specSha256(k.spec)) {
      throw new TrainError(`${dir} was trained with another kernel spec than ${kfile} (spec hash ${manifest.kernel.specSha256.slice(0, 12)}, now ${specSha256(k.spec).slice(0, 12)})`);
    }
    rt = k.rt;
    kernelSpec = k.spec;
  }
  const model = new TransformerModel(gpu, manifest.model, { seed: manifest.seed });
  const useEma = (o.ema ?? true) && manifest.files.ema !== undefined;
  try {
    if (useEma) {
      // Load the EMA into a scratch EmaWeights, then copy it over the parameters.
      const rec = new Recorder(gpu);
      const ema = new EmaWeights(model.registry, 0.5, rec);
      await rec.submit({ wait: true });
      await loadModelCheckpoint(dir, model, { ema });
      rec.copy(ema.values, model.registry.params, model.registry.size);
      await rec.submit({ wait: true });
      ema.values.buffer.destroy();
    } else {
      await loadModelCheckpoint(dir, model);
    }
  } catch (err) {
    if (err instanceof CheckpointError) throw new TrainError(`${dir}: ${err.message}`);
    throw err;
  }
  log(`loaded ${dir} (step ${manifest.step}, ${useEma ? 'EMA' : 'raw'} weights)`);
  return { out, spec, baseDir, checkpoint: { dir, manifest }, gpu, data, rt, kernelSpec, model, denoiser: rt ? new ModelDenoiser(model, rt) : null, weights: useEma ? 'ema' : 'raw' };
}
