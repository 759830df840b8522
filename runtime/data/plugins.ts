// The data plugins: corpora (kind 'corpus': sotu, text, jsonl, parquet) and tokenizers (kind
// 'tokenizer': gpt2, bert-base-uncased, bytes, words). Importing this module registers them in
// the global registry (once). A corpus plugin's create() returns a Corpus; a tokenizer plugin's
// create() returns a TokenizerBuilder whose build(corpus) gives the Tokenizer, because the
// `words` vocabulary is made from the corpus's train split (the others ignore the corpus).
import { registry as globalRegistry, type Plugin, type PluginContext, type Registry } from '../plugins/registry.ts';
import { DataError } from './errors.ts';
import { resolveOptions } from './schema.ts';
import type { Corpus } from './corpus/types.ts';
import { SOTU_OPTIONS, SotuCorpus } from './corpus/sotu.ts';
import { TEXT_OPTIONS, TextCorpus } from './corpus/text.ts';
import { JSONL_OPTIONS, JsonlCorpus } from './corpus/jsonl.ts';
import { PARQUET_OPTIONS, ParquetCorpus } from './corpus/parquet.ts';
import type { Tokenizer, TokenizerBuilder } from './tokenizers/types.ts';
import { gpt2Tokenizer } from './tokenizers/gpt2.ts';
import { bertTokenizer } from './tokenizers/bert.ts';
import { BytesTokenizer } from './tokenizers/bytes.ts';
import { WORDS_OPTIONS, wordsTokenizerFor } from './tokenizers/words.ts';

const NO_OPTIONS = { type: 'object', properties: {}, additionalProperties: false } as const;

export const sotuPlugin: Plugin<Record<string, unknown>, Corpus> = {
  kind: 'corpus',
  name: 'sotu',
  summary: 'The embedded default: 233 State of the Union addresses (1790-2021), one document each; whole addresses held out by year (docs/data.md).',
  options: SOTU_OPTIONS,
  create: (o) => new SotuCorpus(resolveOptions(SOTU_OPTIONS, o, "corpus 'sotu'")),
};

export const textPlugin: Plugin<Record<string, unknown>, Corpus> = {
  kind: 'corpus',
  name: 'text',
  summary: 'A text file or a folder of them; each file, or each blank-line paragraph, is a document.',
  options: TEXT_OPTIONS,
  create: (o, ctx) => new TextCorpus(resolveOptions(TEXT_OPTIONS, o, "corpus 'text'"), ctx.baseDir),
};

export const jsonlPlugin: Plugin<Record<string, unknown>, Corpus> = {
  kind: 'corpus',
  name: 'jsonl',
  summary: 'JSON lines: one object per line, the document in a string field (default "text").',
  options: JSONL_OPTIONS,
  create: (o, ctx) => new JsonlCorpus(resolveOptions(JSONL_OPTIONS, o, "corpus 'jsonl'"), ctx.baseDir),
};

export const parquetPlugin: Plugin<Record<string, unknown>, Corpus> = {
  kind: 'corpus',
  name: 'parquet',
  summary: 'Parquet files: a column of strings (default "text"), e.g. LM1B or OpenWebText exports as they are.',
  options: PARQUET_OPTIONS,
  create: (o, ctx) => new ParquetCorpus(resolveOptions(PARQUET_OPTIONS, o, "corpus 'parquet'"), ctx.baseDir),
};

function fixed(name: string, load: () => Promise<Tokenizer>): TokenizerBuilder {
  return { name, needsCorpus: false, build: () => load() };
}

export const gpt2Plugin: Plugin<Record<string, unknown>, TokenizerBuilder> = {
  kind: 'tokenizer',
  name: 'gpt2',
  summary: 'GPT-2 BPE (r50k_base): V = 50257, EOS 50256 between documents, [MASK] appended at 50257.',
  options: NO_OPTIONS,
  create: (o) => (resolveOptions(NO_OPTIONS, o, "tokenizer 'gpt2'"), fixed('gpt2', gpt2Tokenizer)),
};

export const bertPlugin: Plugin<Record<string, unknown>, TokenizerBuilder> = {
  kind: 'tokenizer',
  name: 'bert-base-uncased',
  summary: "BERT's uncased WordPiece: V = 30521 real tokens, BERT's [MASK] moved to 30521 (30522 states); [SEP] separates, [PAD] pads.",
  options: NO_OPTIONS,
  create: (o) => (resolveOptions(NO_OPTIONS, o, "tokenizer 'bert-base-uncased'"), fixed('bert-base-uncased', bertTokenizer)),
};

export const bytesPlugin: Plugin<Record<string, unknown>, TokenizerBuilder> = {
  kind: 'tokenizer',
  name: 'bytes',
  summary: 'UTF-8 bytes: V = 257 (bytes 0..255, EOS 256), [MASK] appended at 257.',
  options: NO_OPTIONS,
  create: (o) => (resolveOptions(NO_OPTIONS, o, "tokenizer 'bytes'"), fixed('bytes', () => Promise.resolve(new BytesTokenizer()))),
};

export const wordsPlugin: Plugin<Record<string, unknown>, TokenizerBuilder> = {
  kind: 'tokenizer',
  name: 'words',
  summary: "Words and punctuation from the corpus's train split: the `size` most frequent (default 4096 with <unk>, <eos>, <pad>), cached by corpus fingerprint.",
  options: WORDS_OPTIONS,
  create: (o, ctx: PluginContext) => {
    const opts = resolveOptions(WORDS_OPTIONS, o, "tokenizer 'words'");
    return {
      name: 'words',
      needsCorpus: true,
      build: (corpus?: Corpus) => {
        if (!corpus) return Promise.reject(new DataError("tokenizer 'words' builds its vocabulary from the corpus's train split: pass the corpus to build(corpus)"));
        return wordsTokenizerFor(corpus, opts, ctx);
      },
    };
  },
};

export const DATA_PLUGINS: readonly Plugin<Record<string, unknown>, unknown>[] = [sotuPlugin, textPlugin, jsonlPlugin, parquetPlugin, gpt2Plugin, bertPlugin, bytesPlugin, wordsPlugin];

/** Registers the data plugins that `reg` does not have yet (idempotent). */
export function registerDataPlugins(reg: Registry = globalRegistry): void {
  for (const p of DATA_PLUGINS) if (!reg.has(p.kind, p.name)) reg.register(p);
}

registerDataPlugins();

/** A corpus from a run spec's `{ name, ...options }` (through the registry). */
export async function createCorpus(spec: { name: string } & Record<string, unknown>, ctx: PluginContext, reg: Registry = globalRegistry): Promise<Corpus> {
  const { name, ...options } = spec;
  return (await reg.get<Record<string, unknown>, Corpus>('corpus', name).create(options, ctx)) as Corpus;
}

/** A tokenizer from a run spec's `{ name, ...options }` and the corpus (through the registry). */
export async function createTokenizer(spec: { name: string } & Record<string, unknown>, ctx: PluginContext, corpus: Corpus, reg: Registry = globalRegistry): Promise<Tokenizer> {
  const { name, ...options } = spec;
  const builder = (await reg.get<Record<string, unknown>, TokenizerBuilder>('tokenizer', name).create(options, ctx)) as TokenizerBuilder;
  return builder.build(corpus);
}
