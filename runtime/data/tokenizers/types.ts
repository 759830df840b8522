// The tokenizer interface. Ids 0..V-1 are real tokens; dlmk's [MASK] state is always id V (the
// kernel runtime's convention), so a model over a tokenizer has V + 1 states. A vocabulary that
// has its own mask token (BERT) has it remapped to V and the ids above it moved down by one.
import type { Corpus } from '../corpus/types.ts';

/** How the [MASK] state (id V) came about. */
export interface MaskSlot {
  /** true: V is a new id after the vocabulary; false: the vocabulary's own mask token was moved to V. */
  appended: boolean;
  /** When not appended: the mask token's id in the original vocabulary. */
  original?: number;
}

export interface Tokenizer {
  /** The plugin name, e.g. 'gpt2'. */
  readonly name: string;
  /** Identity including the vocabulary: 'gpt2', 'bert-base-uncased', 'bytes', 'words:4096:<hash8>'. */
  readonly id: string;
  /** sha256 (hex) of the vocabulary; manifests and checkpoints record it. */
  readonly sha256: string;
  /** V: the real tokens are 0..V-1; V itself is [MASK]. */
  readonly vocabSize: number;
  /** Document separator (a real token). */
  readonly eos: number;
  /** Padding in sentence mode (a real token; masked out of attention and loss). */
  readonly pad: number;
  readonly maskSlot: MaskSlot;
  /** Text to ids in 0..V-1 (never V: a '[MASK]' in the text is text). */
  encode(text: string): Uint32Array;
  /** Ids in 0..V to text; V decodes to the visible marker '[MASK]'. Other ids are a DataError. */
  decode(ids: ArrayLike<number>): string;
  /** One token's surface form, for listings ('[MASK]' for V). */
  tokenString(id: number): string;
  /** The id of one token string (a real token, 0..V-1), or undefined. */
  lookup(token: string): number | undefined;
}

/** The text that id V decodes to. */
export const MASK_MARKER = '[MASK]';

/**
 * What a tokenizer plugin's create(options, ctx) returns: a builder, because some vocabularies
 * (`words`) are made from the corpus's training split. Every builder takes the corpus; the ones
 * that do not need it ignore it (`needsCorpus` says which).
 */
export interface TokenizerBuilder {
  readonly name: string;
  readonly needsCorpus: boolean;
  build(corpus?: Corpus): Promise<Tokenizer>;
}
