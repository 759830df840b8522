// Token vectors from a dlmk checkpoint (docs/checkpoint.md): the input embedding table
// `vocab_embed.embedding` [Vin, hidden] of the weights (or EMA) file, rows 0 .. V - 1 (the [MASK]
// row V of a masking DiT is dropped). Through runtime/io's checks: the manifest against its schema,
// the file's size and SHA-256 against the manifest, the safetensors header; then the tensor's
// shape against the manifest's model. So a graph can be rebuilt from a model trained first with
// masking. Rows of tokens the model never saw keep their random initialisation (docs/embeddings.md).
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { constants } from 'node:buffer';
import { CheckpointError, decodeSafetensors, MANIFEST, readManifest } from '../../io/index.ts';
import { EmbeddingsError } from '../embeddings.ts';
import type { EmbeddingMatrix } from './types.ts';

export const EMBEDDING_TENSOR = 'vocab_embed.embedding';

export interface CheckpointEmbeddingOptions {
  /** The vocabulary the vectors are for: must equal the checkpoint's vocabSize. */
  V?: number;
  /** Read the EMA file's embedding. */
  ema?: boolean;
}

export async function checkpointEmbeddings(dir: string, opts: CheckpointEmbeddingOptions = {}): Promise<EmbeddingMatrix> {
  const t0 = performance.now();
  const asError = (err: unknown): never => {
    if (err instanceof CheckpointError) throw new EmbeddingsError(join(dir, err.file), `${err.tensor !== undefined ? `tensor '${err.tensor}': ` : ''}${err.reason}`);
    throw err;
  };
  const manifest = await readManifest(dir).catch(asError);
  const role = opts.ema ? 'ema' : 'weights';
  const entry = manifest.files[role];
  if (!entry) throw new EmbeddingsError(join(dir, MANIFEST), `the checkpoint has no ${role} file${opts.ema ? ' (it was saved without an EMA); drop `ema`' : ''}`);
  const file = join(dir, entry.path);
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch (err) {
    throw new EmbeddingsError(file, `cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  if (size !== entry.bytes) throw new EmbeddingsError(file, `size mismatch: ${size} bytes, the manifest says ${entry.bytes} (truncated or replaced)`);
  if (size > constants.MAX_LENGTH) throw new EmbeddingsError(file, `${size} bytes: larger than this Node can read at once (${constants.MAX_LENGTH})`);
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    throw new EmbeddingsError(file, `cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const digest = createHash('sha256').update(bytes).digest('hex');
  if (digest !== entry.sha256) throw new EmbeddingsError(file, `sha256 mismatch: ${digest}, the manifest says ${entry.sha256} (corrupt or replaced)`);
  let st;
  try {
    st = decodeSafetensors(bytes, entry.path);
  } catch (err) {
    return asError(err);
  }
  const e = st.entries.get(EMBEDDING_TENSOR);
  if (!e) throw new EmbeddingsError(file, `no tensor '${EMBEDDING_TENSOR}' (is this a dlmk model checkpoint?)`);
  const model = manifest.model;
  const V = model.vocabSize;
  const mask = model.arch === 'dit' && model.maskToken;
  const rows = V + (mask ? 1 : 0);
  if (e.shape.length !== 2 || e.shape[0] !== rows || e.shape[1] !== model.hidden) {
    throw new EmbeddingsError(file, `tensor '${EMBEDDING_TENSOR}' has shape [${e.shape.join(', ')}], the manifest's model needs [${rows}, ${model.hidden}]`);
  }
  if (opts.V !== undefined && opts.V !== V) {
    throw new EmbeddingsError(join(dir, MANIFEST), `the checkpoint's model has vocabSize ${V}, the run's vocabulary has ${opts.V} tokens (use a checkpoint trained with this tokenizer)`);
  }
  const d = model.hidden;
  const all = st.tensor(EMBEDDING_TENSOR);
  const data = mask ? all.slice(0, V * d) : all;
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i]!)) throw new EmbeddingsError(file, `tensor '${EMBEDDING_TENSOR}': row ${Math.floor(i / d)} holds a non-finite value`);
  }
  const seconds = (performance.now() - t0) / 1000;
  const summary = `checkpoint: ${EMBEDDING_TENSOR} of ${file}${opts.ema ? ' (EMA)' : ''}, V ${V}, d ${d}${mask ? ' ([MASK] row dropped)' : ''}`;
  return { data, V, d, report: { source: 'checkpoint', semanticRows: V, fallbackRows: 0, fallbackAxis: false, cached: false, seconds, summary } };
}
