// Embedding matrices [V, d] from files, for knn graphs (`dlmk inspect --embeddings`, run specs):
//   .json         an array of V arrays of d numbers;
//   .npy          NumPy float32 or float64 (either byte order), 2-D, C order;
//   .safetensors  one named tensor (`tensor`), or the only 2-D tensor; F32, F64, F16 or BF16.
// Errors are EmbeddingsError values naming the file and what is wrong with it.
import { readFileSync, statSync } from 'node:fs';
import { MAX_DATA_BYTES, MAX_VOCAB } from '../../compiler/limits.ts';
import { extname } from 'node:path';
import { decodeSafetensors, type SafetensorsFile } from '../io/safetensors.ts';
import { CheckpointError } from '../io/errors.ts';

export interface Embeddings {
  V: number;
  d: number;
  /** Row-major [V, d]. float64 files stay float64. */
  data: Float32Array | Float64Array;
  /** The file's element type. */
  dtype: 'float32' | 'float64' | 'float16' | 'bfloat16';
  /** The file, and the tensor name for safetensors. */
  source: string;
}

export class EmbeddingsError extends Error {
  override readonly name = 'EmbeddingsError';
  constructor(readonly file: string, message: string) {
    super(`${file}: ${message}`);
  }
}

export interface LoadEmbeddingsOptions {
  /** safetensors: the tensor to read (default: the only 2-D tensor). */
  tensor?: string;
}

export function loadEmbeddings(path: string, opts: LoadEmbeddingsOptions = {}): Embeddings {
  let buf: Buffer;
  try {
    const size = statSync(path).size;
    if (size > MAX_DATA_BYTES) throw new EmbeddingsError(path, `the file is ${size} bytes, more than the limit ${MAX_DATA_BYTES} (docs/limits.md)`);
    buf = readFileSync(path);
  } catch (err) {
    if (err instanceof EmbeddingsError) throw err;
    throw new EmbeddingsError(path, `cannot read the file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const ext = extname(path).toLowerCase();
  if (ext === '.json') return parseEmbeddingsJson(buf.toString('utf8'), path);
  if (ext === '.npy') return parseNpy(buf, path);
  if (ext === '.safetensors') return parseSafetensors(buf, path, opts.tensor);
  throw new EmbeddingsError(path, `unknown embeddings format '${ext || '(none)'}': use .json (V arrays of d numbers), .npy or .safetensors`);
}

export function parseEmbeddingsJson(text: string, file = '<json>'): Embeddings {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new EmbeddingsError(file, `not valid JSON (${(err as Error).message})`);
  }
  if (!Array.isArray(doc) || doc.length === 0) throw new EmbeddingsError(file, 'expected a non-empty array of V rows, each an array of d numbers');
  const first = doc[0];
  if (!Array.isArray(first) || first.length === 0) throw new EmbeddingsError(file, 'row 0 is not a non-empty array of numbers');
  const V = doc.length;
  const d = first.length;
  const data = new Float64Array(V * d);
  doc.forEach((row, v) => {
    if (!Array.isArray(row)) throw new EmbeddingsError(file, `row ${v} is not an array`);
    if (row.length !== d) throw new EmbeddingsError(file, `row ${v} has ${row.length} numbers, row 0 has ${d} (every row needs the same dimension)`);
    row.forEach((x, j) => {
      if (typeof x !== 'number' || !Number.isFinite(x)) throw new EmbeddingsError(file, `row ${v}, column ${j} is ${JSON.stringify(x)}, not a finite number`);
      data[v * d + j] = x;
    });
  });
  return { V, d, data, dtype: 'float64', source: file };
}

export function parseNpy(buf: Uint8Array, file = '<npy>'): Embeddings {
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
  if (buf.length < 10 || magic.some((b, i) => buf[i] !== b)) throw new EmbeddingsError(file, 'not a NumPy .npy file (bad magic bytes)');
  const major = buf[6]!;
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let hlen: number;
  let hstart: number;
  if (major === 1) {
    hlen = view.getUint16(8, true);
    hstart = 10;
  } else if (major === 2 || major === 3) {
    if (buf.length < 12) throw new EmbeddingsError(file, 'truncated .npy header');
    hlen = view.getUint32(8, true);
    hstart = 12;
  } else throw new EmbeddingsError(file, `unsupported .npy version ${major}.${buf[7]}`);
  if (hstart + hlen > buf.length) throw new EmbeddingsError(file, 'truncated .npy header');
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(buf.subarray(hstart, hstart + hlen));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) throw new EmbeddingsError(file, `cannot read the .npy header: ${header.trim()}`);
  const shape = shapeText.split(',').map((x) => x.trim()).filter((x) => x.length > 0).map(Number);
  if (shape.length !== 2 || shape.some((x) => !Number.isInteger(x))) throw new EmbeddingsError(file, `expected a 2-D array [V, d], the file holds shape (${shapeText.trim()})`);
  if (shape.some((x) => x < 0)) throw new EmbeddingsError(file, `the .npy header's shape (${shapeText.trim()}) has a negative dimension`);
  if (shape[0]! > MAX_VOCAB) throw new EmbeddingsError(file, `shape (${shapeText.trim()}): ${shape[0]} rows, more than the vocabulary limit ${MAX_VOCAB} (docs/limits.md)`);
  if (fortran === 'True') throw new EmbeddingsError(file, 'the array is in Fortran order; save it in C order (numpy.ascontiguousarray)');
  const [V, d] = shape as [number, number];
  if (V === 0 || d === 0) throw new EmbeddingsError(file, `the array is empty (shape ${V} x ${d})`);
  const m = /^([<>|=])(f)(4|8)$/.exec(descr);
  if (!m) throw new EmbeddingsError(file, `element type '${descr}' is not supported: use float32 ('<f4') or float64 ('<f8')`);
  const size = Number(m[3]);
  const little = m[1] !== '>';
  const start = hstart + hlen;
  const need = V * d * size;
  if (buf.length - start < need) throw new EmbeddingsError(file, `the data holds ${buf.length - start} bytes, shape ${V} x ${d} of ${size}-byte floats needs ${need}`);
  const data = size === 4 ? new Float32Array(V * d) : new Float64Array(V * d);
  for (let i = 0; i < V * d; i++) data[i] = size === 4 ? view.getFloat32(start + 4 * i, little) : view.getFloat64(start + 8 * i, little);
  checkFiniteRows(data, d, file, (i) => ` (byte offset ${start + size * i})`);
  return { V, d, data, dtype: size === 4 ? 'float32' : 'float64', source: file };
}

export function parseSafetensors(buf: Uint8Array, file = '<safetensors>', tensor?: string): Embeddings {
  let f: SafetensorsFile;
  try {
    f = decodeSafetensors(buf, file);
  } catch (err) {
    if (err instanceof CheckpointError) throw new EmbeddingsError(file, `${err.tensor !== undefined ? `tensor '${err.tensor}': ` : ''}${err.reason}`);
    throw err;
  }
  const list = f.names.map((k) => `${k} [${f.entries.get(k)!.shape.join(', ')}]`).join(', ');
  let name = tensor;
  if (name === undefined) {
    const twoD = f.names.filter((k) => f.entries.get(k)!.shape.length === 2);
    if (twoD.length !== 1) throw new EmbeddingsError(file, `${twoD.length === 0 ? 'no' : 'several'} 2-D tensors; pick one with --tensor NAME (tensors: ${list || 'none'})`);
    name = twoD[0]!;
  }
  const e = f.entries.get(name);
  if (!e) throw new EmbeddingsError(file, `no tensor named '${name}' (tensors: ${f.names.join(', ') || 'none'})`);
  if (e.shape.length !== 2) throw new EmbeddingsError(file, `tensor '${name}' has shape [${e.shape.join(', ')}], expected [V, d]`);
  const [V, d] = e.shape as [number, number];
  if (!(V >= 1 && d >= 1)) throw new EmbeddingsError(file, `tensor '${name}' is empty (shape [${e.shape.join(', ')}])`);
  if (V > MAX_VOCAB) throw new EmbeddingsError(file, `tensor '${name}' has ${V} rows, more than the vocabulary limit ${MAX_VOCAB} (docs/limits.md)`);
  const dtypes = { F32: 'float32', F64: 'float64', F16: 'float16', BF16: 'bfloat16' } as const;
  let data: Float32Array | Float64Array;
  try {
    data = e.dtype === 'F64' ? f.tensor64(name) : f.tensor(name);
  } catch (err) {
    if (err instanceof CheckpointError) throw new EmbeddingsError(file, `tensor '${name}': ${err.reason}`);
    throw err;
  }
  checkFiniteRows(data, d, `${file}#${name}`);
  return { V, d, data, dtype: dtypes[e.dtype], source: `${file}#${name}` };
}

/** Every value finite, else an EmbeddingsError naming the row and column (and where in the file, when known). */
function checkFiniteRows(data: Float32Array | Float64Array, d: number, file: string, where: (i: number) => string = () => ''): void {
  for (let i = 0; i < data.length; i++) {
    const x = data[i]!;
    if (x - x !== 0) throw new EmbeddingsError(file, `row ${Math.floor(i / d)}, column ${i % d} is ${x}${where(i)}, not a finite number`);
  }
}
