// The Markov source's plugins (docs/eval.md, "Synthetic source and the error decomposition"), so
// that the trainer runs on it unchanged:
//
//   "data": { "corpus": { "name": "markov", "V": 48, "clusters": 8, "L": 16, "seed": 0 },
//             "tokenizer": { "name": "markov" }, "length": 16, "mode": "sentence" },
//   "embeddings": { "name": "markov", "V": 48, "clusters": 8, "seed": 0 }
//
// corpus `markov`: exact draws of the source as documents of L token names; tokenizer `markov`:
// those names to the source's ids (it reads the source from the corpus, so it takes no options);
// embeddings `markov`: the source's true embeddings (eos and pad far from every token). The
// embeddings plugin cannot see the corpus, so it takes the source's options again: give it the
// corpus's seed, V, clusters (and dim, spread). Importing this module registers the three.
import { registry as globalRegistry, type Plugin, type Registry } from '../../plugins/registry.ts';
import { DataError, resolveOptions, type Corpus, type FromSchema, type TokenizerBuilder } from '../../data/index.ts';
import type { EmbeddingSource } from '../../data/embed/index.ts';
import { EmbeddingsError } from '../../data/embeddings.ts';
import { MARKOV_CORPUS_OPTIONS, MarkovCorpus, MarkovTokenizer, SOURCE_PROPERTIES, markovSourceOf } from './corpus.ts';
import { SPECIAL_TOKENS, sourceEmbeddings } from './embeddings.ts';

const NO_OPTIONS = { type: 'object', properties: {}, additionalProperties: false } as const;

export const MARKOV_EMBEDDINGS_OPTIONS = { type: 'object', properties: { ...SOURCE_PROPERTIES }, additionalProperties: false } as const;
export type MarkovEmbeddingsOptions = FromSchema<typeof MARKOV_EMBEDDINGS_OPTIONS>;

export const markovCorpusPlugin: Plugin<Record<string, unknown>, Corpus> = {
  kind: 'corpus',
  name: 'markov',
  summary: 'A synthetic clustered Markov chain with an exact law: documents of L token names (docs/eval.md, synthetic source).',
  options: MARKOV_CORPUS_OPTIONS,
  create: (o) => new MarkovCorpus(resolveOptions(MARKOV_CORPUS_OPTIONS, o, "corpus 'markov'")),
};

export const markovTokenizerPlugin: Plugin<Record<string, unknown>, TokenizerBuilder> = {
  kind: 'tokenizer',
  name: 'markov',
  summary: "The markov corpus's token names to the source's ids 0..V-1; eos V and pad V + 1 (never in data); [MASK] appended at V + 2.",
  options: NO_OPTIONS,
  create: (o) => {
    resolveOptions(NO_OPTIONS, o, "tokenizer 'markov'");
    return {
      name: 'markov',
      needsCorpus: true,
      build: async (corpus?: Corpus) => {
        if (!(corpus instanceof MarkovCorpus)) {
          throw new DataError(`tokenizer 'markov' maps the token names of the markov corpus to its source's ids: use it with corpus 'markov'${corpus ? ` (got corpus '${corpus.name}')` : ' (pass the corpus to build)'}`);
        }
        return new MarkovTokenizer(corpus.source);
      },
    };
  },
};

export const markovEmbeddingsPlugin: Plugin<Record<string, unknown>, EmbeddingSource> = {
  kind: 'embeddings',
  name: 'markov',
  summary: "The Markov source's true token embeddings (cluster centre plus a small offset; eos and pad far from every token). Give it the corpus's seed, V and clusters.",
  options: MARKOV_EMBEDDINGS_OPTIONS,
  create(options) {
    const o = resolveOptions(MARKOV_EMBEDDINGS_OPTIONS, options, "embeddings 'markov'");
    const src = markovSourceOf(o, "embeddings 'markov'");
    return {
      name: 'markov',
      needs: [],
      async embed(req) {
        const t0 = performance.now();
        const want = src.V + SPECIAL_TOKENS.length;
        if (req.V !== want) {
          throw new EmbeddingsError("embeddings 'markov'", `the source has ${src.V} tokens (${want} with eos and pad), but the vocabulary has ${req.V}: give the embeddings the corpus's V`);
        }
        // Names are checked where the tokenizer is known: another V or clusters than the corpus's shows here.
        if (req.tokenString) {
          for (let v = 0; v < src.V; v++) {
            const s = req.tokenString(v);
            if (s !== src.tokenName(v)) throw new EmbeddingsError("embeddings 'markov'", `token ${v} is '${s}' in the vocabulary but '${src.tokenName(v)}' in the source: give the embeddings the corpus's V and clusters`);
          }
        }
        const m = sourceEmbeddings(src, { specials: true });
        return {
          data: Float32Array.from(m.data),
          d: m.d,
          V: m.V,
          report: {
            source: 'markov',
            semanticRows: src.V,
            fallbackRows: SPECIAL_TOKENS.length,
            fallbackAxis: false,
            cached: false,
            seconds: (performance.now() - t0) / 1000,
            summary: `markov: the source's embeddings, ${src.V} tokens in ${src.C} clusters, d = ${m.d} (eos and pad on axes of their own)`,
          },
        };
      },
    };
  },
};

export const MARKOV_PLUGINS: readonly Plugin<Record<string, unknown>, unknown>[] = [markovCorpusPlugin, markovTokenizerPlugin, markovEmbeddingsPlugin];

/** Registers the markov plugins that `reg` does not have yet (idempotent). */
export function registerMarkovPlugins(reg: Registry = globalRegistry): void {
  for (const p of MARKOV_PLUGINS) if (!reg.has(p.kind, p.name)) reg.register(p);
}

registerMarkovPlugins();
