// The tokenizers: gpt2, bert-base-uncased, bytes, words (runtime/data/plugins.ts registers them).
export type { MaskSlot, Tokenizer, TokenizerBuilder } from './types.ts';
export { MASK_MARKER } from './types.ts';
export { gpt2Tokenizer } from './gpt2.ts';
export { bertTokenizer, bertVocabulary } from './bert.ts';
export { BytesTokenizer } from './bytes.ts';
export {
  WORDS_OPTIONS,
  WORD_SPECIALS,
  buildWordVocabulary,
  joinWords,
  splitWords,
  wordsTokenizer,
  wordsTokenizerFor,
  type WordVocabulary,
  type WordsOptions,
} from './words.ts';
