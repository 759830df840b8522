// End to end on the Markov source: train() runs unchanged on the markov corpus, tokenizer and
// embeddings plugins with a graph kernel (semdlm_plus: knn graph from the source's true
// embeddings), in sentence mode with rows of exactly L tokens and no padding; loadRun gives the
// trained model back, and the decomposition runs on it (the oracle of the run's own kernel: its
// graphs, its unigram with the trainer's pseudo-counts, its rate tables).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setupData, train, validateRunSpec } from '../../../runtime/train/index.ts';
import { loadRun } from '../../../runtime/train/load.ts';
import { MarkovCorpus, decompose, formatDecomposition, referenceFor } from '../../../runtime/eval/synthetic/index.ts';
import '../../../runtime/eval/synthetic/plugins.ts';

const root = mkdtempSync(join(tmpdir(), 'dlmk-markov-'));
const SOURCE = { seed: 1, V: 24, clusters: 4 };
const L = 8;
const spec = {
  format: 'dlmk.run/1',
  seed: 3,
  data: { corpus: { name: 'markov', ...SOURCE, L, train: 512, validation: 32, test: 32 }, tokenizer: { name: 'markov' }, length: L, mode: 'sentence', cacheDir: join(root, 'cache') },
  model: { arch: 'dit', size: 'tiny', dropout: 0 },
  kernel: { path: 'semdlm_plus', params: { k: 5 } },
  embeddings: { name: 'markov', ...SOURCE },
  optimizer: { lr: 0.003, warmupSteps: 5, decay: 'constant', clip: 1, emaDecay: 0 },
  batchSize: 16,
  budget: { steps: 200 },
  validation: { every: 0, rows: 16, grid: 4 },
  checkpoint: { every: 0, keep: 1 },
  log: { every: 10 },
};

test('sentence mode on the markov corpus: every row is one document of exactly L source tokens, no padding', async () => {
  const { spec: s, baseDir } = validateRunSpec(spec);
  const d = await setupData(s, baseDir, { log: () => {} });
  assert.instance(d.corpus, MarkovCorpus);
  assert.is(d.tokenizer.vocabSize, SOURCE.V + 2);
  const b = d.train.next();
  assert.ok(b.valid === null || b.valid.every((v) => v === 1), 'a row has padding');
  assert.ok(b.x0.every((v) => v < SOURCE.V), 'a row holds eos or pad');
  assert.ok(d.validation.x0.every((v) => v < SOURCE.V));
  assert.is(d.trainTokens.tokens.length, 512 * L);
});

test('train() on the markov plugins with semdlm_plus, then the decomposition on the trained model', async () => {
  const t0 = performance.now();
  const out = join(root, 'run');
  const r = await train(spec, { out });
  assert.is(r.step, 200);
  const v = r.validation!;
  assert.ok(Number.isFinite(v.nats));
  const run = await loadRun(out);
  const corpus = run.data.corpus;
  assert.instance(corpus, MarkovCorpus);
  const source = (corpus as MarkovCorpus).source;
  const rt = run.rt!;
  const ref = referenceFor(rt, { unigram: run.data.unigram });
  const tTrain = (performance.now() - t0) / 1000;
  const d = await decompose({ source, rt, ref, model: run.denoiser!, sampler: { steps: 16, rules: [], denoise: 'none' }, samples: 256, batch: 128, seed: 1 });
  console.log(`  semdlm_plus, 200 steps on the markov source (V ${source.V}, L ${L}, H/L ${source.entropyPerToken().toFixed(4)}): validation NELBO ${v.nats.toFixed(4)} nats/token (${tTrain.toFixed(1)} s with loading)`);
  console.log(formatDecomposition(d));
  const { approximation, sampling, mismatch, total } = d.parts;
  assert.ok(Math.abs(approximation.value + sampling.value + mismatch.value - total.value) <= 1e-12);
  assert.ok([approximation, sampling, mismatch, total].every((p) => Number.isFinite(p.value) && Number.isFinite(p.se)));
  // 200 steps of a tiny DiT leave the model measurably short of the oracle.
  assert.ok(approximation.value > 4 * approximation.se, `approximation ${approximation.value} ± ${approximation.se}`);
  run.model.destroy();
});

test.run();
