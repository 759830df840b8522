// Token vectors from a user's file (.npy, .safetensors, .json; runtime/data/embeddings.ts reads and
// checks the format): the rows must be the run's vocabulary (V of them) and finite. A zero row is
// allowed (docs/math.md §1.2: its cosine with everything is 0); no fallback rule is applied.
import { EmbeddingsError, loadEmbeddings } from '../embeddings.ts';
import type { EmbeddingMatrix } from './types.ts';

export function fileEmbeddings(path: string, opts: { V?: number; tensor?: string } = {}): EmbeddingMatrix {
  const t0 = performance.now();
  const e = loadEmbeddings(path, opts.tensor !== undefined ? { tensor: opts.tensor } : {});
  if (opts.V !== undefined && e.V !== opts.V) {
    throw new EmbeddingsError(path, `has ${e.V} rows, the run's vocabulary has ${opts.V} tokens (one row per token id, in id order)`);
  }
  for (let i = 0; i < e.data.length; i++) {
    if (!Number.isFinite(e.data[i]!)) throw new EmbeddingsError(path, `row ${Math.floor(i / e.d)}, column ${i % e.d} is not a finite number`);
  }
  const data = e.data instanceof Float32Array ? e.data : Float32Array.from(e.data);
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i]!)) throw new EmbeddingsError(path, `row ${Math.floor(i / e.d)}, column ${i % e.d} is ${e.data[i]}, beyond float32's range`);
  }
  let zero = 0;
  for (let v = 0; v < e.V; v++) {
    let any = false;
    for (let j = 0; j < e.d && !any; j++) any = data[v * e.d + j] !== 0;
    if (!any) zero++;
  }
  const summary = `file: ${e.source}, V ${e.V}, d ${e.d} (${e.dtype})${zero ? `, ${zero} zero rows (cosine 0 with every token)` : ''}`;
  return { data, V: e.V, d: e.d, report: { source: 'file', semanticRows: e.V, fallbackRows: 0, fallbackAxis: false, cached: false, seconds: (performance.now() - t0) / 1000, summary } };
}
