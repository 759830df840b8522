// Shared by the data tests: temp folders, collecting documents, and asserting DataError messages.
import * as assert from 'uvu/assert';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DataError } from '../../../runtime/data/errors.ts';
import type { Corpus, Split } from '../../../runtime/data/corpus/types.ts';

export function tempDir(prefix = 'dlmk-data-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Writes files { 'a/b.txt': '...' } under dir (Uint8Array for binary). */
export function writeTree(dir: string, files: Record<string, string | Uint8Array>): void {
  for (const [rel, content] of Object.entries(files)) {
    const p = join(dir, rel);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, content);
  }
}

export async function collect(corpus: Corpus, split: Split): Promise<string[]> {
  const out: string[] = [];
  for await (const d of corpus.documents(split)) out.push(d);
  return out;
}

function check(err: unknown, text: string): void {
  assert.instance(err, DataError, `expected a DataError, got ${String(err)}`);
  assert.ok((err as Error).message.includes(text), `message "${(err as Error).message}" lacks "${text}"`);
}

/** Asserts that f (sync or async) fails with a DataError whose message contains `text`; returns it. */
export async function failsWith(f: () => unknown, text: string): Promise<DataError> {
  try {
    await f();
  } catch (err) {
    check(err, text);
    return err as DataError;
  }
  assert.unreachable(`expected a DataError mentioning "${text}"`);
  throw new Error('unreachable');
}

export const ctxFor = (baseDir: string, cacheDir = join(baseDir, '.cache'), log: (l: string) => void = () => undefined) => ({ baseDir, cacheDir, log });
