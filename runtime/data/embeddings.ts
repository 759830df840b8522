// Embedding matrices [V, d] from files, for knn graphs (`dlmk inspect --embeddings`, run specs):
//   .json         an array of V arrays of d numbers;
//   .npy          NumPy float32 or float64 (either byte order), 2-D, C order;
//   .safetensors  one named tensor (`tensor`), or the only 2-D tensor; F32, F64, F16 or BF16.
// Errors are EmbeddingsError values naming the file and what is wrong with it.
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';

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
    buf = readFileSync(path);
  } catch (err) {
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
  return { V, d, data, dtype: size === 4 ? 'float32' : 'float64', source: file };
}

interface SafeEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

export function parseSafetensors(buf: Uint8Array, file = '<safetensors>', tensor?: string): Embeddings {
  if (buf.length < 8) throw new EmbeddingsError(file, 'not a safetensors file (shorter than its 8-byte header length)');
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const n = Number(view.getBigUint64(0, true));
  if (n > buf.length - 8) throw new EmbeddingsError(file, `not a safetensors file (header length ${n} exceeds the file)`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(buf.subarray(8, 8 + n))) as Record<string, unknown>;
  } catch (err) {
    throw new EmbeddingsError(file, `the safetensors header is not valid JSON (${(err as Error).message})`);
  }
  const entries = Object.entries(header).filter(([k]) => k !== '__metadata__') as Array<[string, SafeEntry]>;
  let name = tensor;
  if (name === undefined) {
    const twoD = entries.filter(([, e]) => Array.isArray(e?.shape) && e.shape.length === 2).map(([k]) => k);
    if (twoD.length !== 1) {
      const list = entries.map(([k, e]) => `${k} [${e?.shape?.join(', ')}]`).join(', ');
      throw new EmbeddingsError(file, `${twoD.length === 0 ? 'no' : 'several'} 2-D tensors; pick one with --tensor NAME (tensors: ${list || 'none'})`);
    }
    name = twoD[0]!;
  }
  const e = header[name] as SafeEntry | undefined;
  if (!e || name === '__metadata__') {
    throw new EmbeddingsError(file, `no tensor named '${name}' (tensors: ${entries.map(([k]) => k).join(', ') || 'none'})`);
  }
  if (!Array.isArray(e.shape) || e.shape.length !== 2) throw new EmbeddingsError(file, `tensor '${name}' has shape [${e.shape?.join(', ')}], expected [V, d]`);
  const [V, d] = e.shape as [number, number];
  const sizes: Record<string, number> = { F32: 4, F64: 8, F16: 2, BF16: 2 };
  const size = sizes[e.dtype];
  if (!size) throw new EmbeddingsError(file, `tensor '${name}' has dtype ${e.dtype}; supported: F32, F64, F16, BF16`);
  const [b0, b1] = e.data_offsets;
  const start = 8 + n + b0;
  if (b1 - b0 !== V * d * size || 8 + n + b1 > buf.length) {
    throw new EmbeddingsError(file, `tensor '${name}': data offsets [${b0}, ${b1}) do not hold ${V} x ${d} ${e.dtype} values`);
  }
  const count = V * d;
  let data: Float32Array | Float64Array;
  let dtype: Embeddings['dtype'];
  if (e.dtype === 'F64') {
    data = new Float64Array(count);
    for (let i = 0; i < count; i++) data[i] = view.getFloat64(start + 8 * i, true);
    dtype = 'float64';
  } else {
    data = new Float32Array(count);
    if (e.dtype === 'F32') {
      for (let i = 0; i < count; i++) data[i] = view.getFloat32(start + 4 * i, true);
      dtype = 'float32';
    } else if (e.dtype === 'BF16') {
      const u = new Uint32Array(1);
      const f = new Float32Array(u.buffer);
      for (let i = 0; i < count; i++) {
        u[0] = view.getUint16(start + 2 * i, true) << 16;
        data[i] = f[0]!;
      }
      dtype = 'bfloat16';
    } else {
      for (let i = 0; i < count; i++) data[i] = halfToFloat(view.getUint16(start + 2 * i, true));
      dtype = 'float16';
    }
  }
  return { V, d, data, dtype, source: `${file}#${name}` };
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}
