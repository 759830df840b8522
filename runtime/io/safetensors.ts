// The safetensors format (huggingface/safetensors, docs/checkpoint.md):
//   8 bytes   N, the header length, unsigned 64-bit little-endian
//   N bytes   a UTF-8 JSON object: "__metadata__" (string -> string) and, per tensor,
//             { "dtype": "F32", "shape": [...], "data_offsets": [begin, end] }, offsets relative
//             to the first byte after the header; padded with spaces to a multiple of 8
//   the rest  the tensors' bytes, little-endian, back to back: no holes, no overlaps
// dlmk writes F32 only. It reads F32, F64, F16 and BF16 (converted to f32, so a PyTorch user may
// hand it a half-precision file). Everything a reader must trust is checked, and a refusal names
// the file and the tensor.
import { endianness } from 'node:os';
import { CheckpointError } from './errors.ts';

/** A named f32 tensor on the host, row-major. */
export interface NamedTensor {
  readonly name: string;
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

export type SafeDType = 'F32' | 'F64' | 'F16' | 'BF16';

const BYTES: Record<SafeDType, number> = { F32: 4, F64: 8, F16: 2, BF16: 2 };

/** The largest header dlmk accepts (safetensors' own limit). */
export const MAX_HEADER_BYTES = 100_000_000;

const LE = endianness() === 'LE';

export function numelOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** The bytes of a safetensors file holding `tensors` in the given order. */
export function encodeSafetensors(tensors: readonly NamedTensor[], metadata: Readonly<Record<string, string>> = {}): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header['__metadata__'] = { ...metadata };
  let offset = 0;
  const seen = new Set<string>();
  for (const t of tensors) {
    if (t.name === '__metadata__' || t.name === '') throw new CheckpointError('<encode>', `'${t.name}' cannot name a tensor`, t.name);
    if (seen.has(t.name)) throw new CheckpointError('<encode>', 'appears twice', t.name);
    seen.add(t.name);
    if (!t.shape.every((d) => Number.isInteger(d) && d >= 0)) throw new CheckpointError('<encode>', `bad shape [${t.shape}]`, t.name);
    const n = numelOf(t.shape);
    if (t.data.length !== n) throw new CheckpointError('<encode>', `holds ${t.data.length} values, its shape [${t.shape}] has ${n}`, t.name);
    header[t.name] = { dtype: 'F32', shape: [...t.shape], data_offsets: [offset, offset + 4 * n] };
    offset += 4 * n;
  }
  let json = JSON.stringify(header);
  const pad = (8 - (Buffer.byteLength(json, 'utf8') % 8)) % 8;
  json += ' '.repeat(pad);
  const head = Buffer.from(json, 'utf8');
  const out = new Uint8Array(8 + head.byteLength + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(head.byteLength), true);
  out.set(head, 8);
  let at = 8 + head.byteLength;
  for (const t of tensors) {
    const bytes = t.data.byteLength;
    if (LE) out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, bytes), at);
    else for (let i = 0; i < t.data.length; i++) view.setFloat32(at + 4 * i, t.data[i]!, true);
    at += bytes;
  }
  return out;
}

export interface TensorEntry {
  readonly dtype: SafeDType;
  readonly shape: readonly number[];
  /** Byte range relative to the data section. */
  readonly begin: number;
  readonly end: number;
}

export interface SafetensorsFile {
  readonly metadata: Readonly<Record<string, string>>;
  /** Tensor names in file order (by offset). */
  readonly names: readonly string[];
  readonly entries: ReadonlyMap<string, TensorEntry>;
  /** Reads one tensor as f32 (a copy). */
  tensor(name: string): Float32Array;
  /** Reads one tensor as f64 (a copy): F64 at full precision, the others converted exactly. */
  tensor64(name: string): Float64Array;
}

function isNonNegInt(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}

/** An IEEE half (its 16 bits) as a number. */
export function f16ToF32(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/**
 * Parses and checks a safetensors file: header length, header JSON, metadata of strings, known
 * dtypes, shapes, offsets in range, each tensor's byte size against its shape, no overlaps, no
 * holes, nothing after the last tensor. Throws CheckpointError naming `file` and the tensor.
 */
export function decodeSafetensors(bytes: Uint8Array, file: string): SafetensorsFile {
  if (bytes.byteLength < 8) throw new CheckpointError(file, `truncated: ${bytes.byteLength} bytes, fewer than the 8 of the header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n64 = view.getBigUint64(0, true);
  if (n64 > BigInt(bytes.byteLength - 8) || n64 > BigInt(MAX_HEADER_BYTES)) {
    throw new CheckpointError(file, `bad header length ${n64}: the file has ${bytes.byteLength - 8} bytes after the length field${n64 > BigInt(MAX_HEADER_BYTES) ? ` and the limit is ${MAX_HEADER_BYTES}` : ''} (truncated or not a safetensors file)`);
  }
  const N = Number(n64);
  if (N < 2) throw new CheckpointError(file, `bad header length ${N}: too short for a JSON object`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + N));
  } catch {
    throw new CheckpointError(file, 'the header is not valid UTF-8');
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (err) {
    throw new CheckpointError(file, `the header is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new CheckpointError(file, 'the header is not a JSON object');
  const dataBytes = bytes.byteLength - 8 - N;
  const metadata: Record<string, string> = {};
  const entries = new Map<string, TensorEntry>();
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new CheckpointError(file, '__metadata__ is not an object of strings');
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof v !== 'string') throw new CheckpointError(file, `__metadata__.${k} is not a string`);
        metadata[k] = v;
      }
      continue;
    }
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new CheckpointError(file, 'its header entry is not an object', name);
    const e = raw as Record<string, unknown>;
    const dtype = e['dtype'];
    if (typeof dtype !== 'string' || !(dtype in BYTES)) {
      throw new CheckpointError(file, `dtype ${JSON.stringify(dtype)} is not supported (dlmk reads ${Object.keys(BYTES).join(', ')})`, name);
    }
    const shape = e['shape'];
    if (!Array.isArray(shape) || !shape.every(isNonNegInt)) throw new CheckpointError(file, `shape ${JSON.stringify(shape)} is not a list of non-negative integers`, name);
    const off = e['data_offsets'];
    if (!Array.isArray(off) || off.length !== 2 || !off.every(isNonNegInt)) {
      throw new CheckpointError(file, `data_offsets ${JSON.stringify(off)} is not a pair of non-negative integers`, name);
    }
    const [begin, end] = off as [number, number];
    if (end < begin) throw new CheckpointError(file, `data_offsets [${begin}, ${end}] end before they begin`, name);
    if (end > dataBytes) {
      throw new CheckpointError(file, `data_offsets [${begin}, ${end}] are out of range: the data section has ${dataBytes} bytes (truncated file?)`, name);
    }
    const want = numelOf(shape as number[]) * BYTES[dtype as SafeDType];
    if (end - begin !== want) {
      throw new CheckpointError(file, `holds ${end - begin} bytes, but shape [${shape.join(', ')}] of ${dtype} needs ${want}`, name);
    }
    entries.set(name, { dtype: dtype as SafeDType, shape: [...(shape as number[])], begin, end });
  }
  const names = [...entries.keys()].sort((a, b) => entries.get(a)!.begin - entries.get(b)!.begin || entries.get(a)!.end - entries.get(b)!.end);
  let cursor = 0;
  let prev: string | undefined;
  for (const name of names) {
    const e = entries.get(name)!;
    if (e.begin < cursor) throw new CheckpointError(file, `data_offsets [${e.begin}, ${e.end}] overlap tensor '${prev}' (which ends at ${cursor})`, name);
    if (e.begin > cursor) throw new CheckpointError(file, `data_offsets [${e.begin}, ${e.end}] leave bytes [${cursor}, ${e.begin}) unused before it`, name);
    cursor = e.end;
    prev = name;
  }
  if (cursor !== dataBytes) {
    throw new CheckpointError(file, `size mismatch: the tensors end at byte ${cursor} of the data section, but the file has ${dataBytes} data bytes`);
  }
  const base = 8 + N;
  const entry = (name: string): TensorEntry => {
    const e = entries.get(name);
    if (!e) throw new CheckpointError(file, 'is not in the file', name);
    return e;
  };
  const read = <T extends Float32Array | Float64Array>(e: TensorEntry, out: T): T => {
    const at = base + e.begin;
    const bf = new DataView(new ArrayBuffer(4));
    for (let i = 0; i < out.length; i++) {
      switch (e.dtype) {
        case 'F32': out[i] = view.getFloat32(at + 4 * i, true); break;
        case 'F64': out[i] = view.getFloat64(at + 8 * i, true); break;
        case 'F16': out[i] = f16ToF32(view.getUint16(at + 2 * i, true)); break;
        case 'BF16':
          bf.setUint32(0, (view.getUint16(at + 2 * i, true) << 16) >>> 0);
          out[i] = bf.getFloat32(0);
          break;
      }
    }
    return out;
  };
  return {
    metadata,
    names,
    entries,
    tensor(name: string): Float32Array {
      const e = entry(name);
      const at = base + e.begin;
      if (e.dtype === 'F32' && LE) {
        const out = new Float32Array(numelOf(e.shape));
        new Uint8Array(out.buffer).set(bytes.subarray(at, at + 4 * out.length));
        return out;
      }
      return read(e, new Float32Array(numelOf(e.shape)));
    },
    tensor64(name: string): Float64Array {
      const e = entry(name);
      return read(e, new Float64Array(numelOf(e.shape)));
    },
  };
}
