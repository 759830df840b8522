// Corpus embeddings end to end (runtime/data/embed/corpus.ts, docs/embeddings.md): on a synthetic
// corpus of clusters of interchangeable tokens every token's knn neighbours are its own cluster;
// rare and unseen tokens get finite, non-zero fallback rows that stay out of the frequent tokens'
// neighbourhoods; the result is deterministic; the cache is reused only when everything matches
// and rebuilt (with the reason logged) after a change or corruption.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  computeCorpusEmbeddings, FALLBACK_SPREAD, manifestPath, nearestTokens, writeFallbackRow, type EmbeddingMatrix,
} from '../../../../runtime/data/embed/index.ts';
import { DataError } from '../../../../runtime/data/errors.ts';
import { encodeSafetensors } from '../../../../runtime/io/index.ts';
import { EmbeddingsError } from '../../../../runtime/data/embeddings.ts';
import { mulberry32 } from '../../../../runtime/data/random.ts';

const C = 8; // clusters
const M = 5; // tokens per cluster: ids c*M .. c*M + M - 1
const F = C * M; // the frequent tokens
const RARE = [40, 41, 42, 43, 44]; // twice each: below minCount 5
const UNSEEN = [45, 46, 47, 48, 49];
const V = 50;

/**
 * Documents from a Markov chain over clusters (next cluster 3c + 1 mod 8 with probability 0.8, a
 * uniform one otherwise), each position a uniform token of its cluster; so tokens of one cluster
 * have the same context law and nothing else does. A few positions are replaced by rare tokens.
 */
function clusterCorpus(seed: number, docs = 300, len = 40): { tokens: Uint32Array; docOffsets: Uint32Array } {
  const u = mulberry32(seed);
  const out: number[] = [];
  const docOffsets = [0];
  for (let d = 0; d < docs; d++) {
    let c = Math.floor(u() * C);
    for (let i = 0; i < len; i++) {
      out.push(c * M + Math.floor(u() * M));
      c = u() < 0.8 ? (3 * c + 1) % C : Math.floor(u() * C);
    }
    docOffsets.push(out.length);
  }
  RARE.forEach((r, i) => {
    out[101 + 997 * i] = r;
    out[503 + 1009 * i] = r;
  });
  return { tokens: Uint32Array.from(out), docOffsets: Uint32Array.from(docOffsets) };
}

const OPTS = { dim: 8, window: 2, minCount: 5 };

function norm(e: EmbeddingMatrix, v: number): number {
  let s = 0;
  for (let j = 0; j < e.d; j++) s += e.data[v * e.d + j]! ** 2;
  return Math.sqrt(s);
}

async function rejects(f: () => Promise<unknown>, cls: Function, text: string) {
  try {
    await f();
  } catch (err) {
    assert.instance(err, cls);
    assert.ok((err as Error).message.includes(text), `message "${(err as Error).message}" lacks "${text}"`);
    return;
  }
  assert.unreachable(`expected an error mentioning "${text}"`);
}

const corpus = clusterCorpus(1);

test('clusters of interchangeable tokens: every knn neighbour is in the token\'s own cluster', async () => {
  const e = await computeCorpusEmbeddings(corpus.tokens, corpus.docOffsets, V, OPTS);
  assert.is(e.V, V);
  assert.is(e.d, OPTS.dim + 1);
  assert.is(e.data.length, V * e.d);
  assert.is(e.report.semanticRows, F);
  assert.is(e.report.fallbackRows, V - F);
  assert.ok(e.report.fallbackAxis && !e.report.cached);
  for (let v = 0; v < F; v++) {
    const nb = nearestTokens(e, v, { k: M - 1, bandwidth: 0.3 });
    const others = nb.filter((n) => Math.floor(n.id / M) !== Math.floor(v / M));
    assert.is(others.length, 0, `token ${v}: neighbours ${nb.map((n) => n.id).join(', ')}`);
    // With room to spare: the last of its cluster is well above the first of another.
    const next = nearestTokens(e, v, { k: M, bandwidth: 0.3 });
    assert.ok(next[M - 2]!.cosine - next[M - 1]!.cosine > 0.2);
    // And the k = 10 neighbours never reach a fallback row.
    assert.ok(nearestTokens(e, v, { k: 10, bandwidth: 0.3 }).every((n) => n.id < F));
    assert.is(e.data[v * e.d + e.d - 1], 0, 'semantic rows are 0 on the fallback axis');
  }
});

test('fallback rows: finite, non-zero, on the fallback axis, seeded by the id alone, far from semantic rows', async () => {
  const e = await computeCorpusEmbeddings(corpus.tokens, corpus.docOffsets, V, OPTS);
  const other = await computeCorpusEmbeddings(clusterCorpus(2).tokens, clusterCorpus(2).docOffsets, V, { ...OPTS, dim: 8, seed: 9 });
  const d = e.d;
  const fallback = [...RARE, ...UNSEEN];
  for (const v of fallback) {
    const row = e.data.subarray(v * d, v * d + d);
    assert.ok(row.every(Number.isFinite));
    assert.ok(norm(e, v) > 0);
    assert.ok(row[d - 1]! > 0);
    // The rule: scale * (spread * r_id, 1) / sqrt(1 + spread^2), r_id a unit vector from the id.
    const want = new Float32Array(d);
    writeFallbackRow(v, d, norm(e, v), want, 0);
    for (let j = 0; j < d; j++) assert.ok(Math.abs(row[j]! - want[j]!) < 1e-6 * norm(e, v));
    // Another corpus (other scale): the same direction.
    let dot = 0;
    for (let j = 0; j < d; j++) dot += row[j]! * other.data[v * d + j]!;
    assert.ok(Math.abs(dot / (norm(e, v) * norm(other, v)) - 1) < 1e-6);
    // Its neighbours are the other fallback rows.
    assert.ok(nearestTokens(e, v, { k: 9, bandwidth: 0.3 }).every((n) => fallback.includes(n.id)));
    for (let u = 0; u < F; u++) {
      const cos = nearestCos(e, v, u);
      assert.ok(Math.abs(cos) <= FALLBACK_SPREAD / Math.sqrt(1 + FALLBACK_SPREAD ** 2) + 1e-6, `cos(${v}, ${u}) = ${cos}`);
    }
  }
});

function nearestCos(e: EmbeddingMatrix, a: number, b: number): number {
  let s = 0;
  for (let j = 0; j < e.d; j++) s += e.data[a * e.d + j]! * e.data[b * e.d + j]!;
  return s / (norm(e, a) * norm(e, b));
}

test('deterministic: the same input, options and seed give the same bits; a corpus too small for any vector is all fallback', async () => {
  const a = await computeCorpusEmbeddings(corpus.tokens, corpus.docOffsets, V, OPTS);
  const b = await computeCorpusEmbeddings(corpus.tokens, corpus.docOffsets, V, OPTS);
  assert.equal(Array.from(a.data), Array.from(b.data));
  const tiny = await computeCorpusEmbeddings(Uint32Array.of(1, 2, 3), Uint32Array.of(0, 3), 6, { dim: 4 });
  assert.is(tiny.report.semanticRows, 0);
  for (let v = 0; v < 6; v++) assert.ok(norm(tiny, v) > 0 && tiny.data.subarray(v * 5, v * 5 + 5).every(Number.isFinite));
  // dim above the number of frequent tokens: the extra components are zero, rows stay non-zero.
  const wide = await computeCorpusEmbeddings(corpus.tokens, corpus.docOffsets, V, { ...OPTS, dim: 64 });
  assert.is(wide.d, 65);
  assert.is(wide.report.semanticRows, F);
  for (let v = 0; v < F; v++) for (let j = F; j < 65; j++) assert.is(wide.data[v * 65 + j], 0);
});

test('the cache: written, reused while nothing changes, rebuilt with the reason logged after any change or corruption', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dlmk-embed-cache-'));
  try {
    const file = join(dir, 'train.tokens.embeddings.safetensors');
    const lines: string[] = [];
    const log = (l: string) => lines.push(l);
    const run = (opts: object = OPTS, c = corpus, fingerprint = 'fp1') => computeCorpusEmbeddings(c.tokens, c.docOffsets, V, opts, { cacheFile: file, fingerprint, log });
    const first = await run();
    assert.not.ok(first.report.cached);
    assert.ok(existsSync(file) && existsSync(manifestPath(file)));
    const m = JSON.parse(readFileSync(manifestPath(file), 'utf8'));
    assert.is(m.format, 'dlmk.embeddings-cache/1');
    assert.equal(m.key.options, { window: 2, weighting: 'harmonic', minCount: 5, cds: 0.75, dim: 8, alpha: 0.5, oversample: 10, powerIterations: 3, seed: 0 });
    assert.is(m.key.fingerprint, 'fp1');
    assert.match(m.key.tokensSha256, /^[0-9a-f]{64}$/);

    const again = await run();
    assert.ok(again.report.cached);
    assert.equal(Array.from(again.data), Array.from(first.data));
    assert.ok(lines.some((l) => l.startsWith(`corpus: read ${file}`)));

    const expectRebuild = async (why: string, f: () => Promise<EmbeddingMatrix>) => {
      lines.length = 0;
      const r = await f();
      assert.not.ok(r.report.cached, why);
      assert.ok(lines.some((l) => l.includes(why) && l.endsWith('; rebuilding')), `no log line with "${why}" in ${JSON.stringify(lines)}`);
      return r;
    };
    await expectRebuild('options differs', () => run({ ...OPTS, window: 3 }));
    await expectRebuild('options differs', () => run(OPTS)); // back to the first options: rebuilt again, not confused
    const other = clusterCorpus(7);
    await expectRebuild('tokensSha256 differs', () => run(OPTS, other));
    await expectRebuild('tokensSha256 differs', () => run(OPTS));
    await expectRebuild('fingerprint differs (cache "fp1", now "fp2")', () => run(OPTS, corpus, 'fp2'));
    await run(OPTS, corpus, 'fp1');

    // One flipped bit in the tensor data: the hash catches it, the vectors are recomputed.
    const bytes = readFileSync(file);
    bytes[bytes.length - 7]! ^= 0x10;
    writeFileSync(file, bytes);
    const fixed = await expectRebuild('sha256 mismatch', () => run());
    assert.equal(Array.from(fixed.data), Array.from(first.data));
    assert.ok((await run()).report.cached);

    writeFileSync(file, readFileSync(file).subarray(0, 100));
    await expectRebuild('size mismatch: 100 bytes, the manifest says', () => run());
    writeFileSync(manifestPath(file), '{"format": ');
    await expectRebuild('the manifest is not valid JSON', () => run());
    writeFileSync(manifestPath(file), JSON.stringify({ format: 'other' }));
    await expectRebuild("the manifest's format is not dlmk.embeddings-cache/1", () => run());
    rmSync(file);
    await expectRebuild('algorithm differs', async () => {
      writeFileSync(manifestPath(file), JSON.stringify({ ...m, key: { ...m.key, algorithm: 0 } }));
      return run();
    });
    rmSync(file);
    const mm = JSON.parse(readFileSync(manifestPath(file), 'utf8'));
    await expectRebuild('the file is missing', async () => {
      writeFileSync(manifestPath(file), JSON.stringify(mm));
      return run();
    });

    // cache: false neither reads nor writes.
    lines.length = 0;
    const before = readFileSync(manifestPath(file), 'utf8');
    const nc = await run({ ...OPTS, cache: false, window: 4 });
    assert.not.ok(nc.report.cached);
    assert.is(readFileSync(manifestPath(file), 'utf8'), before);

    // A cache that cannot be written (its folder is a file): logged, and the vectors are still returned.
    writeFileSync(join(dir, 'blocker'), 'x');
    lines.length = 0;
    const blocked = await computeCorpusEmbeddings(corpus.tokens, corpus.docOffsets, V, OPTS, { cacheFile: join(dir, 'blocker', 'e.safetensors'), log });
    assert.is(blocked.V, V);
    assert.ok(lines.some((l) => l.includes('not written (') && l.endsWith('the vectors are used without a cache')), JSON.stringify(lines));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the cache refuses a manifest or file that is consistent but wrong: every reason logged', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dlmk-embed-cache2-'));
  try {
    const file = join(dir, 'e.safetensors');
    const lines: string[] = [];
    const run = () => computeCorpusEmbeddings(corpus.tokens, corpus.docOffsets, V, OPTS, { cacheFile: file, log: (l) => lines.push(l) });
    await run();
    const good = JSON.parse(readFileSync(manifestPath(file), 'utf8'));
    const d = OPTS.dim + 1;
    /** Writes `bytes` as the cache file with a manifest that matches them (so only the content is wrong). */
    const plant = (bytes: Uint8Array, patch: object = {}) => {
      writeFileSync(file, bytes);
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      writeFileSync(manifestPath(file), JSON.stringify({ ...good, file: { ...good.file, bytes: bytes.byteLength, sha256 }, ...patch }));
    };
    const expectRebuild = async (why: string) => {
      lines.length = 0;
      const r = await run();
      assert.not.ok(r.report.cached, why);
      assert.ok(lines.some((l) => l === `embeddings cache ${file}: ${why}; rebuilding`), `no log line "${why}" in ${JSON.stringify(lines)}`);
    };
    const data = new Float32Array(V * d).fill(0.5);
    plant(encodeSafetensors([{ name: 'other', shape: [V, d], data }]));
    await expectRebuild("no tensor 'embeddings'");
    plant(encodeSafetensors([{ name: 'embeddings', shape: [V, d - 1], data: data.subarray(0, V * (d - 1)) }]));
    await expectRebuild(`tensor 'embeddings' has shape [${V}, ${d - 1}], the manifest says [${V}, ${d}]`);
    const nan = data.slice();
    nan[7] = NaN;
    plant(encodeSafetensors([{ name: 'embeddings', shape: [V, d], data: nan }]));
    await expectRebuild('value 7 is not finite');
    plant(new Uint8Array(16));
    await expectRebuild('bad header length 0: too short for a JSON object');
    plant(encodeSafetensors([{ name: 'embeddings', shape: [V, d], data }]), { V: 0 });
    await expectRebuild('the manifest has no valid V and d');
    plant(encodeSafetensors([{ name: 'embeddings', shape: [V, d], data }]), { file: null });
    await expectRebuild('the manifest does not describe the file');
    // A planted file that passes every check is used: the cache trusts its key and hash, nothing else.
    plant(encodeSafetensors([{ name: 'embeddings', shape: [V, d], data }]));
    const used = await run();
    assert.ok(used.report.cached);
    assert.is(used.data[0], 0.5);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('option and size errors name the option and the bound', async () => {
  const c = corpus;
  await rejects(() => computeCorpusEmbeddings(c.tokens, c.docOffsets, V, { window: 500 }), DataError, "embeddings 'corpus' options are not valid: $.window must be <= 100");
  await rejects(() => computeCorpusEmbeddings(c.tokens, c.docOffsets, V, { weighting: 'cubic' as 'uniform' }), DataError, '$.weighting must be one of "harmonic", "linear", "uniform"');
  await rejects(() => computeCorpusEmbeddings(c.tokens, c.docOffsets, V, { dim: 0 }), DataError, '$.dim must be >= 1');
  await rejects(() => computeCorpusEmbeddings(c.tokens, c.docOffsets, V, { alpha: 2 }), DataError, '$.alpha must be <= 1');
  await rejects(() => computeCorpusEmbeddings(c.tokens, c.docOffsets, V, { bogus: 1 } as object), DataError, "$ has an unknown property 'bogus'");
  await rejects(() => computeCorpusEmbeddings(c.tokens, c.docOffsets, 10, OPTS), EmbeddingsError, 'is not below V = 10');
  await rejects(
    () => computeCorpusEmbeddings(new Uint32Array(0), Uint32Array.of(0), 1 << 24, { dim: 1024 }),
    EmbeddingsError,
    "embeddings 'corpus': V = 16777216 rows of 1025 values exceed 2^31 values; use a smaller dim",
  );
});

test.run();
