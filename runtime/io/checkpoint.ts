// Checkpoints: a directory holding manifest.json (specs/checkpoint.schema.json) and safetensors
// files (model weights, AdamW moments, EMA weights). Layout, names and a PyTorch loader:
// docs/checkpoint.md.
//
// Saving writes every tensor file atomically (atomic.ts) and the manifest LAST, so a manifest
// never names a file that was not completely written. Loading trusts nothing: the manifest is
// validated against its schema, every file's size and SHA-256 are checked against it, every
// safetensors header is checked (safetensors.ts), and, given the model's parameter list, every
// tensor's name and shape. Each refusal is a CheckpointError naming the file and the tensor.
import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { assertValid, SpecValidationError } from '../../specs/validate.ts';
import type {
  CheckpointFile,
  CheckpointKernel,
  CheckpointManifest,
  CheckpointOptimizer,
  CheckpointTokenizer,
  CheckpointTrainer,
  ModelConfig,
} from '../../specs/types/checkpoint.ts';
import { writeFileAtomic } from './atomic.ts';
import { CheckpointError } from './errors.ts';
import { decodeSafetensors, encodeSafetensors, type NamedTensor } from './safetensors.ts';
import { dlmkVersion } from './version.ts';

export const MANIFEST = 'manifest.json';
export const FILE_NAMES = { weights: 'model.safetensors', optimizer: 'optimizer.safetensors', ema: 'ema.safetensors' } as const;
export type FileRole = keyof typeof FILE_NAMES;

/** A tensor the loader expects: the model's parameter list gives these. */
export interface ExpectedTensor {
  readonly name: string;
  readonly shape: readonly number[];
}

/** AdamW's first and second moments of parameter `name` are stored under these names (PyTorch's state keys). */
export function optimizerTensorNames(name: string): { m: string; v: string } {
  return { m: `exp_avg.${name}`, v: `exp_avg_sq.${name}` };
}

export interface CheckpointInput {
  step: number;
  seed: number;
  model: ModelConfig;
  kernel?: CheckpointKernel | null;
  tokenizer?: CheckpointTokenizer | null;
  /** The model's parameters, in the model's order. */
  weights: readonly NamedTensor[];
  /** AdamW's state: moments named by optimizerTensorNames. */
  optimizer?: CheckpointOptimizer & { tensors: readonly NamedTensor[] };
  /** EMA weights, named like `weights`. */
  ema?: readonly NamedTensor[];
  /** The trainer's state (runtime/train), for an exact resume. */
  trainer?: CheckpointTrainer;
}

export interface LoadedCheckpoint {
  readonly dir: string;
  readonly manifest: CheckpointManifest;
  readonly weights: ReadonlyMap<string, NamedTensor>;
  readonly optimizer?: ReadonlyMap<string, NamedTensor>;
  readonly ema?: ReadonlyMap<string, NamedTensor>;
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

async function writeTensors(dir: string, role: FileRole, tensors: readonly NamedTensor[], step: number): Promise<CheckpointFile> {
  const bytes = encodeSafetensors(tensors, { format: 'pt', 'dlmk.role': role, 'dlmk.step': String(step) });
  const path = FILE_NAMES[role];
  await writeFileAtomic(join(dir, path), bytes);
  return { path, bytes: bytes.byteLength, sha256: sha256(bytes) };
}

/** Writes a checkpoint into `dir` (created if missing); returns its manifest. */
export async function saveCheckpoint(dir: string, c: CheckpointInput): Promise<CheckpointManifest> {
  await mkdir(dir, { recursive: true });
  const files: CheckpointManifest['files'] = { weights: await writeTensors(dir, 'weights', c.weights, c.step) };
  let optimizer: CheckpointOptimizer | null = null;
  if (c.optimizer) {
    const { tensors, ...state } = c.optimizer;
    files.optimizer = await writeTensors(dir, 'optimizer', tensors, c.step);
    optimizer = state;
  }
  if (c.ema) files.ema = await writeTensors(dir, 'ema', c.ema, c.step);
  const manifest: CheckpointManifest = {
    format: 'dlmk.checkpoint/1',
    dlmkVersion: dlmkVersion(),
    step: c.step,
    seed: c.seed,
    model: c.model,
    kernel: c.kernel ?? null,
    tokenizer: c.tokenizer ?? null,
    optimizer,
    files,
    ...(c.trainer ? { trainer: c.trainer } : {}),
  };
  assertValid<CheckpointManifest>('checkpoint', manifest, 'checkpoint manifest');
  await writeFileAtomic(join(dir, MANIFEST), JSON.stringify(manifest, null, 2) + '\n');
  return manifest;
}

/** Reads and validates manifest.json of `dir`. */
export async function readManifest(dir: string): Promise<CheckpointManifest> {
  let text: string;
  try {
    text = await readFile(join(dir, MANIFEST), 'utf8');
  } catch (err) {
    throw new CheckpointError(MANIFEST, `cannot be read in ${dir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new CheckpointError(MANIFEST, `is not valid JSON: ${(err as Error).message}`);
  }
  try {
    return assertValid<CheckpointManifest>('checkpoint', doc, MANIFEST);
  } catch (err) {
    if (err instanceof SpecValidationError) {
      throw new CheckpointError(MANIFEST, `does not match specs/checkpoint.schema.json: ${err.issues.map((i) => `${i.path} ${i.message}`).join('; ')}`);
    }
    throw err;
  }
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

async function readTensors(dir: string, entry: CheckpointFile, expected: readonly ExpectedTensor[] | undefined): Promise<Map<string, NamedTensor>> {
  const file = entry.path;
  let bytes: Buffer;
  try {
    bytes = await readFile(join(dir, file));
  } catch (err) {
    throw new CheckpointError(file, `cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (bytes.byteLength !== entry.bytes) {
    throw new CheckpointError(file, `size mismatch: ${bytes.byteLength} bytes, the manifest says ${entry.bytes} (truncated or replaced)`);
  }
  const digest = sha256(bytes);
  if (digest !== entry.sha256) throw new CheckpointError(file, `sha256 mismatch: ${digest}, the manifest says ${entry.sha256} (corrupt or replaced)`);
  const st = decodeSafetensors(bytes, file);
  if (expected) {
    const want = new Set(expected.map((e) => e.name));
    for (const e of expected) {
      const got = st.entries.get(e.name);
      if (!got) throw new CheckpointError(file, `is missing; the model has it with shape [${e.shape.join(', ')}]`, e.name);
      if (!sameShape(got.shape, e.shape)) {
        throw new CheckpointError(file, `shape mismatch: [${got.shape.join(', ')}] in the file, the model expects [${e.shape.join(', ')}]`, e.name);
      }
    }
    for (const name of st.names) if (!want.has(name)) throw new CheckpointError(file, 'is not a tensor of this model', name);
  }
  const out = new Map<string, NamedTensor>();
  for (const name of st.names) out.set(name, { name, shape: st.entries.get(name)!.shape, data: st.tensor(name) });
  return out;
}

function configDiff(got: ModelConfig, want: ModelConfig): string | undefined {
  const a = got as unknown as Record<string, unknown>;
  const b = want as unknown as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  const diffs = keys.filter((k) => a[k] !== b[k]).map((k) => `${k} ${JSON.stringify(a[k])} (expected ${JSON.stringify(b[k])})`);
  return diffs.length ? diffs.join(', ') : undefined;
}

export interface LoadOptions {
  /** Refuse a checkpoint of another architecture. */
  model?: ModelConfig;
  /** The model's parameters: every weight (and EMA) tensor must be there with this shape, and nothing else. */
  params?: readonly ExpectedTensor[];
  /** Read the optimiser state too (default true when the manifest has one). */
  optimizer?: boolean;
}

/** Loads and verifies the checkpoint in `dir`. */
export async function loadCheckpoint(dir: string, opts: LoadOptions = {}): Promise<LoadedCheckpoint> {
  const manifest = await readManifest(dir);
  if (opts.model) {
    const d = configDiff(manifest.model, opts.model);
    if (d) throw new CheckpointError(MANIFEST, `model mismatch: ${d}`);
  }
  const weights = await readTensors(dir, manifest.files.weights, opts.params);
  let optimizer: Map<string, NamedTensor> | undefined;
  if (manifest.files.optimizer && opts.optimizer !== false) {
    if (!manifest.optimizer) throw new CheckpointError(MANIFEST, 'names an optimizer file but no optimizer state');
    const want = opts.params?.flatMap((p) => {
      const n = optimizerTensorNames(p.name);
      return [
        { name: n.m, shape: p.shape },
        { name: n.v, shape: p.shape },
      ];
    });
    optimizer = await readTensors(dir, manifest.files.optimizer, want);
  } else if (opts.optimizer === true) {
    throw new CheckpointError(MANIFEST, 'has no optimizer state (weights-only checkpoint); it cannot resume training');
  }
  const ema = manifest.files.ema ? await readTensors(dir, manifest.files.ema, opts.params) : undefined;
  return { dir, manifest, weights, ...(optimizer ? { optimizer } : {}), ...(ema ? { ema } : {}) };
}
