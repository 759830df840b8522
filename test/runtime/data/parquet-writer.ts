// A minimal Parquet writer for the tests (no writer ships with hyparquet): PLAIN encoding,
// uncompressed, v1 data pages, one page per column chunk, row groups of a chosen size; columns of
// strings (BYTE_ARRAY, UTF8) or INT32, REQUIRED or OPTIONAL (nulls as definition levels).
// Thrift compact protocol by hand: just the structs a reader needs.

export interface ParquetColumn {
  name: string;
  type: 'string' | 'int32';
  /** null marks a missing value (the column is then OPTIONAL). */
  values: (string | number | null)[];
}

class Out {
  bytes: number[] = [];
  u8(b: number) {
    this.bytes.push(b & 0xff);
  }
  varint(n: bigint) {
    let v = n;
    do {
      let b = Number(v & 0x7fn);
      v >>= 7n;
      if (v) b |= 0x80;
      this.u8(b);
    } while (v);
  }
  zigzag(n: number | bigint) {
    const v = BigInt(n);
    this.varint(v >= 0n ? v << 1n : ((-v) << 1n) - 1n);
  }
  raw(b: Uint8Array | number[]) {
    for (const x of b) this.u8(x);
  }
}

// Thrift compact types.
const I32 = 5;
const I64 = 6;
const BINARY = 8;
const LIST = 9;
const STRUCT = 12;

type Field = [id: number, type: number, write: (o: Out) => void];

function struct(o: Out, fields: Field[]) {
  let last = 0;
  for (const [id, type, write] of fields) {
    const d = id - last;
    if (d > 0 && d <= 15) o.u8((d << 4) | type);
    else {
      o.u8(type);
      o.zigzag(id);
    }
    write(o);
    last = id;
  }
  o.u8(0);
}

const i32 = (v: number) => (o: Out) => o.zigzag(v);
const i64 = (v: number) => (o: Out) => o.zigzag(BigInt(v));
const bin = (s: string) => (o: Out) => {
  const b = new TextEncoder().encode(s);
  o.varint(BigInt(b.length));
  o.raw(b);
};
function list(elemType: number, items: ((o: Out) => void)[]) {
  return (o: Out) => {
    if (items.length < 15) o.u8((items.length << 4) | elemType);
    else {
      o.u8(0xf0 | elemType);
      o.varint(BigInt(items.length));
    }
    for (const w of items) w(o);
  };
}
const sub = (fields: Field[]) => (o: Out) => struct(o, fields);

function le32(n: number): number[] {
  return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
}

function pageData(col: ParquetColumn, from: number, to: number, optional: boolean): number[] {
  const out: number[] = [];
  const vals = col.values.slice(from, to);
  if (optional) {
    const n = vals.length;
    const groups = Math.ceil(n / 8);
    const levels = new Out();
    levels.varint(BigInt((groups << 1) | 1));
    for (let g = 0; g < groups; g++) {
      let byte = 0;
      for (let i = 0; i < 8; i++) if (vals[g * 8 + i] !== null && g * 8 + i < n) byte |= 1 << i;
      levels.u8(byte);
    }
    out.push(...le32(levels.bytes.length), ...levels.bytes);
  }
  for (const v of vals) {
    if (v === null) continue;
    if (col.type === 'string') {
      const b = new TextEncoder().encode(v as string);
      out.push(...le32(b.length), ...b);
    } else out.push(...le32(v as number));
  }
  return out;
}

/** The bytes of a Parquet file with these columns (equal lengths), `rowGroupSize` rows per group. */
export function writeParquet(columns: ParquetColumn[], rowGroupSize = 1 << 20): Uint8Array {
  const rows = columns[0]?.values.length ?? 0;
  const file: number[] = [...new TextEncoder().encode('PAR1')];
  const groups: Field[][] = [];
  for (let from = 0; from < Math.max(rows, 1); from += rowGroupSize) {
    const to = Math.min(rows, from + rowGroupSize);
    const chunks: ((o: Out) => void)[] = [];
    let groupBytes = 0;
    for (const col of columns) {
      const optional = col.values.some((v) => v === null);
      const data = pageData(col, from, to, optional);
      const header = new Out();
      struct(header, [
        [1, I32, i32(0)],
        [2, I32, i32(data.length)],
        [3, I32, i32(data.length)],
        [5, STRUCT, sub([[1, I32, i32(to - from)], [2, I32, i32(0)], [3, I32, i32(3)], [4, I32, i32(3)]])],
      ]);
      const offset = file.length;
      file.push(...header.bytes, ...data);
      const size = header.bytes.length + data.length;
      groupBytes += size;
      chunks.push(
        sub([
          [2, I64, i64(offset)],
          [
            3,
            STRUCT,
            sub([
              [1, I32, i32(col.type === 'string' ? 6 : 1)],
              [2, LIST, list(I32, [i32(0), i32(3)])],
              [3, LIST, list(BINARY, [bin(col.name)])],
              [4, I32, i32(0)],
              [5, I64, i64(to - from)],
              [6, I64, i64(size)],
              [7, I64, i64(size)],
              [9, I64, i64(offset)],
            ]),
          ],
        ]),
      );
    }
    groups.push([
      [1, LIST, list(STRUCT, chunks)],
      [2, I64, i64(groupBytes)],
      [3, I64, i64(to - from)],
    ]);
    if (rows === 0) break;
  }
  const schema = [
    sub([
      [4, BINARY, bin('schema')],
      [5, I32, i32(columns.length)],
    ]),
    ...columns.map((c) => {
      const f: Field[] = [
        [1, I32, i32(c.type === 'string' ? 6 : 1)],
        [3, I32, i32(c.values.some((v) => v === null) ? 1 : 0)],
        [4, BINARY, bin(c.name)],
      ];
      if (c.type === 'string') f.push([6, I32, i32(0)]);
      return sub(f);
    }),
  ];
  const meta = new Out();
  struct(meta, [
    [1, I32, i32(1)],
    [2, LIST, list(STRUCT, schema)],
    [3, I64, i64(rows)],
    [4, LIST, list(STRUCT, groups.map((g) => sub(g)))],
  ]);
  file.push(...meta.bytes, ...le32(meta.bytes.length), ...new TextEncoder().encode('PAR1'));
  return Uint8Array.from(file);
}
