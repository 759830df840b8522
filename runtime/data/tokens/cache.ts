// The token cache: a split of a corpus tokenised once into cacheDir/tokens/, a binary file and a
// JSON manifest, then loaded in milliseconds. The binary holds the tokens (u16 when V <= 65535,
// else u32, little-endian; documents back to back, no separators) and then docOffsets (u32, docs
// + 1 entries) at a 4-byte-aligned offset. The manifest records what was tokenised with what; a
// manifest that does not match the request, or a binary whose size or sha256 is not the
// manifest's, is rebuilt with a log line saying why. Writes are atomic (binary first, manifest last).
import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../io/atomic.ts';
import { DataError, fsReason } from '../errors.ts';
import type { Corpus, Split } from '../corpus/types.ts';
import type { Tokenizer } from '../tokenizers/types.ts';

export const TOKENS_FORMAT = 'dlmk.tokens/1';
/** Most tokens one split may have (4 GiB as u32). */
export const MAX_SPLIT_TOKENS = 2 ** 30;

export interface TokenManifest {
  format: typeof TOKENS_FORMAT;
  tokenizer: { id: string; sha256: string; vocabSize: number };
  corpus: { name: string; fingerprint: string };
  split: Split;
  counts: { documents: number; tokens: number };
  dtype: 'uint16' | 'uint32';
  /** Byte size of the binary, and where docOffsets start in it. */
  bytes: number;
  offsetsAt: number;
  /** sha256 (hex) of the binary. */
  sha256: string;
}

export interface TokenFile {
  /** Token ids of every document, back to back (no separators). */
  readonly tokens: Uint32Array;
  /** Document i is tokens[docOffsets[i] .. docOffsets[i + 1]); length documents + 1. */
  readonly docOffsets: Uint32Array;
  readonly manifest: TokenManifest;
  /** The binary's path (caches derived from the tokens sit beside it). */
  readonly file: string;
  /** The binary's sha256 (= manifest.sha256). */
  readonly fingerprint: string;
  /** Count of each id 0..V-1 in `tokens` (separators are not in `tokens`, so EOS counts only where a document has it). */
  unigram(): Float64Array;
}

export interface TokenizeOptions {
  cacheDir: string;
  log?: (line: string) => void;
}

function safe(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]+/g, '-');
}

/** The binary and manifest paths of a (corpus, tokenizer, split). */
export function tokenCachePaths(cacheDir: string, corpus: string, tokenizerId: string, split: Split): { bin: string; manifest: string } {
  const base = join(cacheDir, 'tokens', `${safe(corpus)}.${safe(tokenizerId)}.${split}`);
  return { bin: `${base}.bin`, manifest: `${base}.json` };
}

function expected(corpus: Corpus, fingerprint: string, tok: Tokenizer, split: Split) {
  return {
    format: TOKENS_FORMAT,
    tokenizer: { id: tok.id, sha256: tok.sha256, vocabSize: tok.vocabSize },
    corpus: { name: corpus.name, fingerprint },
    split,
    dtype: tok.vocabSize <= 65535 ? 'uint16' : 'uint32',
  } as const;
}

/** Why a manifest does not match the request, or null. */
function mismatch(m: Partial<TokenManifest>, want: ReturnType<typeof expected>): string | null {
  if (m.format !== want.format) return `format ${JSON.stringify(m.format)}, expected '${want.format}'`;
  if (m.split !== want.split) return `split '${m.split}', expected '${want.split}'`;
  if (m.corpus?.name !== want.corpus.name) return `corpus '${m.corpus?.name}', expected '${want.corpus.name}'`;
  if (m.corpus?.fingerprint !== want.corpus.fingerprint) return `the corpus changed (fingerprint ${String(m.corpus?.fingerprint).slice(0, 12)}, now ${want.corpus.fingerprint.slice(0, 12)})`;
  if (m.tokenizer?.id !== want.tokenizer.id) return `tokenizer '${m.tokenizer?.id}', expected '${want.tokenizer.id}'`;
  if (m.tokenizer?.sha256 !== want.tokenizer.sha256) return `the tokenizer's vocabulary changed (sha256 ${String(m.tokenizer?.sha256).slice(0, 12)}, now ${want.tokenizer.sha256.slice(0, 12)})`;
  if (m.tokenizer?.vocabSize !== want.tokenizer.vocabSize || m.dtype !== want.dtype) return 'the vocabulary size or dtype differs';
  const c = m.counts;
  if (!c || !Number.isInteger(c.documents) || !Number.isInteger(c.tokens) || typeof m.bytes !== 'number' || typeof m.offsetsAt !== 'number' || typeof m.sha256 !== 'string') return 'the manifest is incomplete';
  return null;
}

function layout(tokens: number, documents: number, dtype: 'uint16' | 'uint32') {
  const tokenBytes = tokens * (dtype === 'uint16' ? 2 : 4);
  const offsetsAt = (tokenBytes + 3) & ~3;
  return { tokenBytes, offsetsAt, bytes: offsetsAt + 4 * (documents + 1) };
}

function makeFile(tokens: Uint32Array, docOffsets: Uint32Array, manifest: TokenManifest, file: string): TokenFile {
  let counts: Float64Array | undefined;
  const V = manifest.tokenizer.vocabSize;
  return {
    tokens,
    docOffsets,
    manifest,
    file,
    fingerprint: manifest.sha256,
    unigram() {
      if (!counts) {
        counts = new Float64Array(V);
        for (let i = 0; i < tokens.length; i++) counts[tokens[i]!]!++;
      }
      return counts.slice();
    },
  };
}

/** Parses a binary (already checked against its manifest) into tokens and offsets. */
function decodeBinary(buf: Buffer, m: TokenManifest): { tokens: Uint32Array; docOffsets: Uint32Array } {
  // Copy into an aligned buffer: fs buffers may start at any byte offset.
  const bytes = new Uint8Array(buf.byteLength);
  bytes.set(buf);
  const n = m.counts.tokens;
  const tokens = m.dtype === 'uint16' ? Uint32Array.from(new Uint16Array(bytes.buffer, 0, n)) : new Uint32Array(bytes.buffer, 0, n).slice();
  const docOffsets = new Uint32Array(bytes.buffer, m.offsetsAt, m.counts.documents + 1).slice();
  return { tokens, docOffsets };
}

function encodeBinary(tokens: Uint32Array, docOffsets: Uint32Array, dtype: 'uint16' | 'uint32'): { data: Uint8Array; offsetsAt: number } {
  const l = layout(tokens.length, docOffsets.length - 1, dtype);
  const data = new Uint8Array(l.bytes);
  if (dtype === 'uint16') new Uint16Array(data.buffer, 0, tokens.length).set(tokens);
  else new Uint32Array(data.buffer, 0, tokens.length).set(tokens);
  new Uint32Array(data.buffer, l.offsetsAt, docOffsets.length).set(docOffsets);
  // Typed arrays use the host's byte order; dlmk's hosts (x86-64, arm64) are little-endian, like WebGPU.
  return { data, offsetsAt: l.offsetsAt };
}

/** The cached split when it matches, or null with the reason logged. */
async function tryLoad(paths: { bin: string; manifest: string }, want: ReturnType<typeof expected>, log: (l: string) => void): Promise<TokenFile | null> {
  let text: string;
  try {
    text = await readFile(paths.manifest, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') log(`tokens: cannot read ${paths.manifest} (${fsReason(err)}); rebuilding`);
    return null;
  }
  let m: Partial<TokenManifest>;
  try {
    m = JSON.parse(text) as Partial<TokenManifest>;
  } catch {
    log(`tokens: ${paths.manifest} is not valid JSON; rebuilding`);
    return null;
  }
  const why = m && typeof m === 'object' ? mismatch(m, want) : 'not a JSON object';
  if (why) {
    log(`tokens: the cache ${paths.manifest} does not match (${why}); rebuilding`);
    return null;
  }
  const man = m as TokenManifest;
  let buf: Buffer;
  try {
    buf = await readFile(paths.bin);
  } catch (err) {
    log(`warning: tokens: cannot read ${paths.bin} (${fsReason(err)}); rebuilding`);
    return null;
  }
  const l = layout(man.counts.tokens, man.counts.documents, man.dtype);
  if (buf.byteLength !== man.bytes || l.bytes !== man.bytes || l.offsetsAt !== man.offsetsAt) {
    log(`warning: tokens: ${paths.bin} has ${buf.byteLength} bytes, the manifest says ${man.bytes} (truncated or corrupted); rebuilding`);
    return null;
  }
  const sha = createHash('sha256').update(buf).digest('hex');
  if (sha !== man.sha256) {
    log(`warning: tokens: ${paths.bin} does not match its sha256 (corrupted); rebuilding`);
    return null;
  }
  const { tokens, docOffsets } = decodeBinary(buf, man);
  return makeFile(tokens, docOffsets, man, paths.bin);
}

/** A growable Uint32Array (doubling), bounded by `max` elements. */
class Grow {
  data: Uint32Array;
  length = 0;
  constructor(initial: number, private readonly max: number, private readonly label: string, private readonly tooMany: () => string) {
    this.data = new Uint32Array(initial);
  }
  reserve(extra: number): void {
    const need = this.length + extra;
    if (need > this.max) throw new DataError(this.tooMany());
    if (need <= this.data.length) return;
    const size = Math.min(this.max, Math.max(need, this.data.length * 2));
    let next: Uint32Array;
    try {
      next = new Uint32Array(size);
    } catch {
      throw new DataError(`out of memory growing the ${this.label} to ${size} entries`);
    }
    next.set(this.data.subarray(0, this.length));
    this.data = next;
  }
  push(xs: Uint32Array | number): void {
    if (typeof xs === 'number') {
      this.reserve(1);
      this.data[this.length++] = xs;
    } else {
      this.reserve(xs.length);
      this.data.set(xs, this.length);
      this.length += xs.length;
    }
  }
  take(): Uint32Array {
    return this.data.slice(0, this.length);
  }
}

/**
 * Tokenises a split (documents with no tokens are dropped) or loads it from the cache. Every id
 * is checked to be a real token (< V). Errors are DataError values.
 */
export async function tokenizeCorpus(corpus: Corpus, tokenizer: Tokenizer, split: Split, opts: TokenizeOptions): Promise<TokenFile> {
  const log = opts.log ?? (() => undefined);
  const fingerprint = await corpus.fingerprint();
  const want = expected(corpus, fingerprint, tokenizer, split);
  const paths = tokenCachePaths(opts.cacheDir, corpus.name, tokenizer.id, split);
  const hit = await tryLoad(paths, want, log);
  if (hit) {
    log(`tokens: ${corpus.name}/${split} with ${tokenizer.id}: ${hit.manifest.counts.documents} documents, ${hit.manifest.counts.tokens} tokens (cached ${paths.bin})`);
    return hit;
  }
  const t0 = Date.now();
  const V = tokenizer.vocabSize;
  const where = `${corpus.name}/${split}`;
  const toks = new Grow(1 << 16, MAX_SPLIT_TOKENS, `${where} token buffer`, () => `the ${where} split may have at most ${MAX_SPLIT_TOKENS} tokens with ${tokenizer.id}; use a smaller corpus or split it`);
  const offs = new Grow(1 << 10, MAX_SPLIT_TOKENS + 1, `${where} document offsets`, () => `the ${where} split may have at most ${MAX_SPLIT_TOKENS} documents`);
  offs.push(0);
  let lastLog = t0;
  for await (const doc of corpus.documents(split)) {
    const ids = tokenizer.encode(doc);
    if (ids.length === 0) continue;
    for (let i = 0; i < ids.length; i++) {
      if (ids[i]! >= V) throw new DataError(`tokenizer ${tokenizer.id} produced id ${ids[i]} (V = ${V}) in document ${offs.length - 1} of ${where}: a tokenizer must give ids below V`);
    }
    toks.push(ids);
    offs.push(toks.length);
    if (Date.now() - lastLog > 10_000) {
      lastLog = Date.now();
      log(`tokens: ${where} with ${tokenizer.id}: ${offs.length - 1} documents, ${toks.length} tokens so far`);
    }
  }
  const tokens = toks.take();
  const docOffsets = offs.take();
  const { data, offsetsAt } = encodeBinary(tokens, docOffsets, want.dtype);
  const manifest: TokenManifest = {
    ...want,
    counts: { documents: docOffsets.length - 1, tokens: tokens.length },
    bytes: data.byteLength,
    offsetsAt,
    sha256: createHash('sha256').update(data).digest('hex'),
  };
  try {
    await mkdir(join(opts.cacheDir, 'tokens'), { recursive: true });
    await writeFileAtomic(paths.bin, data);
    await writeFileAtomic(paths.manifest, JSON.stringify(manifest, null, 2) + '\n');
  } catch (err) {
    throw new DataError(`cannot write the token cache (${fsReason(err)})`, { file: paths.bin });
  }
  log(`tokens: ${where} with ${tokenizer.id}: ${manifest.counts.documents} documents, ${manifest.counts.tokens} tokens in ${((Date.now() - t0) / 1000).toFixed(1)}s -> ${paths.bin}`);
  return makeFile(tokens, docOffsets, manifest, paths.bin);
}
