// Token files (the cache) and batches.
export { MAX_SPLIT_TOKENS, TOKENS_FORMAT, tokenCachePaths, tokenizeCorpus, type TokenFile, type TokenManifest, type TokenizeOptions } from './cache.ts';
export { Batcher, MAX_BATCH_IDS, MAX_BATCH_SIZE, MAX_ROW_LENGTH, type Batch, type BatchMode, type BatcherOptions, type BatcherState, type EvalRows } from './batch.ts';
