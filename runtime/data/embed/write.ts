// Writes a [V, d] matrix for `dlmk embed --out FILE` and for any tool that reads NumPy or
// safetensors: .npy (format 1.0, '<f4' for float32 data, '<f8' for float64, C order) or
// .safetensors (one F32 tensor `embeddings`, the only format dlmk writes there). Both are read back
// by runtime/data/embeddings.ts (loadEmbeddings). Written atomically (runtime/io).
import { mkdir } from 'node:fs/promises';
import { dirname, extname } from 'node:path';
import { encodeSafetensors, writeFileAtomic } from '../../io/index.ts';
import { EmbeddingsError } from '../embeddings.ts';

export interface WritableMatrix {
  readonly data: Float32Array | Float64Array;
  readonly d: number;
  readonly V: number;
}

/** The tensor name in safetensors files written here. */
export const EMBEDDINGS_TENSOR = 'embeddings';

/** The bytes of a .npy file (version 1.0; the header padded so the data starts at a multiple of 64). */
export function encodeNpy(m: WritableMatrix): Uint8Array {
  const f64 = m.data instanceof Float64Array;
  let header = `{'descr': '<f${f64 ? 8 : 4}', 'fortran_order': False, 'shape': (${m.V}, ${m.d}), }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const size = f64 ? 8 : 4;
  const out = new Uint8Array(10 + header.length + m.data.length * size);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  const view = new DataView(out.buffer);
  view.setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  const at = 10 + header.length;
  for (let i = 0; i < m.data.length; i++) {
    if (f64) view.setFloat64(at + 8 * i, m.data[i]!, true);
    else view.setFloat32(at + 4 * i, m.data[i]!, true);
  }
  return out;
}

/** Writes `m` to `path` (.npy or .safetensors by the extension; parent folders are created). */
export async function writeEmbeddings(path: string, m: WritableMatrix, metadata: Readonly<Record<string, string>> = {}): Promise<void> {
  if (!Number.isInteger(m.V) || !Number.isInteger(m.d) || m.V < 1 || m.d < 1 || m.data.length !== m.V * m.d) {
    throw new EmbeddingsError(path, `the matrix has ${m.data.length} values, not V x d = ${m.V} x ${m.d}`);
  }
  const ext = extname(path).toLowerCase();
  let bytes: Uint8Array;
  if (ext === '.npy') bytes = encodeNpy(m);
  else if (ext === '.safetensors') {
    const data = m.data instanceof Float32Array ? m.data : Float32Array.from(m.data);
    bytes = encodeSafetensors([{ name: EMBEDDINGS_TENSOR, shape: [m.V, m.d], data }], { format: 'pt', 'dlmk.role': 'embeddings', ...metadata });
  } else throw new EmbeddingsError(path, `cannot write '${ext || '(no extension)'}': use .npy or .safetensors`);
  try {
    await mkdir(dirname(path), { recursive: true });
    await writeFileAtomic(path, bytes);
  } catch (err) {
    throw new EmbeddingsError(path, `cannot be written (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}
