// The Markov source as data for the trainer (docs/eval.md, "Synthetic source and the error
// decomposition"): a corpus whose documents are exact draws of the source, each exactly L token
// names (`c03w05 c01w00 ...`), and a tokenizer that maps those names to the source's ids exactly
// (ids 0..V-1), with eos (V) and pad (V + 1) after them (real tokens the data never holds; the
// tokenizer interface needs both) and [MASK] appended at V + 2. In `sentence` mode with
// `length: L` every document is one row without padding (runtime/data/tokens/batch.ts).
import { createHash } from 'node:crypto';
import { DataError, MASK_MARKER, mixSeed, mulberry32, type Corpus, type FromSchema, type Split, type Tokenizer } from '../../data/index.ts';
import { MarkovSource, SyntheticError, type MarkovSourceOptions } from '../../../reference/synthetic/index.ts';
import { SPECIAL_TOKENS } from './embeddings.ts';

/** The options that define the source (the embeddings plugin takes the same). */
export const SOURCE_PROPERTIES = {
  seed: { type: 'integer', minimum: 0, maximum: 4294967295, default: 0, description: 'Seed of the chain and the embeddings.' },
  V: { type: 'integer', minimum: 2, maximum: 1024, default: 48, description: 'Tokens of the source (a multiple of clusters).' },
  clusters: { type: 'integer', minimum: 1, maximum: 1024, default: 8, description: 'Clusters of interchangeable tokens.' },
  coupling: { type: 'number', minimum: 0, maximum: 1, default: 0.1, description: 'Share of each transition row that is token-specific.' },
  sharpness: { type: 'number', minimum: 0, default: 2, description: 'Peakedness of the cluster-level and token-level transition rows.' },
  within: { type: 'number', minimum: 0, default: 1, description: 'Peakedness of the within-cluster laws.' },
  dim: { type: 'integer', minimum: 1, maximum: 4096, default: 16, description: 'Embedding dimension (one shared component is added).' },
  spread: { type: 'number', minimum: 0, default: 0.15, description: "Norm of a token's offset from its cluster centre." },
} as const;

export const MARKOV_CORPUS_OPTIONS = {
  type: 'object',
  properties: {
    ...SOURCE_PROPERTIES,
    L: { type: 'integer', minimum: 1, maximum: 65536, default: 16, description: 'Tokens per document (use data.length = L, data.mode = "sentence").' },
    train: { type: 'integer', minimum: 1, maximum: 16777216, default: 4096, description: 'Documents in the train split.' },
    validation: { type: 'integer', minimum: 1, maximum: 16777216, default: 256, description: 'Documents in the validation split.' },
    test: { type: 'integer', minimum: 1, maximum: 16777216, default: 256, description: 'Documents in the test split.' },
  },
  additionalProperties: false,
} as const;

export type MarkovCorpusOptions = FromSchema<typeof MARKOV_CORPUS_OPTIONS>;

/** The source an options object (corpus or embeddings plugin) defines; its errors become DataErrors. */
export function markovSourceOf(o: MarkovSourceOptions, what: string): MarkovSource {
  try {
    return new MarkovSource(o);
  } catch (err) {
    if (err instanceof SyntheticError) throw new DataError(`${what}: ${err.message}`);
    throw err;
  }
}

const SPLIT_SALT: Record<Split, number> = { train: 1, validation: 2, test: 3 };

export class MarkovCorpus implements Corpus {
  readonly name = 'markov';
  readonly source: MarkovSource;

  constructor(readonly options: MarkovCorpusOptions) {
    const { train: _t, validation: _v, test: _s, ...src } = options;
    this.source = markovSourceOf(src, "corpus 'markov'");
  }

  describe(): string {
    const s = this.source;
    const o = this.options;
    return `markov: a Markov chain over ${s.V} tokens in ${s.C} clusters (seed ${o.seed}), documents of ${s.L} tokens, ${o.train}/${o.validation}/${o.test} documents; H = ${s.entropyPerToken().toFixed(4)} nats/token`;
  }

  async fingerprint(): Promise<string> {
    const keys = Object.keys(this.options).sort() as Array<keyof MarkovCorpusOptions>;
    return createHash('sha256').update(`dlmk.markov/1\0${JSON.stringify(keys.map((k) => [k, this.options[k]]))}`).digest('hex');
  }

  /** The split's documents as token ids, [count, L] (exact draws of the source; splits use separate streams). */
  split(split: Split): Int32Array {
    return this.source.sample(this.options[split], mulberry32(mixSeed(this.options.seed, SPLIT_SALT[split], 0xc0de)));
  }

  async *documents(split: Split): AsyncIterable<string> {
    const L = this.source.L;
    const ids = this.split(split);
    for (let d = 0; d * L < ids.length; d++) yield Array.from(ids.subarray(d * L, (d + 1) * L), (v) => this.source.tokenName(v)).join(' ');
  }
}

export class MarkovTokenizer implements Tokenizer {
  readonly name = 'markov';
  readonly id: string;
  readonly sha256: string;
  readonly vocabSize: number;
  readonly eos: number;
  readonly pad: number;
  readonly maskSlot = { appended: true } as const;
  private readonly names: string[];
  private readonly ids: Map<string, number>;

  constructor(readonly source: MarkovSource) {
    this.names = [...Array.from({ length: source.V }, (_, v) => source.tokenName(v)), ...SPECIAL_TOKENS];
    this.ids = new Map(this.names.map((n, i) => [n, i]));
    this.vocabSize = this.names.length;
    this.eos = source.V;
    this.pad = source.V + 1;
    this.sha256 = createHash('sha256').update(`dlmk.markov-tokens/1\0${this.names.join('\n')}`).digest('hex');
    this.id = `markov:${source.V}:${this.sha256.slice(0, 8)}`;
  }

  encode(text: string): Uint32Array {
    const words = text.split(/\s+/).filter((w) => w.length > 0);
    const out = new Uint32Array(words.length);
    words.forEach((w, i) => {
      const id = this.ids.get(w);
      if (id === undefined) {
        const shown = w.length > 40 ? `${w.slice(0, 40)}...` : w;
        throw new DataError(`tokenizer 'markov': '${shown}' (word ${i + 1}) is not a token of the source (${this.names[0]} .. ${this.names[this.source.V - 1]}, ${SPECIAL_TOKENS.join(', ')})`);
      }
      out[i] = id;
    });
    return out;
  }

  decode(ids: ArrayLike<number>): string {
    return Array.from({ length: ids.length }, (_, i) => this.tokenString(ids[i]!)).join(' ');
  }

  tokenString(id: number): string {
    if (id === this.vocabSize) return MASK_MARKER;
    const name = Number.isInteger(id) ? this.names[id] : undefined;
    if (name === undefined) throw new DataError(`markov: id ${id} is neither a token (0..${this.vocabSize - 1}) nor the mask (${this.vocabSize})`);
    return name;
  }

  lookup(token: string): number | undefined {
    return this.ids.get(token);
  }
}
