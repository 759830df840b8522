// The corpora: sotu (embedded), text, jsonl, parquet (runtime/data/plugins.ts registers them).
export { SPLITS, isSplit, type Corpus, type Split } from './types.ts';
export { SotuCorpus, SOTU_OPTIONS, SOTU_TEST_YEARS, SOTU_VALIDATION_YEARS, SOTU_YEARS, sotuAddresses, type SotuAddress, type SotuCorpusOptions } from './sotu.ts';
export { TextCorpus, TEXT_OPTIONS, paragraphs, type TextCorpusOptions } from './text.ts';
export { JsonlCorpus, JSONL_OPTIONS, type JsonlCorpusOptions } from './jsonl.ts';
export { ParquetCorpus, PARQUET_OPTIONS, MAX_ROW_GROUP_ROWS, type ParquetCorpusOptions } from './parquet.ts';
export { FileCorpus, type FileCorpusOptions } from './file-corpus.ts';
export { MAX_DEPTH, MAX_FILES, MAX_HELDOUT_FRACTION, MAX_LINE_BYTES, MAX_TEXT_FILE_BYTES, hashSplit, type PathSpec } from './files.ts';
