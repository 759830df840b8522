// The base of the file-based corpora: resolves `path` (one path with the hash split, or one path
// per split), lists the files lazily, and fingerprints the content plus the options that decide
// what a document is. A subclass only says how one file becomes documents.
import { createHash } from 'node:crypto';
import { hashSplit, hashFiles, listFiles, resolvePath, type PathSpec } from './files.ts';
import { SPLITS, type Corpus, type Split } from './types.ts';

export interface FileCorpusOptions {
  path: PathSpec;
  extensions: string[];
  validation: number;
  test: number;
}

export abstract class FileCorpus implements Corpus {
  private readonly roots: Partial<Record<Split, string>>;
  private readonly single: boolean;
  private readonly listed = new Map<string, Promise<string[]>>();
  private fp: Promise<string> | undefined;

  constructor(
    readonly name: string,
    protected readonly opts: FileCorpusOptions,
    baseDir: string,
  ) {
    const p = opts.path;
    this.single = typeof p === 'string';
    this.roots = {};
    if (typeof p === 'string') this.roots.train = resolvePath(p, baseDir);
    else for (const s of SPLITS) if (p[s] !== undefined) this.roots[s] = resolvePath(p[s], baseDir);
  }

  /** The documents of one file, in order. */
  protected abstract fileDocuments(file: string): AsyncIterable<string>;

  /** The options (besides path and the split) that change what the documents are, for the fingerprint. */
  protected abstract contentOptions(): Record<string, unknown>;

  /** What one file is, for describe(): 'JSONL field "text"'. */
  protected abstract what(): string;

  describe(): string {
    const where = this.single
      ? `${this.roots.train} (hash split: validation ${this.opts.validation}, test ${this.opts.test})`
      : SPLITS.filter((s) => this.roots[s]).map((s) => `${s}: ${this.roots[s]}`).join(', ');
    return `${this.name} corpus: ${this.what()} from ${where}`;
  }

  private files(root: string, option: string): Promise<string[]> {
    let p = this.listed.get(root);
    if (!p) {
      p = listFiles(root, this.opts.extensions, option);
      this.listed.set(root, p);
      // A failed listing is not cached: the user may fix the path and ask again.
      p.catch(() => this.listed.delete(root));
    }
    return p;
  }

  async *documents(split: Split): AsyncIterable<string> {
    if (this.single) {
      const root = this.roots.train!;
      for (const f of await this.files(root, 'path')) {
        for await (const doc of this.fileDocuments(f)) if (hashSplit(doc, this.opts.validation, this.opts.test) === split) yield doc;
      }
      return;
    }
    const root = this.roots[split];
    if (root === undefined) return;
    for (const f of await this.files(root, `path.${split}`)) yield* this.fileDocuments(f);
  }

  fingerprint(): Promise<string> {
    this.fp ??= (async () => {
      const h = createHash('sha256');
      const rule = this.single ? { hash: 'dlmk.split/1', validation: this.opts.validation, test: this.opts.test } : { paths: SPLITS.filter((s) => this.roots[s]) };
      h.update(JSON.stringify({ format: 'dlmk.corpus/1', name: this.name, rule, options: this.contentOptions(), extensions: this.opts.extensions }) + '\0');
      for (const s of SPLITS) {
        const root = this.roots[s];
        if (root === undefined) continue;
        h.update(`split ${s}\0`);
        await hashFiles(h, root, await this.files(root, this.single ? 'path' : `path.${s}`));
      }
      return h.digest('hex');
    })();
    this.fp.catch(() => (this.fp = undefined));
    return this.fp;
  }
}
