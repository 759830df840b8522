// The file corpora (text, jsonl, parquet): documents, the two ways to split, the fingerprint, and
// every error with its file, line, row or field.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { appendFileSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { JsonlCorpus, ParquetCorpus, TextCorpus, hashSplit, paragraphs, SPLITS, MAX_DEPTH, MAX_LINE_BYTES, MAX_TEXT_FILE_BYTES } from '../../../runtime/data/corpus/index.ts';
import { resolveOptions } from '../../../runtime/data/schema.ts';
import { JSONL_OPTIONS, PARQUET_OPTIONS, TEXT_OPTIONS } from '../../../runtime/data/index.ts';
import { collect, failsWith, tempDir, writeTree } from './helpers.ts';
import { writeParquet } from './parquet-writer.ts';

const text = (o: Record<string, unknown>, base: string) => new TextCorpus(resolveOptions(TEXT_OPTIONS, o, 'text'), base);
const jsonl = (o: Record<string, unknown>, base: string) => new JsonlCorpus(resolveOptions(JSONL_OPTIONS, o, 'jsonl'), base);
const parquet = (o: Record<string, unknown>, base: string) => new ParquetCorpus(resolveOptions(PARQUET_OPTIONS, o, 'parquet'), base);

test('text: paragraphs and whole files, a folder walked in path order, extensions', async () => {
  const dir = tempDir();
  writeTree(dir, {
    'b/two.txt': 'Second file.\n',
    'a.txt': '\uFEFFFirst para\nstill first.\n\n  \t\nSecond para.\r\n\r\nThird.',
    'notes.md': 'not read',
    'c/deeper/three.TXT': 'Third file.',
  });
  const paras = text({ path: { train: '.' } }, dir);
  assert.equal(await collect(paras, 'train'), ['First para\nstill first.', 'Second para.', 'Third.', 'Second file.', 'Third file.']);
  assert.equal(await collect(paras, 'validation'), []);
  const files = text({ path: { train: '.' }, documents: 'file', extensions: ['.md'] }, dir);
  assert.equal(await collect(files, 'train'), ['not read']);
  assert.equal(paragraphs('a\n\n\nb\n \nc'), ['a', 'b', 'c']);
});

test('one path: the hash split is disjoint, covers every document, is deterministic and follows the fractions', async () => {
  const dir = tempDir();
  const docs = Array.from({ length: 400 }, (_, i) => `Document number ${i} says ${i * 7919 % 1000}.`);
  writeTree(dir, { 'all.txt': docs.join('\n\n') });
  const c = text({ path: 'all.txt', validation: 0.1, test: 0.2 }, dir);
  const parts = await Promise.all(SPLITS.map((s) => collect(c, s)));
  const [train, val, tst] = parts as [string[], string[], string[]];
  assert.is(train.length + val.length + tst.length, 400);
  assert.is(new Set([...train, ...val, ...tst]).size, 400);
  assert.ok(val.length > 20 && val.length < 60, `validation ${val.length}`);
  assert.ok(tst.length > 55 && tst.length < 105, `test ${tst.length}`);
  for (const d of val) assert.is(hashSplit(d, 0.1, 0.2), 'validation');
  // Same rule, another corpus object: the same split, in the file's order.
  assert.equal(await collect(text({ path: 'all.txt', validation: 0.1, test: 0.2 }, dir), 'validation'), val);
  // The split follows the text, not the position: a document moved keeps its split.
  writeTree(dir, { 'rev.txt': [...docs].reverse().join('\n\n') });
  assert.equal(await collect(text({ path: 'rev.txt', validation: 0.1, test: 0.2 }, dir), 'validation'), [...val].reverse());
});

test('one path per split; a missing split is empty', async () => {
  const dir = tempDir();
  writeTree(dir, { 'tr.txt': 'a\n\nb', 'va.txt': 'c' });
  const c = text({ path: { train: 'tr.txt', validation: join(dir, 'va.txt') } }, dir);
  assert.equal(await collect(c, 'train'), ['a', 'b']);
  assert.equal(await collect(c, 'validation'), ['c']);
  assert.equal(await collect(c, 'test'), []);
  assert.ok(c.describe().includes('validation: ' + join(dir, 'va.txt')));
});

test('the fingerprint changes with the content, the split rule and the document rule, not with the folder', async () => {
  const a = tempDir();
  const b = tempDir();
  for (const d of [a, b]) writeTree(d, { 'x.txt': 'one\n\ntwo', 'sub/y.txt': 'three' });
  const fa = await text({ path: '.' }, a).fingerprint();
  assert.match(fa, /^[0-9a-f]{64}$/);
  assert.is(await text({ path: '.' }, b).fingerprint(), fa);
  assert.is.not(await text({ path: '.', validation: 0.1 }, a).fingerprint(), fa);
  assert.is.not(await text({ path: '.', documents: 'file' }, a).fingerprint(), fa);
  assert.is.not(await text({ path: { train: '.' } }, a).fingerprint(), fa);
  appendFileSync(join(b, 'sub/y.txt'), '!');
  assert.is.not(await text({ path: '.' }, b).fingerprint(), fa);
});

test('jsonl: the field, blank lines skipped, a custom field, CRLF', async () => {
  const dir = tempDir();
  writeTree(dir, {
    'd.jsonl': '{"text": "alpha", "n": 1}\n\n{"text": "beta"}\r\n{"text": "   "}\n{"body": "x", "text": "gamma"}',
    'e.jsonl': '{"body": "only body"}\n',
  });
  assert.equal(await collect(jsonl({ path: { train: 'd.jsonl' } }, dir), 'train'), ['alpha', 'beta', 'gamma']);
  assert.equal(await collect(jsonl({ path: { train: 'e.jsonl' }, field: 'body' }, dir), 'train'), ['only body']);
});

test('jsonl errors name file:line and the field', async () => {
  const dir = tempDir();
  writeTree(dir, {
    'bad.jsonl': '{"text": "ok"}\n{"text": "ok"\n',
    'missing.jsonl': '{"text": "ok"}\n\n{"body": "x", "id": 3}\n',
    'num.jsonl': '{"text": 42}\n',
    'arr.jsonl': '["text"]\n',
  });
  const f = (name: string) => join(dir, name);
  let e = await failsWith(() => collect(jsonl({ path: { train: 'bad.jsonl' } }, dir), 'train'), `${f('bad.jsonl')}:2: not valid JSON (`);
  assert.is(e.line, 2);
  e = await failsWith(() => collect(jsonl({ path: { train: 'missing.jsonl' } }, dir), 'train'), `${f('missing.jsonl')}:3: the object has no field 'text' (its fields: 'body', 'id'); set the corpus option 'field'`);
  assert.equal([e.file, e.line, e.field], [f('missing.jsonl'), 3, 'text']);
  await failsWith(() => collect(jsonl({ path: { train: 'num.jsonl' } }, dir), 'train'), `${f('num.jsonl')}:1: the field 'text' is a number, expected a string`);
  await failsWith(() => collect(jsonl({ path: { train: 'arr.jsonl' } }, dir), 'train'), `${f('arr.jsonl')}:1: expected a JSON object, found an array`);
});

test('parquet: the column across row groups, a folder of files', async () => {
  const dir = tempDir();
  const docs = Array.from({ length: 23 }, (_, i) => `row ${i} naïve`);
  writeTree(dir, {
    'p/1.parquet': writeParquet([{ name: 'id', type: 'int32', values: docs.map((_, i) => i) }, { name: 'text', type: 'string', values: docs }], 5),
    'p/2.parquet': writeParquet([{ name: 'sentence', type: 'string', values: ['last one', ' '] }]),
  });
  assert.equal(await collect(parquet({ path: { train: 'p/1.parquet' } }, dir), 'train'), docs);
  assert.equal(await collect(parquet({ path: { train: 'p/2.parquet' }, column: 'sentence' }, dir), 'train'), ['last one']);
  const c = parquet({ path: 'p', validation: 0.3, test: 0 }, dir);
  await failsWith(() => collect(c, 'train'), "2.parquet: no column 'text' (its columns: 'sentence'); set the corpus option 'column'");
});

test('parquet errors: missing column (with the columns it has), not strings, nulls, not a Parquet file', async () => {
  const dir = tempDir();
  writeTree(dir, {
    'a.parquet': writeParquet([{ name: 'id', type: 'int32', values: [1, 2] }, { name: 'body', type: 'string', values: ['x', 'y'] }]),
    'n.parquet': writeParquet([{ name: 'text', type: 'string', values: ['x', 'y', null, 'z'] }], 2),
    'bad.parquet': 'PAR1 this is not parquet',
  });
  const f = (name: string) => join(dir, name);
  const e = await failsWith(() => collect(parquet({ path: { train: 'a.parquet' } }, dir), 'train'), `${f('a.parquet')}: no column 'text' (its columns: 'id', 'body')`);
  assert.is(e.field, 'text');
  await failsWith(() => collect(parquet({ path: { train: 'a.parquet' }, column: 'id' }, dir), 'train'), `${f('a.parquet')}: the column 'id' holds INT32, not strings (BYTE_ARRAY)`);
  const n = await failsWith(() => collect(parquet({ path: { train: 'n.parquet' } }, dir), 'train'), `${f('n.parquet')}: row 2: the column 'text' is null here, expected a string`);
  assert.is(n.row, 2);
  await failsWith(() => collect(parquet({ path: { train: 'bad.parquet' } }, dir), 'train'), `${f('bad.parquet')}: not a readable Parquet file (`);
});

test('path errors say what the option expects; empty folders and bad options are refused', async () => {
  const dir = tempDir();
  writeTree(dir, { 'empty/readme.md': 'x', 'x.txt': 'x' });
  const nowhere = join(dir, 'nowhere');
  await failsWith(() => collect(text({ path: 'nowhere' }, dir), 'train'), `${nowhere}: no such file or folder; the 'path' option expects a file or a folder of '.txt' files`);
  await failsWith(() => text({ path: { train: 'x.txt', validation: 'nowhere' } }, dir).fingerprint(), `${nowhere}: no such file or folder; the 'path.validation' option expects`);
  await failsWith(() => collect(jsonl({ path: 'empty' }, dir), 'train'), `${join(dir, 'empty')}: the folder has no '.jsonl', '.ndjson' files`);
  await failsWith(() => resolveOptions(TEXT_OPTIONS, { path: 'a', validation: 0.7 }, "corpus 'text'"), "corpus 'text' options are not valid: $.validation must be <= 0.5");
  await failsWith(() => resolveOptions(TEXT_OPTIONS, {}, "corpus 'text'"), "$ is missing the property 'path'");
  await failsWith(() => resolveOptions(JSONL_OPTIONS, { path: 'a', feild: 'x' }, "corpus 'jsonl'"), "$ has an unknown property 'feild'");
  await failsWith(() => resolveOptions(TEXT_OPTIONS, { path: 'a', documents: 'line' }, "corpus 'text'"), `$.documents must be one of "paragraph", "file"`);
  await failsWith(() => resolveOptions(TEXT_OPTIONS, { path: { validation: 'v' } }, "corpus 'text'"), "$.path is missing the property 'train'");
});

test('bounds: a text file too large, a JSONL line too long, folders nested too deep', async () => {
  const dir = tempDir();
  // Sparse files: the size is checked from stat before a byte is read.
  writeTree(dir, { 'big.txt': '', 'long.jsonl': '{"text": "ok"}\n' });
  truncateSync(join(dir, 'big.txt'), MAX_TEXT_FILE_BYTES + 1);
  await failsWith(() => collect(text({ path: { train: 'big.txt' } }, dir), 'train'), `${join(dir, 'big.txt')}: the file has ${MAX_TEXT_FILE_BYTES + 1} bytes, more than the ${MAX_TEXT_FILE_BYTES} a text file may have; split it into several files`);
  truncateSync(join(dir, 'long.jsonl'), 15 + MAX_LINE_BYTES + 1);
  const e = await failsWith(() => collect(jsonl({ path: { train: 'long.jsonl' } }, dir), 'train'), `${join(dir, 'long.jsonl')}:2: the line is longer than ${MAX_LINE_BYTES} bytes`);
  assert.is(e.line, 2);
  const deep = Array.from({ length: MAX_DEPTH + 2 }, (_, i) => `d${i}`).join('/');
  writeTree(dir, { [`deep/${deep}/x.txt`]: 'x' });
  await failsWith(() => collect(text({ path: { train: 'deep' } }, dir), 'train'), `folders nested more than ${MAX_DEPTH} deep`);
});

test('resolveOptions fills the defaults', () => {
  assert.equal(resolveOptions(TEXT_OPTIONS, { path: 'x' }, 't'), { path: 'x', extensions: ['.txt'], documents: 'paragraph', validation: 0.05, test: 0.05 });
  assert.equal(resolveOptions(PARQUET_OPTIONS, { path: { train: 'x' } }, 'p').column, 'text');
});

test.run();
