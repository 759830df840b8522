// DataError: everything the data layer refuses (a missing path, a JSONL line that is not JSON, a
// Parquet file without the column, a corpus too small for one row, bad plugin options) is one of
// these, with the file and, where it applies, the line, row or field in the message and as fields.
// No raw fs/JSON/hyparquet error leaves runtime/data: each is wrapped where it happens.

export interface DataErrorLocation {
  /** The file concerned (as the user gave it, or resolved). */
  file?: string;
  /** 1-based line (text, JSONL). */
  line?: number;
  /** 0-based row (Parquet). */
  row?: number;
  /** The JSON field or Parquet column. */
  field?: string;
}

export class DataError extends Error {
  override readonly name = 'DataError';
  readonly file?: string;
  readonly line?: number;
  readonly row?: number;
  readonly field?: string;

  constructor(message: string, where: DataErrorLocation = {}) {
    super(prefix(where) + message);
    if (where.file !== undefined) this.file = where.file;
    if (where.line !== undefined) this.line = where.line;
    if (where.row !== undefined) this.row = where.row;
    if (where.field !== undefined) this.field = where.field;
  }
}

// `file:line: ` like a compiler, `file: row N: ` for Parquet, `file: ` otherwise.
function prefix(w: DataErrorLocation): string {
  if (w.file === undefined) return '';
  if (w.line !== undefined) return `${w.file}:${w.line}: `;
  if (w.row !== undefined) return `${w.file}: row ${w.row}: `;
  return `${w.file}: `;
}

/** The errno code of a Node fs error, or its message: for wrapping into a DataError. */
export function fsReason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e.code === 'string') {
    if (e.code === 'ENOENT') return 'no such file or folder';
    if (e.code === 'EACCES' || e.code === 'EPERM') return 'permission denied';
    if (e.code === 'EISDIR') return 'is a folder, not a file';
    if (e.code === 'ENOTDIR') return 'a part of the path is not a folder';
    return e.code;
  }
  return e instanceof Error ? e.message : String(err);
}
