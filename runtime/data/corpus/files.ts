// What the file-based corpora (text, jsonl, parquet) share: the `path` option (one path, or one
// path per split), listing a folder, bounded reads, the hash-based document split and the
// content fingerprint. Bounds are checked before anything is allocated (docs/data.md, Bounds).
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { DataError, fsReason } from '../errors.ts';
import type { Split } from './types.ts';

/** Most files one corpus path may list (a folder is walked recursively). */
export const MAX_FILES = 100_000;
/** Deepest folder nesting walked. */
export const MAX_DEPTH = 32;
/** Largest text file read whole (the `text` corpus), in bytes. */
export const MAX_TEXT_FILE_BYTES = 256 * 1024 * 1024;
/** Longest JSONL line, in bytes. */
export const MAX_LINE_BYTES = 64 * 1024 * 1024;
/** The hash-based split's validation and test fractions together may not exceed this. */
export const MAX_HELDOUT_FRACTION = 0.5;

/** `path`: one file or folder (hash split), or one per split. */
export const PATH_SCHEMA = {
  description:
    'A file or a folder (relative paths resolve against the run spec\'s folder). One path: documents are split by a hash of their text (see `validation`, `test`). An object { train, validation?, test? }: one path per split, a missing split is empty.',
  oneOf: [
    { type: 'string', minLength: 1 },
    {
      type: 'object',
      properties: {
        train: { type: 'string', minLength: 1, description: 'The training split\'s file or folder.' },
        validation: { type: 'string', minLength: 1, description: 'The validation split\'s file or folder.' },
        test: { type: 'string', minLength: 1, description: 'The test split\'s file or folder.' },
      },
      required: ['train'],
      additionalProperties: false,
    },
  ],
} as const;

/** The `extensions` option of a corpus read from files: the name endings read in a folder. */
export function extensionsSchema<const D extends readonly string[]>(defaults: D) {
  return {
    type: 'array',
    items: { type: 'string', minLength: 1 },
    minItems: 1,
    default: defaults,
    description: 'In a folder, the file name endings read (case-insensitive); a path to a file reads that file whatever its name.',
  } as const;
}

export const FRACTION_SCHEMAS = {
  validation: {
    type: 'number',
    minimum: 0,
    maximum: MAX_HELDOUT_FRACTION,
    default: 0.05,
    description: 'With one path: the fraction of documents held out for validation, chosen by a hash of each document\'s text. Ignored with one path per split.',
  },
  test: {
    type: 'number',
    minimum: 0,
    maximum: MAX_HELDOUT_FRACTION,
    default: 0.05,
    description: 'With one path: the fraction of documents held out for test, by the same hash. Ignored with one path per split.',
  },
} as const;

export type PathSpec = string | { train: string; validation?: string; test?: string };

/** Absolute path of a user path. */
export function resolvePath(p: string, baseDir: string): string {
  return isAbsolute(p) ? p : resolve(baseDir, p);
}

function extList(exts: readonly string[]): string {
  return exts.map((e) => `'${e}'`).join(', ');
}

/**
 * The files of a path: the file itself, or the folder's files whose names end with one of
 * `extensions` (case-insensitive), recursively, sorted by relative path.
 */
export async function listFiles(path: string, extensions: readonly string[], option = 'path'): Promise<string[]> {
  let st;
  try {
    st = await stat(path);
  } catch (err) {
    throw new DataError(`${fsReason(err)}; the '${option}' option expects a file or a folder of ${extList(extensions)} files`, { file: path });
  }
  if (st.isFile()) return [path];
  if (!st.isDirectory()) throw new DataError(`not a file or a folder; the '${option}' option expects a file or a folder of ${extList(extensions)} files`, { file: path });
  const lower = extensions.map((e) => e.toLowerCase());
  const out: string[] = [];
  const walk = async (dir: string, depth: number): Promise<void> => {
    if (depth > MAX_DEPTH) throw new DataError(`folders nested more than ${MAX_DEPTH} deep`, { file: dir });
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      throw new DataError(`cannot list the folder (${fsReason(err)})`, { file: dir });
    }
    for (const e of entries) {
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p, depth + 1);
      else if (e.isFile() && lower.some((x) => e.name.toLowerCase().endsWith(x))) {
        if (out.length >= MAX_FILES) throw new DataError(`more than ${MAX_FILES} ${extList(extensions)} files; split the corpus or point to a sub-folder`, { file: path });
        out.push(p);
      }
    }
  };
  await walk(path, 0);
  if (out.length === 0) throw new DataError(`the folder has no ${extList(extensions)} files (the '${option}' option expects a file or a folder of them)`, { file: path });
  // Code-unit order of the relative path with '/' separators: the same on every platform.
  const key = (f: string) => relative(path, f).split(sep).join('/');
  return out.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/** A whole text file as a string (UTF-8, BOM dropped), bounded by MAX_TEXT_FILE_BYTES. */
export async function readTextFile(file: string): Promise<string> {
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch (err) {
    throw new DataError(`cannot read the file (${fsReason(err)})`, { file });
  }
  if (size > MAX_TEXT_FILE_BYTES) throw new DataError(`the file has ${size} bytes, more than the ${MAX_TEXT_FILE_BYTES} a text file may have; split it into several files`, { file });
  let buf: Buffer;
  try {
    buf = await readFile(file);
  } catch (err) {
    throw new DataError(`cannot read the file (${fsReason(err)})`, { file });
  }
  const text = buf.toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** The lines of a file (without '\n' or '\r\n'), 1-based numbers, streamed; bounded by MAX_LINE_BYTES. */
export async function* readLines(file: string): AsyncGenerator<{ line: string; lineNo: number }> {
  const stream = createReadStream(file);
  let parts: Buffer[] = [];
  let partBytes = 0;
  let lineNo = 0;
  const finish = (chunk: Buffer): string => {
    const all = parts.length ? Buffer.concat([...parts, chunk]) : chunk;
    parts = [];
    partBytes = 0;
    let s = all.toString('utf8');
    if (s.endsWith('\r')) s = s.slice(0, -1);
    if (lineNo === 1 && s.charCodeAt(0) === 0xfeff) s = s.slice(1);
    return s;
  };
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      let start = 0;
      for (let nl = chunk.indexOf(10, start); nl !== -1; nl = chunk.indexOf(10, start)) {
        lineNo++;
        if (partBytes + nl - start > MAX_LINE_BYTES) throw new DataError(`the line is longer than ${MAX_LINE_BYTES} bytes`, { file, line: lineNo });
        yield { line: finish(chunk.subarray(start, nl)), lineNo };
        start = nl + 1;
      }
      if (start < chunk.length) {
        partBytes += chunk.length - start;
        if (partBytes > MAX_LINE_BYTES) throw new DataError(`the line is longer than ${MAX_LINE_BYTES} bytes`, { file, line: lineNo + 1 });
        parts.push(chunk.subarray(start));
      }
    }
  } catch (err) {
    if (err instanceof DataError) throw err;
    throw new DataError(`cannot read the file (${fsReason(err)})`, { file });
  } finally {
    stream.destroy();
  }
  if (partBytes > 0) {
    lineNo++;
    yield { line: finish(Buffer.alloc(0)), lineNo };
  }
}

/** The split a document falls in under the hash rule: sha256('dlmk.split/1\0' + text) as u in [0, 1). */
export function hashSplit(text: string, validation: number, test: number): Split {
  const d = createHash('sha256').update('dlmk.split/1\0').update(text).digest();
  const u = d.readUIntBE(0, 6) / 2 ** 48;
  return u < validation ? 'validation' : u < validation + test ? 'test' : 'train';
}

/** Adds each file's relative name, size and content to a hash (streamed). */
export async function hashFiles(h: Hash, root: string, files: readonly string[]): Promise<void> {
  for (const f of files) {
    const rel = relative(root, f).split(sep).join('/');
    try {
      const st = await stat(f);
      h.update(`${rel}\0${st.size}\0`);
      for await (const chunk of createReadStream(f) as AsyncIterable<Buffer>) h.update(chunk);
    } catch (err) {
      throw new DataError(`cannot read the file (${fsReason(err)})`, { file: f });
    }
  }
}
