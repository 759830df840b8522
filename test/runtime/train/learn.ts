// Shared by the learn tests (split in two files so that the test runner can run them side by side):
// a small DiT trained for a few hundred steps on the toy corpus must reach a held-out NELBO
// (nats/token, with the prior term) below the entropy of the corpus's unigram law, the loss of a
// model that knows token frequencies and nothing else.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setupData, train, validateRunSpec } from '../../../runtime/train/index.ts';
import { toySpec, writeToyCorpus } from './toy-corpus.ts';

export function learnTests(kernels: readonly (string | null)[]): void {
  const root = mkdtempSync(join(tmpdir(), 'dlmk-learn-'));
  const corpus = writeToyCorpus(join(root, 'corpus'));
  const model = (arch: 'dit' | 'ar') => ({ arch, size: 'tiny', hidden: 64, heads: 2, dropout: 0 });
  const over = (arch: 'dit' | 'ar') => ({ model: model(arch), budget: { steps: 250 }, validation: { every: 0, rows: 32, grid: 8 }, data: { ...(toySpec(corpus, null).data as object), cacheDir: join(root, 'cache') } });
  let unigramEntropy = NaN;

  test('the toy corpus: its unigram entropy per token', async () => {
    const { spec, baseDir } = validateRunSpec(toySpec(corpus, 'masking', over('dit')));
    const d = await setupData(spec, baseDir, { log: () => {} });
    unigramEntropy = 0;
    for (const p of d.unigram) if (p > 0) unigramEntropy -= p * Math.log(p);
    console.log(`  toy corpus: V = ${d.tokenizer.vocabSize}, unigram entropy ${unigramEntropy.toFixed(3)} nats/token`);
    assert.ok(unigramEntropy > 3 && unigramEntropy < 4, String(unigramEntropy));
  });

  for (const kernel of kernels) {
    const name = kernel ?? 'ar';
    test(`${name}: the held-out NELBO falls below the unigram entropy`, async () => {
      const t0 = performance.now();
      const r = await train(toySpec(corpus, kernel, over(kernel ? 'dit' : 'ar')), { out: join(root, name) });
      const v = r.validation!;
      console.log(`  ${name.padEnd(12)} ${v.nats.toFixed(3)} nats/token after ${r.step} steps (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
      assert.is(r.step, 250);
      assert.ok(Number.isFinite(v.nats));
      assert.ok(v.nats < unigramEntropy, `${name}: ${v.nats} >= ${unigramEntropy}`);
      if (kernel) assert.ok(v.prior! >= 0 && v.diffusion! > 0);
    });
  }
}
