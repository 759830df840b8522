// The `parquet` corpus: a column of strings in Parquet files (LM1B or OpenWebText exports as they
// are), read with hyparquet one row group at a time so memory stays bounded by the largest group.
import { asyncBufferFromFile, parquetMetadataAsync, parquetRead, parquetSchema, type AsyncBuffer, type FileMetaData } from 'hyparquet';
import { DataError, fsReason } from '../errors.ts';
import { FileCorpus } from './file-corpus.ts';
import { extensionsSchema, FRACTION_SCHEMAS, PATH_SCHEMA } from './files.ts';
import type { FromSchema } from '../schema.ts';

/** Most rows one row group may have (the group is read whole). */
export const MAX_ROW_GROUP_ROWS = 16 * 1024 * 1024;

export const PARQUET_OPTIONS = {
  type: 'object',
  properties: {
    path: PATH_SCHEMA,
    column: { type: 'string', minLength: 1, default: 'text', description: 'The top-level column that holds the document text (strings).' },
    extensions: extensionsSchema(['.parquet']),
    ...FRACTION_SCHEMAS,
  },
  required: ['path'],
  additionalProperties: false,
} as const;

export type ParquetCorpusOptions = FromSchema<typeof PARQUET_OPTIONS>;

function kind(v: unknown): string {
  return v === null || v === undefined ? 'null' : Array.isArray(v) ? 'an array' : v instanceof Uint8Array ? 'bytes' : `a ${typeof v}`;
}

export class ParquetCorpus extends FileCorpus {
  constructor(private readonly o: ParquetCorpusOptions, baseDir: string) {
    super('parquet', o, baseDir);
  }

  protected what(): string {
    return `Parquet column '${this.o.column}'`;
  }

  protected contentOptions(): Record<string, unknown> {
    return { column: this.o.column };
  }

  protected async *fileDocuments(file: string): AsyncIterable<string> {
    const column = this.o.column;
    let buf: AsyncBuffer;
    let meta: FileMetaData;
    try {
      buf = await asyncBufferFromFile(file);
    } catch (err) {
      throw new DataError(`cannot read the file (${fsReason(err)})`, { file });
    }
    try {
      meta = await parquetMetadataAsync(buf);
    } catch (err) {
      throw new DataError(`not a readable Parquet file (${(err as Error).message})`, { file });
    }
    let top: ReturnType<typeof parquetSchema>['children'];
    try {
      top = parquetSchema(meta).children;
    } catch (err) {
      throw new DataError(`not a readable Parquet file (its schema: ${(err as Error).message})`, { file });
    }
    const col = top.find((c) => c.element.name === column);
    if (!col) {
      const names = top.map((c) => `'${c.element.name}'`).join(', ');
      throw new DataError(`no column '${column}' (its columns: ${names || 'none'}); set the corpus option 'column'`, { file, field: column });
    }
    const t = col.element.type;
    if (col.children.length || t !== 'BYTE_ARRAY') {
      throw new DataError(`the column '${column}' holds ${col.children.length ? 'nested values' : t ?? 'no values'}, not strings (BYTE_ARRAY)`, { file, field: column });
    }
    let row = 0;
    for (const group of meta.row_groups) {
      const n = Number(group.num_rows);
      if (n > MAX_ROW_GROUP_ROWS) throw new DataError(`a row group has ${n} rows, more than the ${MAX_ROW_GROUP_ROWS} read at once; rewrite the file with smaller row groups`, { file, row });
      let rows: unknown[][] = [];
      try {
        await parquetRead({ file: buf, metadata: meta, columns: [column], rowStart: row, rowEnd: row + n, onComplete: (r) => (rows = r) });
      } catch (err) {
        throw new DataError(`cannot read rows ${row}..${row + n - 1} (${(err as Error).message})`, { file, row });
      }
      for (let i = 0; i < rows.length; i++) {
        const v = rows[i]![0];
        if (typeof v !== 'string') throw new DataError(`the column '${column}' is ${kind(v)} here, expected a string`, { file, row: row + i, field: column });
        if (v.trim()) yield v;
      }
      row += n;
    }
  }
}
