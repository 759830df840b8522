// The embedded SOTU corpus: the documented held-out years, disjoint splits, overrides, errors.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SotuCorpus, SOTU_TEST_YEARS, SOTU_VALIDATION_YEARS, SOTU_YEARS, sotuAddresses } from '../../../runtime/data/corpus/index.ts';
import { collect, failsWith } from './helpers.ts';

test('the year list and the addresses agree (233 addresses, 1790-2021 without 1933)', () => {
  const a = sotuAddresses();
  assert.is(a.length, 233);
  assert.equal([...new Set(a.map((x) => x.year))], [...SOTU_YEARS]);
  assert.is(SOTU_YEARS.length, 231);
});

test('default split: the documented years, 12 addresses each, disjoint, train the rest', async () => {
  assert.equal([...SOTU_VALIDATION_YEARS], [1790, 1810, 1830, 1850, 1870, 1890, 1910, 1930, 1950, 1970, 1990, 2010]);
  assert.equal([...SOTU_TEST_YEARS], [1800, 1820, 1840, 1860, 1880, 1900, 1920, 1940, 1960, 1980, 2000, 2020]);
  const c = new SotuCorpus();
  const [train, val, tst] = await Promise.all([collect(c, 'train'), collect(c, 'validation'), collect(c, 'test')]);
  assert.equal([train.length, val.length, tst.length], [209, 12, 12]);
  assert.is(new Set([...train, ...val, ...tst]).size, 233);
  const byText = new Map(sotuAddresses().map((a) => [a.text, a.year]));
  assert.equal(val.map((t) => byText.get(t)), [...SOTU_VALIDATION_YEARS]);
  assert.equal(tst.map((t) => byText.get(t)), [...SOTU_TEST_YEARS]);
  assert.ok(val[0]!.startsWith('Fellow-Citizens of the Senate and House of Representatives:'));
  assert.ok(c.describe().includes('train 209, validation 12'));
});

test('year overrides: both addresses of 1953 go together; the fingerprint follows the rule', async () => {
  const c = new SotuCorpus({ validationYears: [1953], testYears: [2021] });
  assert.is((await collect(c, 'validation')).length, 2);
  assert.is((await collect(c, 'test')).length, 1);
  assert.is((await collect(c, 'train')).length, 230);
  const f0 = await new SotuCorpus().fingerprint();
  assert.match(f0, /^[0-9a-f]{64}$/);
  assert.is(await new SotuCorpus({}).fingerprint(), f0);
  assert.is.not(await c.fingerprint(), f0);
});

test('errors: a year in both lists, a year without an address', async () => {
  await failsWith(() => new SotuCorpus({ validationYears: [1800, 1801], testYears: [1801] }), 'sotu corpus: the years 1801 are in both validationYears and testYears');
  await failsWith(() => new SotuCorpus({ testYears: [1933, 2022] }), 'sotu corpus: no address in 1933, 2022 (the addresses span 1790-2021; 1933 has none)');
});

test.run();
