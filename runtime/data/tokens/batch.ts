// Batches of token rows [B, L] from a TokenFile, deterministic in (seed, epoch) and resumable.
//
// packed:   the documents are joined with EOS after each into one stream of T = tokens + docs
//           ids. Epoch e cuts R = floor(T / L) rows of L from the stream, starting at an offset
//           o_e in [0, T - R L] drawn from (seed, e): the < L ids left over (before o_e and after
//           the last row) are skipped in that epoch only, and a different tail is skipped in the
//           next. The rows are visited in a permutation drawn from (seed, e).
// sentence: one document per row: its tokens, then EOS when it fits (length < L); a longer
//           document is truncated to its first L tokens (no EOS); the rest is `pad`, and
//           `valid` is 1 on the document (and its EOS), 0 on padding. R = the documents, in a
//           permutation drawn from (seed, e).
// Batches run on across epochs: a batch that reaches the end of epoch e takes its remaining rows
// from epoch e + 1, so every batch has B rows. state() is { epoch, position } and the shape;
// restore() puts the batcher back exactly there.
import { DataError } from '../errors.ts';
import { mixSeed, mulberry32Words, permutation, uniformInt } from '../random.ts';
import type { TokenFile } from './cache.ts';

export type BatchMode = 'packed' | 'sentence';

/** Largest row length and batch size accepted (B * L ids are allocated per batch). */
export const MAX_ROW_LENGTH = 1 << 20;
export const MAX_BATCH_SIZE = 1 << 16;
export const MAX_BATCH_IDS = 1 << 28;

export interface BatcherOptions {
  /** Rows per batch. */
  B: number;
  /** Tokens per row. */
  L: number;
  mode: BatchMode;
  /** Shuffling seed (an integer). */
  seed: number;
  /** The document separator (packed) and the end mark (sentence). */
  eos: number;
  /** Padding (sentence mode). */
  pad: number;
}

export interface Batch {
  /** Token ids, row-major [B, L]. */
  x0: Uint32Array;
  /** sentence: 1 on real positions, 0 on padding; packed: null (all real). */
  valid: Float32Array | null;
  /** The epoch and position (row within the epoch) of the batch's first row. */
  epoch: number;
  position: number;
}

/** Rows in order, for validation and test. */
export interface EvalRows {
  x0: Uint32Array;
  valid: Float32Array | null;
  rows: number;
}

/** What state() returns and restore() takes (JSON-able). */
export interface BatcherState {
  format: 'dlmk.batcher/1';
  mode: BatchMode;
  L: number;
  seed: number;
  /** Rows per epoch, and the corpus's token count: a resume on other data is refused. */
  rows: number;
  tokens: number;
  epoch: number;
  position: number;
}

function positiveInt(x: unknown, name: string, max: number): number {
  if (typeof x !== 'number' || !Number.isInteger(x) || x < 1) throw new DataError(`batcher: ${name} must be a positive integer, got ${JSON.stringify(x)}`);
  if (x > max) throw new DataError(`batcher: ${name} = ${x} is more than the ${max} allowed`);
  return x;
}

export class Batcher {
  readonly B: number;
  readonly L: number;
  readonly mode: BatchMode;
  /** Rows per epoch. */
  readonly rowsPerEpoch: number;
  private readonly seed: number;
  private readonly eos: number;
  private readonly pad: number;
  private readonly tokens: Uint32Array;
  private readonly offsets: Uint32Array;
  /** packed: the stream length T = tokens + documents. */
  private readonly streamLength: number;
  private epoch = 0;
  private position = 0;
  private order: Uint32Array | null = null;
  private orderEpoch = -1;
  private start = 0;

  constructor(private readonly file: TokenFile, o: BatcherOptions) {
    this.B = positiveInt(o.B, 'B (rows per batch)', MAX_BATCH_SIZE);
    this.L = positiveInt(o.L, 'L (tokens per row)', MAX_ROW_LENGTH);
    if (this.B * this.L > MAX_BATCH_IDS) throw new DataError(`batcher: B * L = ${this.B * this.L} ids per batch is more than the ${MAX_BATCH_IDS} allowed`);
    if (o.mode !== 'packed' && o.mode !== 'sentence') throw new DataError(`batcher: mode must be 'packed' or 'sentence', got ${JSON.stringify(o.mode)}`);
    if (!Number.isSafeInteger(o.seed)) throw new DataError(`batcher: seed must be an integer, got ${JSON.stringify(o.seed)}`);
    const V = file.manifest.tokenizer.vocabSize;
    for (const [name, id] of [['eos', o.eos], ['pad', o.pad]] as const) {
      if (!Number.isInteger(id) || id < 0 || id >= V) throw new DataError(`batcher: ${name} = ${id} is not a token of ${file.manifest.tokenizer.id} (0..${V - 1})`);
    }
    this.mode = o.mode;
    this.seed = o.seed;
    this.eos = o.eos;
    this.pad = o.pad;
    this.tokens = file.tokens;
    this.offsets = file.docOffsets;
    const docs = this.offsets.length - 1;
    this.streamLength = this.tokens.length + docs;
    const where = `the ${file.manifest.corpus.name} ${file.manifest.split} split`;
    if (this.mode === 'packed') {
      if (this.streamLength < this.L) {
        throw new DataError(`${where} has ${this.tokens.length} tokens in ${docs} documents (${this.streamLength} with separators), fewer than one row of L = ${this.L}; use a smaller L or more data`);
      }
      this.rowsPerEpoch = Math.floor(this.streamLength / this.L);
    } else {
      if (docs < 1) throw new DataError(`${where} has no documents, so no row of L = ${this.L} can be made`);
      this.rowsPerEpoch = docs;
    }
  }

  private prepare(epoch: number): void {
    if (this.orderEpoch === epoch) return;
    const word = mulberry32Words(mixSeed(this.seed, epoch, 0x5eed));
    this.start = this.mode === 'packed' ? uniformInt(word, this.streamLength - this.rowsPerEpoch * this.L + 1) : 0;
    this.order = permutation(this.rowsPerEpoch, word);
    this.orderEpoch = epoch;
  }

  /** First document whose stream span (tokens + EOS) contains stream position p. */
  private docAt(p: number): number {
    let lo = 0;
    let hi = this.offsets.length - 2;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.offsets[mid]! + mid <= p) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** Writes packed stream[from .. from + L) into x0 at `at`. */
  private packedRow(from: number, x0: Uint32Array, at: number): void {
    let d = this.docAt(from);
    let p = from;
    let k = 0;
    while (k < this.L) {
      const begin = this.offsets[d]! + d; // stream index of document d's first token
      const end = this.offsets[d + 1]! + d; // stream index of its EOS
      if (p < end) {
        const n = Math.min(end - p, this.L - k);
        const src = this.offsets[d]! + (p - begin);
        x0.set(this.tokens.subarray(src, src + n), at + k);
        k += n;
        p += n;
      } else {
        x0[at + k++] = this.eos;
        p++;
        d++;
      }
    }
  }

  /** Writes document d as a sentence row and its validity. */
  private sentenceRow(d: number, x0: Uint32Array, valid: Float32Array, at: number): void {
    const a = this.offsets[d]!;
    const n = this.offsets[d + 1]! - a;
    const m = Math.min(n, this.L);
    x0.set(this.tokens.subarray(a, a + m), at);
    let real = m;
    if (n < this.L) x0[at + real++] = this.eos;
    x0.fill(this.pad, at + real, at + this.L);
    valid.fill(1, at, at + real);
    valid.fill(0, at + real, at + this.L);
  }

  private writeRow(row: number, x0: Uint32Array, valid: Float32Array | null, at: number): void {
    if (this.mode === 'packed') this.packedRow(this.start + row * this.L, x0, at);
    else this.sentenceRow(row, x0, valid!, at);
  }

  next(): Batch {
    const { B, L } = this;
    const x0 = new Uint32Array(B * L);
    const valid = this.mode === 'sentence' ? new Float32Array(B * L) : null;
    const epoch = this.epoch;
    const position = this.position;
    for (let b = 0; b < B; b++) {
      this.prepare(this.epoch);
      this.writeRow(this.order![this.position]!, x0, valid, b * L);
      if (++this.position === this.rowsPerEpoch) {
        this.position = 0;
        this.epoch++;
      }
    }
    return { x0, valid, epoch, position };
  }

  /** The first min(maxRows, R) rows in order, unshuffled (packed: from stream offset 0). */
  evalRows(maxRows: number): EvalRows {
    const n = Math.min(positiveInt(maxRows, 'maxRows', Number.MAX_SAFE_INTEGER), this.rowsPerEpoch);
    if (n * this.L > MAX_BATCH_IDS) throw new DataError(`batcher: ${n} evaluation rows of L = ${this.L} are more than the ${MAX_BATCH_IDS} ids allowed; ask for fewer rows`);
    const x0 = new Uint32Array(n * this.L);
    const valid = this.mode === 'sentence' ? new Float32Array(n * this.L) : null;
    for (let r = 0; r < n; r++) {
      if (this.mode === 'packed') this.packedRow(r * this.L, x0, r * this.L);
      else this.sentenceRow(r, x0, valid!, r * this.L);
    }
    return { x0, valid, rows: n };
  }

  state(): BatcherState {
    return { format: 'dlmk.batcher/1', mode: this.mode, L: this.L, seed: this.seed, rows: this.rowsPerEpoch, tokens: this.tokens.length, epoch: this.epoch, position: this.position };
  }

  /** Resumes at a state() of a batcher over the same data, mode, L and seed (B may differ). */
  restore(s: BatcherState): void {
    const bad = (why: string) => new DataError(`batcher: cannot resume: ${why}`);
    if (!s || typeof s !== 'object' || s.format !== 'dlmk.batcher/1') throw bad(`not a batcher state (format ${JSON.stringify((s as Partial<BatcherState> | null)?.format)})`);
    if (s.mode !== this.mode) throw bad(`the state is for mode '${s.mode}', this batcher is '${this.mode}'`);
    if (s.L !== this.L) throw bad(`the state is for L = ${s.L}, this batcher has L = ${this.L}`);
    if (s.seed !== this.seed) throw bad(`the state is for seed ${s.seed}, this batcher has seed ${this.seed}`);
    if (s.rows !== this.rowsPerEpoch || s.tokens !== this.tokens.length) {
      throw bad(`the state is for ${s.rows} rows of ${s.tokens} tokens, the ${this.file.manifest.split} split now gives ${this.rowsPerEpoch} rows of ${this.tokens.length} tokens (the data changed)`);
    }
    if (!Number.isSafeInteger(s.epoch) || s.epoch < 0 || !Number.isInteger(s.position) || s.position < 0 || s.position >= this.rowsPerEpoch) throw bad(`epoch ${s.epoch}, position ${s.position} is not a place in this data`);
    this.epoch = s.epoch;
    this.position = s.position;
  }
}
