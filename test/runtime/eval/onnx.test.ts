// Generative perplexity under an ONNX causal LM (onnxruntime-node, the real runtime): a bigram model
// written as ONNX protobuf by hand (test/helpers/onnx.ts), whose next-token law is known exactly,
// scores samples; gen-PPL equals the float64 value from the same table, with MDLM's EOS mask.
// onnxruntime-node is not a dlmk dependency (300 MB): the test installs it once into a cache
// folder from the npm registry when the project does not have it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { OnnxScorer, onnxReference } from '../../../runtime/eval/onnx.ts';
import { sampleQuality } from '../../../runtime/eval/quality.ts';
import type { Tokenizer } from '../../../runtime/data/index.ts';
import { bigramOnnx } from '../../helpers/onnx.ts';

const VERSION = '1.31.1';

test('onnxruntime-node is available (installed into a cache folder when the project lacks it)', () => {
  let have = true;
  try {
    execFileSync(process.execPath, ['-e', "require.resolve('onnxruntime-node')"], { stdio: 'ignore' });
  } catch {
    have = false;
  }
  if (!have) {
    const dir = join(process.env['DLMK_CACHE_DIR'] || join(homedir(), '.cache', 'dlmk'), `onnxruntime-node-${VERSION}`);
    if (!existsSync(join(dir, 'node_modules', 'onnxruntime-node', 'package.json'))) {
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'package.json'), '{"name":"dlmk-onnxruntime-cache","private":true}');
      execFileSync('npm', ['install', '--prefix', dir, `onnxruntime-node@${VERSION}`, '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], { stdio: 'inherit' });
    }
    process.env['DLMK_ONNXRUNTIME_DIR'] = dir;
  }
});

const V = 6;
const EOS = 5;
const table = Float32Array.from({ length: V * V }, (_, i) => Math.sin(1.7 * i) * 2);
const root = mkdtempSync(join(tmpdir(), 'dlmk-onnx-'));
const file = join(root, 'bigram.onnx');
writeFileSync(file, bigramOnnx(table, V));

const ids: Tokenizer = {
  name: 'ids', id: 'ids', sha256: '0'.repeat(64), vocabSize: V, eos: EOS, pad: EOS, maskSlot: { appended: true },
  encode: (t) => Uint32Array.from(t.split(' ').map(Number)), decode: (x) => Array.from(x).join(' '), tokenString: String, lookup: () => undefined,
};

test('gen-PPL under the ONNX bigram equals the exact value (float64, MDLM EOS mask)', async () => {
  const samples = [[0, 1, 2, 3, 4, 0], [2, 2, EOS, 1, EOS, EOS], [4, 3, 2, 1, 0, 5]];
  const q = await sampleQuality(samples, { scorer: onnxReference(await OnnxScorer.open(file), { from: ids }) });
  // -log softmax(table[prev])[next], every target but EOS after the first one in its sample.
  let sum = 0;
  let n = 0;
  for (const s of samples) {
    let eosSeen = s[0] === EOS ? 1 : 0;
    for (let l = 1; l < s.length; l++) {
      if (s[l] === EOS) eosSeen++;
      if (s[l] === EOS && eosSeen > 1) continue;
      const row = Array.from(table.subarray(s[l - 1]! * V, (s[l - 1]! + 1) * V), Number);
      const mx = Math.max(...row);
      const lz = mx + Math.log(row.reduce((a, x) => a + Math.exp(x - mx), 0));
      sum += lz - row[s[l]!]!;
      n++;
    }
  }
  const want = Math.exp(sum / n);
  console.log(`  gen-PPL ${q.genPpl!.toFixed(6)} (exact ${want.toFixed(6)}) over ${n} scored tokens`);
  assert.ok(Math.abs(q.genPpl! - want) <= 1e-5 * want, `${q.genPpl} vs ${want}`);
});

test('errors: a missing file, tokens outside the model', async () => {
  try {
    await OnnxScorer.open(join(root, 'none.onnx'));
    assert.unreachable();
  } catch (err) {
    assert.match((err as Error).message, /none\.onnx: no such ONNX file/);
  }
  const s = await OnnxScorer.open(file);
  try {
    await s.nlls([[0, 9, 1]]);
    assert.unreachable();
  } catch (err) {
    assert.match((err as Error).message, /outside the model's 6 logits|cannot|failed/);
  }
});

test('an experiment with an ONNX reference trains no AR run', async () => {
  const { planExperiment } = await import('../../../runtime/compare/index.ts');
  const base = { data: { corpus: { name: 'sotu' }, tokenizer: { name: 'bytes' }, length: 16 }, model: { size: 'tiny' }, budget: { steps: 2 } };
  const plan = planExperiment({ format: 'dlmk.experiment/1', base, kernels: [{ path: 'masking' }], reference: { onnx: file, tokenizer: { name: 'gpt2' } } });
  assert.equal(plan.runs.map((r) => r.role), ['kernel']);
  const withAr = planExperiment({ format: 'dlmk.experiment/1', base, kernels: [{ path: 'masking' }] });
  assert.equal(withAr.runs.map((r) => r.role), ['kernel', 'reference']);
});

test.run();
