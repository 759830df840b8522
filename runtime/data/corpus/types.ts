// The corpus interface: a named source of documents (plain strings) in three splits.

export type Split = 'train' | 'validation' | 'test';

export const SPLITS: readonly Split[] = ['train', 'validation', 'test'];

export interface Corpus {
  /** The plugin name ('sotu', 'text', ...), used in cache file names and manifests. */
  readonly name: string;
  /** One line for logs: what it reads and how it splits. */
  describe(): string;
  /**
   * sha256 (hex) of the content and the split rule: it changes when a document, a file, the
   * split rule or an option that changes the documents changes. Caches are keyed by it.
   */
  fingerprint(): Promise<string>;
  /** The split's documents, in a fixed order. Errors are DataError values. */
  documents(split: Split): AsyncIterable<string>;
}

export function isSplit(s: unknown): s is Split {
  return s === 'train' || s === 'validation' || s === 'test';
}
