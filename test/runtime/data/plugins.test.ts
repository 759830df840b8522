// The data plugins: registered once, option schemas that compile (strict 2020-12, composed by
// name) with a description and a default or a requirement for every option, create() through the
// registry, and the same refusals whether or not the run spec loader ran first.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { registry, Registry } from '../../../runtime/plugins/registry.ts';
import { DATA_PLUGINS, createCorpus, createTokenizer, registerDataPlugins } from '../../../runtime/data/index.ts';
import type { Corpus, TokenizerBuilder } from '../../../runtime/data/index.ts';
import { collect, ctxFor, failsWith, tempDir, writeTree } from './helpers.ts';

test('the corpora and tokenizers are registered by importing runtime/data, once', () => {
  for (const n of ['jsonl', 'parquet', 'sotu', 'text']) assert.ok(registry.has('corpus', n), n);
  for (const n of ['bert-base-uncased', 'bytes', 'gpt2', 'words']) assert.ok(registry.has('tokenizer', n), n);
  registerDataPlugins();
  const fresh = new Registry();
  registerDataPlugins(fresh);
  registerDataPlugins(fresh);
  assert.equal(fresh.names('corpus'), ['jsonl', 'parquet', 'sotu', 'text']);
  assert.equal(fresh.names('tokenizer'), ['bert-base-uncased', 'bytes', 'gpt2', 'words']);
});

test('option schemas: strict 2020-12, composed by name; every option described, with a default or required', () => {
  // strictRequired off: the registry's oneOf wrapper requires 'name' without declaring it at its own level.
  const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true, discriminator: true });
  const corpus = ajv.compile(registry.schemaOf('corpus'));
  const tokenizer = ajv.compile(registry.schemaOf('tokenizer'));
  assert.ok(corpus({ name: 'sotu' }));
  assert.ok(corpus({ name: 'text', path: { train: 'a', test: 'b' }, documents: 'file' }));
  assert.not.ok(corpus({ name: 'jsonl' }));
  assert.not.ok(corpus({ name: 'parquet', path: 'x', validation: 0.6 }));
  assert.ok(tokenizer({ name: 'words', size: 512 }));
  assert.not.ok(tokenizer({ name: 'gpt2', size: 512 }));
  for (const p of DATA_PLUGINS) {
    const o = p.options as { properties: Record<string, { description?: string; default?: unknown }>; required?: string[] };
    for (const [k, s] of Object.entries(o.properties)) {
      assert.ok(s.description, `${p.name}.${k} has a description`);
      assert.ok(s.default !== undefined || o.required?.includes(k), `${p.name}.${k} has a default or is required`);
    }
    assert.ok(p.summary.length > 20);
  }
});

test('create() through the registry; options checked and defaulted without the spec loader', async () => {
  const dir = tempDir();
  writeTree(dir, { 'c.jsonl': '{"text": "hello there"}\n{"text": "general kenobi"}\n' });
  const ctx = ctxFor(dir);
  const c = await createCorpus({ name: 'jsonl', path: 'c.jsonl', validation: 0, test: 0 }, ctx);
  assert.equal(await collect(c, 'train'), ['hello there', 'general kenobi']);
  assert.ok(c.describe().startsWith("jsonl corpus: JSON lines, field 'text' from "));
  const t = await createTokenizer({ name: 'bytes' }, ctx, c);
  assert.is(t.vocabSize, 257);
  const builder = (await registry.get('tokenizer', 'gpt2').create({}, ctx)) as TokenizerBuilder;
  assert.equal([builder.name, builder.needsCorpus], ['gpt2', false]);
  assert.is((await builder.build()).vocabSize, 50257);
  const sotu = (await registry.get('corpus', 'sotu').create({ testYears: [2021] }, ctx)) as Corpus;
  assert.ok(sotu.describe().includes('test 1 (2021)'));
  await failsWith(() => createCorpus({ name: 'sotu', validationYears: [1700] }, ctx), "corpus 'sotu' options are not valid: $.validationYears[0] must be >= 1790");
  await failsWith(() => createCorpus({ name: 'parquet', path: 'x', column: '' }, ctx), "corpus 'parquet' options are not valid: $.column must NOT have fewer than 1 characters");
  await failsWith(() => createTokenizer({ name: 'gpt2', size: 3 }, ctx, c), "tokenizer 'gpt2' options are not valid: $ has an unknown property 'size'");
  assert.throws(() => registry.get('corpus', 'lm1b'), /no corpus plugin named 'lm1b'; known: jsonl, parquet, sotu, text/);
});

test.run();
