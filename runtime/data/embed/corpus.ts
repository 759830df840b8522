// Token vectors from the training corpus (docs/embeddings.md, "Method"): the PPMI matrix of
// windowed co-occurrence (ppmi.ts), its randomized truncated SVD (svd.ts), rows U_dim S_dim^alpha,
// and the fallback rule for tokens without a vector (fallback.ts); cached beside the token file.
import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { EmbeddingsError } from '../embeddings.ts';
import { readCache, writeCache, type CacheKey } from './cache.ts';
import { medianRowNorm, writeFallbackRow } from './fallback.ts';
import { resolveOptions } from '../schema.ts';
import { checkCorpus, ppmiMatrix } from './ppmi.ts';
import { corpusSchema, type CorpusOptions } from './schemas.ts';
import { csrOperator, randomizedSvd } from './svd.ts';
import type { EmbeddingMatrix } from './types.ts';

/** Bumped whenever the method changes what a given input and options produce (cached files then rebuild). */
export const CORPUS_ALGORITHM = 1;

/** Components whose singular value is below this fraction of the largest are dropped (numerically zero). */
export const RANK_TOLERANCE = 1e-10;

/** The largest test block (rows x (dim + oversample) doubles; several are alive at once). */
const MAX_BLOCK = 1 << 27;

export interface CorpusContext {
  /** Where to cache the matrix (and FILE.json, its manifest); no caching without it. */
  cacheFile?: string;
  /** The data layer's fingerprint of the token file (recorded in the cache key). */
  fingerprint?: string;
  /** Progress lines. */
  log?: (line: string) => void;
}

/** SHA-256 of V (uint32), the document offsets and the tokens, little-endian: the cache's fingerprint of the input. */
export function corpusSha256(tokens: Uint32Array, docOffsets: Uint32Array, V: number): string {
  const h = createHash('sha256');
  const v = new Uint8Array(4);
  new DataView(v.buffer).setUint32(0, V, true);
  h.update(v);
  h.update(new Uint8Array(docOffsets.buffer, docOffsets.byteOffset, docOffsets.byteLength));
  h.update(new Uint8Array(tokens.buffer, tokens.byteOffset, tokens.byteLength));
  return h.digest('hex');
}

function fmt(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(n >= 1e7 ? 0 : 1)}M` : n >= 1e4 ? `${(n / 1e3).toFixed(0)}k` : String(n);
}

/**
 * Vectors for every token of a vocabulary of V from a corpus (`tokens`: documents back to back,
 * `docOffsets`: docs + 1 boundaries). Row-major [V, dim + 1], float32 (computed in float64).
 */
export async function computeCorpusEmbeddings(
  tokens: Uint32Array, docOffsets: Uint32Array, V: number, options: Partial<CorpusOptions> = {}, ctx: CorpusContext = {},
): Promise<EmbeddingMatrix> {
  const t0 = performance.now();
  const o = resolveOptions(corpusSchema, options, "embeddings 'corpus'");
  const log = ctx.log ?? (() => undefined);
  checkCorpus(tokens, docOffsets, V, 'corpus');
  const d = o.dim + 1;
  if (V * d > 2 ** 31 - 1) throw new EmbeddingsError("embeddings 'corpus'", `V = ${V} rows of ${d} values exceed 2^31 values; use a smaller dim`);

  const { cache: useCache, ...keyOptions } = o;
  const key: CacheKey = {
    source: 'corpus',
    algorithm: CORPUS_ALGORITHM,
    V,
    options: keyOptions,
    tokensSha256: corpusSha256(tokens, docOffsets, V),
    fingerprint: ctx.fingerprint ?? null,
  };
  if (ctx.cacheFile && useCache) {
    const c = await readCache(ctx.cacheFile, key, log);
    if (c) {
      const semanticRows = c.info['semanticRows'] ?? 0;
      const summary = `corpus: read ${ctx.cacheFile} (V ${V}, d ${d}, ${semanticRows} semantic rows, ${V - semanticRows} fallback rows)`;
      log(summary);
      return { data: c.data, V, d, report: { source: 'corpus', semanticRows, fallbackRows: V - semanticRows, fallbackAxis: true, cached: true, seconds: (performance.now() - t0) / 1000, summary } };
    }
  }

  const r = corpusVectors(tokens, docOffsets, V, o, log);
  const seconds = (performance.now() - t0) / 1000;
  const summary =
    `corpus: ${fmt(tokens.length)} tokens, ${r.frequent} of V ${V} seen >= ${o.minCount} times, PPMI ${fmt(r.nnz)} entries (${r.ppmiSeconds.toFixed(1)} s), ` +
    `SVD rank ${r.rank} of ${o.dim} (${r.svdSeconds.toFixed(1)} s), ${r.semanticRows} semantic and ${V - r.semanticRows} fallback rows, ${seconds.toFixed(1)} s`;
  log(summary);
  if (ctx.cacheFile && useCache) {
    try {
      await mkdir(dirname(ctx.cacheFile), { recursive: true });
      await writeCache(ctx.cacheFile, key, r.data, V, d, { semanticRows: r.semanticRows, nnz: r.nnz, rank: r.rank, seconds });
    } catch (err) {
      log(`embeddings cache ${ctx.cacheFile}: not written (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); the vectors are used without a cache`);
    }
  }
  return { data: r.data, V, d, report: { source: 'corpus', semanticRows: r.semanticRows, fallbackRows: V - r.semanticRows, fallbackAxis: true, cached: false, seconds, summary } };
}

export interface CorpusVectors {
  data: Float32Array;
  /** Tokens seen >= minCount times. */
  frequent: number;
  /** Rows with a vector of their own (frequent, with a non-empty PPMI row and a non-zero projection). */
  semanticRows: number;
  nnz: number;
  /** SVD components kept (singular value above RANK_TOLERANCE of the largest). */
  rank: number;
  singularValues: Float64Array;
  ppmiSeconds: number;
  svdSeconds: number;
}

/** The computation without the cache (options already resolved). */
export function corpusVectors(tokens: Uint32Array, docOffsets: Uint32Array, V: number, o: CorpusOptions, log: (line: string) => void = () => undefined): CorpusVectors {
  const d = o.dim + 1;
  const t0 = performance.now();
  const m = ppmiMatrix(tokens, docOffsets, V, o);
  const nnz = m.rowPtr[m.n]!;
  const ppmiSeconds = (performance.now() - t0) / 1000;
  log(`corpus: PPMI of ${m.n} tokens, ${nnz} entries (${ppmiSeconds.toFixed(1)} s)`);
  const l = Math.min(o.dim + o.oversample, m.n);
  if (m.n * l > MAX_BLOCK) {
    throw new EmbeddingsError("embeddings 'corpus'", `${m.n} frequent tokens x ${l} SVD columns exceed ${MAX_BLOCK} values per block; use a larger minCount or a smaller dim`);
  }
  const t1 = performance.now();
  const svd = randomizedSvd(csrOperator({ rows: m.n, cols: m.n, rowPtr: m.rowPtr, col: m.col, val: m.val }), {
    rank: o.dim, oversample: o.oversample, powerIterations: o.powerIterations, seed: o.seed,
  });
  const svdSeconds = (performance.now() - t1) / 1000;
  const k = svd.k;
  let rank = 0;
  const top = k > 0 ? svd.S[0]! : 0;
  const scale = new Float64Array(k);
  for (let j = 0; j < k; j++) {
    if (top > 0 && svd.S[j]! > RANK_TOLERANCE * top) {
      scale[j] = Math.pow(svd.S[j]!, o.alpha);
      rank++;
    }
  }
  const data = new Float32Array(V * d);
  const semantic = new Uint8Array(V);
  const semanticIds: number[] = [];
  for (let i = 0; i < m.n; i++) {
    if (m.rowPtr[i + 1] === m.rowPtr[i]) continue;
    const id = m.ids[i]!;
    let n2 = 0;
    for (let j = 0; j < k; j++) {
      const x = svd.U[i * k + j]! * scale[j]!;
      data[id * d + j] = x;
      n2 += x * x;
    }
    if (n2 > 0 && Number.isFinite(n2)) {
      semantic[id] = 1;
      semanticIds.push(id);
    } else data.fill(0, id * d, id * d + d);
  }
  const s = medianRowNorm(data, d, semanticIds);
  for (let v = 0; v < V; v++) if (!semantic[v]) writeFallbackRow(v, d, s, data, v * d);
  return { data, frequent: m.n, semanticRows: semanticIds.length, nnz, rank, singularValues: svd.S, ppmiSeconds, svdSeconds };
}
