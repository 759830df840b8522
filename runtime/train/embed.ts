// Token vectors for a run's knn(embeddings, ...) graphs, and the same outside a run for
// `dlmk embed` / `dlmk neighbours`: an embedding source plugin (corpus PPMI + SVD by default,
// a checkpoint, GloVe, a file; docs/embeddings.md) applied to a tokenised corpus.
import { checkAgainstSchema, SpecValidationError } from '../../specs/validate.ts';
import { createCorpus, createTokenizer, tokenizeCorpus, type Tokenizer, type TokenFile } from '../data/index.ts';
import type { EmbeddingMatrix, EmbeddingSource } from '../data/embed/index.ts';
import { registry as globalRegistry, type PluginContext, type PluginKind, type Registry } from '../plugins/registry.ts';
import { TrainError } from './errors.ts';

/** A plugin object of a run spec: `{ name, ...options }`. */
export type PluginSpec = { name: string } & Record<string, unknown>;

/** The vectors of source `spec` for the tokenizer's vocabulary, from the training tokens. */
export async function tokenVectors(spec: PluginSpec, tokens: TokenFile, tokenizer: Tokenizer, ctx: PluginContext, reg: Registry = globalRegistry): Promise<EmbeddingMatrix> {
  const { name, ...options } = spec;
  const src = (await reg.get('embeddings', name).create(options, ctx)) as EmbeddingSource;
  const V = tokenizer.vocabSize;
  const m = await src.embed({
    V,
    corpus: { tokens: tokens.tokens, docOffsets: tokens.docOffsets, fingerprint: tokens.fingerprint, file: tokens.file },
    tokenString: (id) => tokenizer.tokenString(id),
  });
  if (m.V !== V) throw new TrainError(`embeddings '${name}' give ${m.V} token vectors, but the tokenizer ${tokenizer.id} has ${V} tokens`);
  return m;
}

/** Checks a `{ name, ...options }` object against the kind's composed schema (JSON-path messages). */
export function checkPluginSpec(kind: PluginKind, doc: unknown, what: string, reg: Registry = globalRegistry): PluginSpec {
  const issues = checkAgainstSchema(reg.schemaOf(kind) as Record<string, unknown>, doc);
  if (issues.length) throw new SpecValidationError(what, issues);
  return doc as PluginSpec;
}

/** Tokenises a corpus's training split and computes token vectors: what `dlmk embed` writes. */
export async function embedCorpus(o: {
  corpus: PluginSpec;
  tokenizer: PluginSpec;
  source?: PluginSpec;
  ctx: PluginContext;
  registry?: Registry;
}): Promise<{ matrix: EmbeddingMatrix; tokenizer: Tokenizer; tokens: TokenFile }> {
  const reg = o.registry ?? globalRegistry;
  const corpus = await createCorpus(o.corpus, o.ctx, reg);
  const tokenizer = await createTokenizer(o.tokenizer, o.ctx, corpus, reg);
  const tokens = await tokenizeCorpus(corpus, tokenizer, 'train', { cacheDir: o.ctx.cacheDir, log: o.ctx.log });
  const matrix = await tokenVectors(o.source ?? { name: 'corpus' }, tokens, tokenizer, o.ctx, reg);
  return { matrix, tokenizer, tokens };
}
