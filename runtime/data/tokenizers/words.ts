// `words`: a word-level vocabulary made from the corpus's TRAIN split, so that embedding
// neighbours are words and V stays small enough for the CPU (the default demo: SOTU, 4096).
// Tokens: words (letters, then letters or combining marks), English clitics split off like
// GPT-2 does ('s 't 're 've 'm 'll 'd), numbers (with inner . , :), and each other non-space
// character alone. Lower-cased by default. The vocabulary is the specials <unk> 0, <eos> 1,
// <pad> 2, then the `size` - 3 most frequent tokens, ties broken by code-unit order; it is
// cached in cacheDir/vocab/ keyed by the corpus fingerprint and the options.
import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../io/atomic.ts';
import { DataError, fsReason } from '../errors.ts';
import type { Corpus } from '../corpus/types.ts';
import type { FromSchema } from '../schema.ts';
import { MASK_MARKER, type Tokenizer } from './types.ts';
import { checkId } from './ids.ts';

export const WORDS_OPTIONS = {
  type: 'object',
  properties: {
    size: {
      type: 'integer',
      minimum: 4,
      maximum: 1_000_000,
      default: 4096,
      description: 'V: the vocabulary size counting the specials <unk>, <eos>, <pad> (fewer when the train split has fewer distinct tokens).',
    },
    lowercase: { type: 'boolean', default: true, description: 'Lower-case the text before splitting it into words.' },
  },
  additionalProperties: false,
} as const;

export type WordsOptions = FromSchema<typeof WORDS_OPTIONS>;

export const WORD_SPECIALS = ['<unk>', '<eos>', '<pad>'] as const;
const UNK = 0;
const EOS = 1;
const PAD = 2;
const TOKEN = /['\u2019](?:s|t|re|ve|m|ll|d)(?![\p{L}\p{N}])|\p{L}[\p{L}\p{M}]*|\p{N}+(?:[.,:]\p{N}+)*|[^\s\p{L}\p{N}]/giu;
const FORMAT = 'dlmk.words/1';

/** The tokens of a text under the word rule (before the vocabulary). */
export function splitWords(text: string, lowercase: boolean): string[] {
  return (lowercase ? text.toLowerCase() : text).match(TOKEN) ?? [];
}

const NO_SPACE_BEFORE = new Set(['.', ',', ';', ':', '!', '?', ')', ']', '}', '%', '\u201d', '\u2019', '-', '\u2014', '\u2013', '/']);
const NO_SPACE_AFTER = new Set(['(', '[', '{', '$', '\u201c', '\u2018', '-', '\u2014', '\u2013', '/', '#']);
const CLITIC = /^['\u2019](?:s|t|re|ve|m|ll|d)$/i;

/** Joins tokens with spaces, re-attaching punctuation: no space before . , ) etc., none after ( $ etc.; '"' alternates open and close. */
export function joinWords(tokens: readonly string[]): string {
  let out = '';
  let prev = '';
  let quoteOpen = false;
  for (const t of tokens) {
    let space = out.length > 0;
    if (NO_SPACE_BEFORE.has(t) || CLITIC.test(t) || NO_SPACE_AFTER.has(prev)) space = false;
    if (t === '"') {
      if (quoteOpen) space = false;
      quoteOpen = !quoteOpen;
    } else if (prev === '"' && quoteOpen) space = false;
    out += (space ? ' ' : '') + t;
    prev = t;
  }
  return out;
}

export interface WordVocabulary {
  format: typeof FORMAT;
  corpus: { name: string; fingerprint: string };
  options: WordsOptions;
  /** Token strings by id (the specials first). */
  tokens: string[];
  /** Train-split count of each token (0 for the specials). */
  counts: number[];
  /** Tokens in the train split, and how many were <unk> under this vocabulary. */
  total: number;
  unknown: number;
  /**
   * Present when the counting table was pruned (more than MAX_DISTINCT_WORDS distinct tokens): the
   * largest count dropped; counts are lower bounds short by at most this much.
   */
  pruneFloor?: number;
}

/**
 * Most distinct tokens the counting table holds (about 0.5-1 GiB of strings and counts). A larger
 * table is pruned: the tokens seen fewest times are dropped until it is half full, and counting
 * goes on; a dropped token seen again starts from 0, so counts are then lower bounds, short by at
 * most `pruneFloor` (the largest count dropped), and only tokens that rare can be mis-ranked.
 */
export const MAX_DISTINCT_WORDS = 4_000_000;

/** Drops the rarest entries until at most `keep` remain; returns the largest count dropped. */
function prune(counts: Map<string, number>, keep: number): number {
  const hist = new Map<number, number>();
  for (const c of counts.values()) hist.set(c, (hist.get(c) ?? 0) + 1);
  let floor = 0;
  let left = counts.size;
  for (const c of [...hist.keys()].sort((a, b) => a - b)) {
    if (left <= keep) break;
    left -= hist.get(c)!;
    floor = c;
  }
  for (const [w, c] of counts) if (c <= floor) counts.delete(w);
  return floor;
}

/** Counts the train split and keeps the most frequent tokens. */
export async function buildWordVocabulary(corpus: Corpus, opts: WordsOptions, o: { maxDistinct?: number } = {}): Promise<WordVocabulary> {
  const maxDistinct = Math.max(2 * opts.size, o.maxDistinct ?? MAX_DISTINCT_WORDS);
  const counts = new Map<string, number>();
  let total = 0;
  let pruneFloor = 0;
  for await (const doc of corpus.documents('train')) {
    for (const w of splitWords(doc, opts.lowercase)) {
      counts.set(w, (counts.get(w) ?? 0) + 1);
      total++;
      // Checked per token, so that one huge document cannot overfill the table either.
      if (counts.size > maxDistinct) pruneFloor = Math.max(pruneFloor, prune(counts, maxDistinct >> 1));
    }
  }
  if (counts.size === 0) throw new DataError(`words tokenizer: the ${corpus.name} corpus's train split has no words to build a vocabulary from`);
  const ranked = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).slice(0, opts.size - WORD_SPECIALS.length);
  const kept = ranked.reduce((s, [, c]) => s + c, 0);
  return {
    format: FORMAT,
    corpus: { name: corpus.name, fingerprint: await corpus.fingerprint() },
    options: { size: opts.size, lowercase: opts.lowercase },
    tokens: [...WORD_SPECIALS, ...ranked.map(([w]) => w)],
    counts: [0, 0, 0, ...ranked.map(([, c]) => c)],
    total,
    unknown: total - kept,
    ...(pruneFloor > 0 ? { pruneFloor } : {}),
  };
}

/** Why a cached vocabulary cannot be used, or null. */
function problem(v: unknown, want: { fingerprint: string; options: WordsOptions }): string | null {
  const o = v as Partial<WordVocabulary> | null;
  if (!o || typeof o !== 'object') return 'not a JSON object';
  if (o.format !== FORMAT) return `format ${JSON.stringify(o.format)}, expected '${FORMAT}'`;
  if (o.corpus?.fingerprint !== want.fingerprint) return 'the corpus fingerprint differs';
  if (o.options?.size !== want.options.size || o.options?.lowercase !== want.options.lowercase) return 'the options differ';
  const t = o.tokens;
  if (!Array.isArray(t) || t.length < WORD_SPECIALS.length || t.length > want.options.size || t.some((x) => typeof x !== 'string')) return 'the token list is malformed';
  if (WORD_SPECIALS.some((s, i) => t[i] !== s) || new Set(t).size !== t.length) return 'the token list is malformed';
  return null;
}

class WordsTokenizer implements Tokenizer {
  readonly name = 'words';
  readonly id: string;
  readonly sha256: string;
  readonly vocabSize: number;
  readonly eos = EOS;
  readonly pad = PAD;
  readonly maskSlot = { appended: true } as const;
  private readonly index = new Map<string, number>();

  constructor(readonly vocabulary: WordVocabulary) {
    const t = vocabulary.tokens;
    this.vocabSize = t.length;
    t.forEach((w, i) => this.index.set(w, i));
    // Encoding depends on the tokens, the case rule and the word rule: all three are hashed.
    this.sha256 = createHash('sha256').update(JSON.stringify({ format: FORMAT, rule: TOKEN.source, lowercase: vocabulary.options.lowercase, tokens: t })).digest('hex');
    this.id = `words:${this.vocabSize}:${this.sha256.slice(0, 8)}`;
  }

  encode(text: string): Uint32Array {
    const words = splitWords(text, this.vocabulary.options.lowercase);
    const out = new Uint32Array(words.length);
    for (let i = 0; i < words.length; i++) out[i] = this.index.get(words[i]!) ?? UNK;
    return out;
  }

  decode(ids: ArrayLike<number>): string {
    const out: string[] = [];
    for (let i = 0; i < ids.length; i++) out.push(this.tokenString(ids[i]!));
    return joinWords(out);
  }

  tokenString(id: number): string {
    checkId(id, this.vocabSize, 'words');
    return id === this.vocabSize ? MASK_MARKER : this.vocabulary.tokens[id]!;
  }

  lookup(token: string): number | undefined {
    return this.index.get(token) ?? this.index.get(this.vocabulary.options.lowercase ? token.toLowerCase() : token);
  }
}

/** A words tokenizer over a given vocabulary (tests, or a vocabulary from elsewhere). */
export function wordsTokenizer(vocabulary: WordVocabulary): Tokenizer {
  return new WordsTokenizer(vocabulary);
}

/**
 * The words tokenizer of a corpus: the cached vocabulary when its corpus fingerprint and options
 * match, otherwise one built from the train split and written to cacheDir/vocab/ atomically.
 */
export async function wordsTokenizerFor(corpus: Corpus, opts: WordsOptions, ctx: { cacheDir: string; log: (line: string) => void }): Promise<Tokenizer> {
  const fingerprint = await corpus.fingerprint();
  const key = createHash('sha256').update(JSON.stringify({ format: FORMAT, corpus: corpus.name, fingerprint, options: opts })).digest('hex').slice(0, 16);
  const dir = join(ctx.cacheDir, 'vocab');
  const file = join(dir, `words-${corpus.name}-${key}.json`);
  let text: string | undefined;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') ctx.log(`words vocabulary: cannot read ${file} (${fsReason(err)}); rebuilding it`);
  }
  if (text !== undefined) {
    let parsed: unknown;
    let why: string | null;
    try {
      parsed = JSON.parse(text);
      why = problem(parsed, { fingerprint, options: opts });
    } catch {
      why = 'not valid JSON';
    }
    if (why === null) return new WordsTokenizer(parsed as WordVocabulary);
    ctx.log(`words vocabulary: ignoring ${file} (${why}); rebuilding it`);
  }
  const t0 = Date.now();
  const vocab = await buildWordVocabulary(corpus, opts);
  try {
    await mkdir(dir, { recursive: true });
    await writeFileAtomic(file, JSON.stringify(vocab));
  } catch (err) {
    throw new DataError(`cannot write the words vocabulary (${fsReason(err)})`, { file });
  }
  const tok = new WordsTokenizer(vocab);
  const cover = vocab.total ? (100 * (1 - vocab.unknown / vocab.total)).toFixed(1) : '0';
  ctx.log(`words vocabulary: ${tok.vocabSize} tokens from ${corpus.name}/train (${vocab.total} tokens, ${cover}% covered) in ${((Date.now() - t0) / 1000).toFixed(1)}s -> ${file}`);
  if (vocab.pruneFloor) ctx.log(`words vocabulary: more than ${MAX_DISTINCT_WORDS} distinct tokens, so the rarest were dropped while counting; counts are short by at most ${vocab.pruneFloor} (only tokens that rare can be mis-ranked)`);
  return tok;
}
