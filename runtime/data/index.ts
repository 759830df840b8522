// The public face of runtime/data: corpora, tokenizers, the token cache, the batcher, embedding
// files and host random numbers. Importing it registers the data plugins (plugins.ts).
export { DataError, type DataErrorLocation } from './errors.ts';
export { resolveOptions, type FromSchema } from './schema.ts';
export * from './corpus/index.ts';
export * from './tokenizers/index.ts';
export * from './tokens/index.ts';
export { DATA_PLUGINS, createCorpus, createTokenizer, registerDataPlugins } from './plugins.ts';
export { EmbeddingsError, loadEmbeddings, parseEmbeddingsJson, parseNpy, parseSafetensors, type Embeddings, type LoadEmbeddingsOptions } from './embeddings.ts';
export { mixSeed, mulberry32, mulberry32Words, permutation, uniformInt } from './random.ts';
