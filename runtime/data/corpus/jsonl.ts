// The `jsonl` corpus: one JSON object per line, the document in a named string field. Blank lines
// are skipped; anything else that is not an object with a string field is an error at file:line.
import { DataError } from '../errors.ts';
import { FileCorpus } from './file-corpus.ts';
import { extensionsSchema, FRACTION_SCHEMAS, PATH_SCHEMA, readLines } from './files.ts';
import type { FromSchema } from '../schema.ts';

export const JSONL_OPTIONS = {
  type: 'object',
  properties: {
    path: PATH_SCHEMA,
    field: { type: 'string', minLength: 1, default: 'text', description: 'The field of each object that holds the document text (a string).' },
    extensions: extensionsSchema(['.jsonl', '.ndjson']),
    ...FRACTION_SCHEMAS,
  },
  required: ['path'],
  additionalProperties: false,
} as const;

export type JsonlCorpusOptions = FromSchema<typeof JSONL_OPTIONS>;

function kind(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

export class JsonlCorpus extends FileCorpus {
  constructor(private readonly o: JsonlCorpusOptions, baseDir: string) {
    super('jsonl', o, baseDir);
  }

  protected what(): string {
    return `JSON lines, field '${this.o.field}'`;
  }

  protected contentOptions(): Record<string, unknown> {
    return { field: this.o.field };
  }

  protected async *fileDocuments(file: string): AsyncIterable<string> {
    const field = this.o.field;
    for await (const { line, lineNo } of readLines(file)) {
      if (line.trim() === '') continue;
      let obj: unknown;
      try {
        obj = JSON.parse(line);
      } catch (err) {
        throw new DataError(`not valid JSON (${(err as Error).message})`, { file, line: lineNo });
      }
      if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw new DataError(`expected a JSON object, found ${kind(obj)}`, { file, line: lineNo });
      if (!Object.hasOwn(obj, field)) {
        const keys = Object.keys(obj);
        throw new DataError(`the object has no field '${field}' (its fields: ${keys.length ? keys.map((k) => `'${k}'`).join(', ') : 'none'}); set the corpus option 'field'`, { file, line: lineNo, field });
      }
      const text = (obj as Record<string, unknown>)[field];
      if (typeof text !== 'string') throw new DataError(`the field '${field}' is ${kind(text)}, expected a string`, { file, line: lineNo, field });
      if (text.trim()) yield text;
    }
  }
}
