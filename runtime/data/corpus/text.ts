// The `text` corpus: a text file or a folder of them; a file is one document, or each
// blank-line-separated paragraph is one (the default).
import { FileCorpus } from './file-corpus.ts';
import { extensionsSchema, FRACTION_SCHEMAS, PATH_SCHEMA, readTextFile } from './files.ts';
import type { FromSchema } from '../schema.ts';

export const TEXT_OPTIONS = {
  type: 'object',
  properties: {
    path: PATH_SCHEMA,
    extensions: extensionsSchema(['.txt']),
    documents: {
      enum: ['paragraph', 'file'],
      default: 'paragraph',
      description: "'paragraph': each run of text between blank lines is a document (trimmed); 'file': each file is one document (trimmed).",
    },
    ...FRACTION_SCHEMAS,
  },
  required: ['path'],
  additionalProperties: false,
} as const;

export type TextCorpusOptions = FromSchema<typeof TEXT_OPTIONS>;

/** Blank lines (only spaces or tabs between two line breaks) separate paragraphs. */
const BLANK_LINE = /\r?\n[ \t]*\r?\n/;

export function paragraphs(text: string): string[] {
  return text
    .split(BLANK_LINE)
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
}

export class TextCorpus extends FileCorpus {
  constructor(private readonly o: TextCorpusOptions, baseDir: string) {
    super('text', o, baseDir);
  }

  protected what(): string {
    return this.o.documents === 'file' ? 'text files, one document each' : 'text paragraphs';
  }

  protected contentOptions(): Record<string, unknown> {
    return { documents: this.o.documents };
  }

  protected async *fileDocuments(file: string): AsyncIterable<string> {
    const text = await readTextFile(file);
    if (this.o.documents === 'file') {
      const t = text.trim();
      if (t) yield t;
    } else yield* paragraphs(text);
  }
}
