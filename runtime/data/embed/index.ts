// Public face of runtime/data/embed: token vectors for the kernels' knn graphs (docs/embeddings.md)
// from the training corpus (PPMI + randomized SVD), a dlmk checkpoint, GloVe or a file; the
// embedding plugins; a token's graph neighbours; writing a matrix.
export type { CorpusTokens, EmbeddingRequest, EmbeddingReport, EmbeddingMatrix, EmbeddingNeed, EmbeddingSource } from './types.ts';
export { computeCorpusEmbeddings, corpusVectors, corpusSha256, CORPUS_ALGORITHM, RANK_TOLERANCE, type CorpusContext, type CorpusVectors } from './corpus.ts';
export { ppmiMatrix, checkCorpus, distanceWeights, WEIGHTINGS, MAX_WINDOW, MAX_NNZ, type PpmiMatrix, type PpmiOptions, type Weighting } from './ppmi.ts';
export { randomizedSvd, csrOperator, denseOperator, transposeCsr, orthonormalize, jacobiSvd, type LinearOperator, type CsrMatrix, type RsvdOptions, type RsvdResult } from './svd.ts';
export { writeFallbackRow, fallbackSeed, FALLBACK_SPREAD } from './fallback.ts';
export { readCache, writeCache, manifestPath, CACHE_FORMAT, type CacheKey } from './cache.ts';
export { checkpointEmbeddings, EMBEDDING_TENSOR, type CheckpointEmbeddingOptions } from './checkpoint.ts';
export { gloveEmbeddings, gloveKeys, resolveGlovePackage, readGloveText, readWinkJson, GLOVE_PACKAGE, type GloveEmbeddingOptions } from './glove.ts';
export { fileEmbeddings } from './file.ts';
export { nearestTokens, type Neighbour, type EmbeddingRows } from './neighbours.ts';
export { writeEmbeddings, encodeNpy, EMBEDDINGS_TENSOR, type WritableMatrix } from './write.ts';
export { corpusSchema, checkpointSchema, gloveSchema, fileSchema, type CorpusOptions, type CheckpointSourceOptions, type GloveOptions, type FileSourceOptions } from './schemas.ts';
export { corpusPlugin, checkpointPlugin, glovePlugin, filePlugin, EMBEDDING_PLUGINS, registerEmbeddingPlugins, corpusCacheFile } from './plugins.ts';
export { EmbeddingsError } from '../embeddings.ts';
