// The corpus embeddings' cache (docs/embeddings.md, "Cache"): FILE (safetensors, one F32 tensor
// `embeddings` [V, d]) and FILE.json, a manifest holding the key it was computed for (format,
// algorithm version, V, options, the SHA-256 of the tokens and the data layer's fingerprint) and
// the file's size and SHA-256. Both are written atomically, the manifest last. A cache is reused
// only when the key is equal and the file passes its size, hash and header checks; anything else
// is logged with the reason and rebuilt, never reused.
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { CheckpointError, decodeSafetensors, dlmkVersion, encodeSafetensors, writeFileAtomic } from '../../io/index.ts';

export const CACHE_FORMAT = 'dlmk.embeddings-cache/1';
export const CACHE_TENSOR = 'embeddings';

/** What the vectors were computed from; equal keys mean equal vectors. */
export type CacheKey = Readonly<Record<string, string | number | boolean | null | Readonly<Record<string, string | number | boolean>>>>;

interface CacheManifest {
  format: string;
  key: CacheKey;
  V: number;
  d: number;
  file: { path: string; bytes: number; sha256: string };
  dlmkVersion: string;
  /** Counts of the computation, shown when the cache is reused. */
  info: Record<string, number>;
}

export function manifestPath(cacheFile: string): string {
  return `${cacheFile}.json`;
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** JSON with sorted keys, so equal keys compare equal whatever their field order. */
function canonical(x: unknown): string {
  if (x === null || typeof x !== 'object') return JSON.stringify(x);
  if (Array.isArray(x)) return `[${x.map(canonical).join(',')}]`;
  return `{${Object.keys(x as object).sort().map((k) => `${JSON.stringify(k)}:${canonical((x as Record<string, unknown>)[k])}`).join(',')}}`;
}

/** The first field where two keys differ, for the log. */
function keyDiff(got: unknown, want: CacheKey): string {
  if (typeof got !== 'object' || got === null) return 'the manifest has no key';
  const g = got as Record<string, unknown>;
  for (const k of [...new Set([...Object.keys(g), ...Object.keys(want)])].sort()) {
    if (canonical(g[k]) !== canonical(want[k])) return `${k} differs (cache ${canonical(g[k]) ?? 'none'}, now ${canonical(want[k]) ?? 'none'})`;
  }
  return '';
}

export interface CachedMatrix {
  data: Float32Array;
  V: number;
  d: number;
  info: Record<string, number>;
}

/**
 * The cached matrix for `key`, or null (after logging why) when there is none or it cannot be
 * trusted: unreadable or invalid manifest, another key, a file of the wrong size or hash, a bad
 * header, a wrong shape or a non-finite value.
 */
export async function readCache(cacheFile: string, key: CacheKey, log: (line: string) => void): Promise<CachedMatrix | null> {
  const mpath = manifestPath(cacheFile);
  let text: string;
  try {
    text = await readFile(mpath, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') log(`embeddings cache ${mpath}: cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); rebuilding`);
    return null;
  }
  const reject = (why: string) => {
    log(`embeddings cache ${cacheFile}: ${why}; rebuilding`);
    return null;
  };
  let m: CacheManifest;
  try {
    m = JSON.parse(text) as CacheManifest;
  } catch {
    return reject('the manifest is not valid JSON');
  }
  if (typeof m !== 'object' || m === null || m.format !== CACHE_FORMAT) return reject(`the manifest's format is not ${CACHE_FORMAT}`);
  const diff = keyDiff(m.key, key);
  if (diff) return reject(diff);
  if (typeof m.file !== 'object' || m.file === null || typeof m.file.bytes !== 'number' || typeof m.file.sha256 !== 'string') return reject('the manifest does not describe the file');
  if (!Number.isInteger(m.V) || !Number.isInteger(m.d) || m.V < 1 || m.d < 1) return reject('the manifest has no valid V and d');
  let size: number;
  try {
    size = (await stat(cacheFile)).size;
  } catch {
    return reject('the file is missing');
  }
  if (size !== m.file.bytes) return reject(`size mismatch: ${size} bytes, the manifest says ${m.file.bytes}`);
  let bytes: Buffer;
  try {
    bytes = await readFile(cacheFile);
  } catch (err) {
    return reject(`the file cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const digest = sha256(bytes);
  if (digest !== m.file.sha256) return reject(`sha256 mismatch: ${digest}, the manifest says ${m.file.sha256}`);
  let data: Float32Array;
  try {
    const st = decodeSafetensors(bytes, cacheFile);
    const e = st.entries.get(CACHE_TENSOR);
    if (!e) return reject(`no tensor '${CACHE_TENSOR}'`);
    if (e.shape.length !== 2 || e.shape[0] !== m.V || e.shape[1] !== m.d) return reject(`tensor '${CACHE_TENSOR}' has shape [${e.shape.join(', ')}], the manifest says [${m.V}, ${m.d}]`);
    data = st.tensor(CACHE_TENSOR);
  } catch (err) {
    if (err instanceof CheckpointError) return reject(err.reason);
    throw err;
  }
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i]!)) return reject(`value ${i} is not finite`);
  return { data, V: m.V, d: m.d, info: typeof m.info === 'object' && m.info !== null ? m.info : {} };
}

/** Writes the matrix and then its manifest (both atomically). */
export async function writeCache(cacheFile: string, key: CacheKey, data: Float32Array, V: number, d: number, info: Record<string, number>): Promise<void> {
  const bytes = encodeSafetensors([{ name: CACHE_TENSOR, shape: [V, d], data }], { format: 'pt', 'dlmk.role': 'embeddings', 'dlmk.source': String(key['source'] ?? '') });
  await writeFileAtomic(cacheFile, bytes);
  const manifest: CacheManifest = {
    format: CACHE_FORMAT,
    key,
    V,
    d,
    file: { path: basename(cacheFile), bytes: bytes.byteLength, sha256: sha256(bytes) },
    dlmkVersion: dlmkVersion(),
    info,
  };
  await writeFileAtomic(manifestPath(cacheFile), JSON.stringify(manifest, null, 2) + '\n');
}
