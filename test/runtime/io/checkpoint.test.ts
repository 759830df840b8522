// Checkpoint directories: manifest + safetensors files, atomic writes, and each refusal naming the
// file and the tensor (sha256, size, shape, missing or extra tensors, manifest schema, model).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CheckpointError,
  dlmkVersion,
  decodeSafetensors,
  loadCheckpoint,
  optimizerTensorNames,
  saveCheckpoint,
  writeFileAtomic,
  type CheckpointInput,
  type NamedTensor,
} from '../../../runtime/io/index.ts';
import type { DitConfig } from '../../../specs/types/checkpoint.ts';

const model: DitConfig = {
  arch: 'dit', vocabSize: 5, maskToken: true, hidden: 4, layers: 1, heads: 2, mlpRatio: 4, condDim: 3, freqDim: 8,
  timeConditioning: true, ropeBase: 10000, lnEps: 1e-5, dropout: 0,
};
const params = [
  { name: 'vocab_embed.embedding', shape: [6, 4] },
  { name: 'blocks.0.norm1.weight', shape: [4] },
];
const weights: NamedTensor[] = params.map((p, k) => ({ ...p, data: Float32Array.from({ length: p.shape.reduce((a, b) => a * b, 1) }, (_, i) => k + i / 8) }));
const moments: NamedTensor[] = weights.flatMap((w) => [
  { name: optimizerTensorNames(w.name).m, shape: w.shape, data: w.data.map((x) => x / 10) },
  { name: optimizerTensorNames(w.name).v, shape: w.shape, data: w.data.map((x) => x * x) },
]);
const input: CheckpointInput = {
  step: 12, seed: 7, model, kernel: { name: 'masking', specSha256: 'a'.repeat(64) }, tokenizer: { id: 'bytes' },
  weights, optimizer: { kind: 'adamw', step: 12, hyper: { lr: 3e-4, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 }, tensors: moments },
  ema: weights,
};

const dirs: string[] = [];
function fresh(): string {
  const d = mkdtempSync(join(tmpdir(), 'dlmk-ckpt-'));
  dirs.push(d);
  return d;
}
test.after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

async function refuses(dir: string, opts: Parameters<typeof loadCheckpoint>[1], file: string, re: RegExp, tensor?: string): Promise<void> {
  try {
    await loadCheckpoint(dir, opts);
  } catch (err) {
    assert.instance(err, CheckpointError, String(err));
    const e = err as CheckpointError;
    assert.is(e.file, file, e.message);
    assert.is(e.tensor, tensor, e.message);
    assert.match(e.reason, re);
    return;
  }
  assert.unreachable(`loaded; expected ${file} to be refused (${re})`);
}

test('save then load: manifest fields, every tensor bit-exact, no temp files left', async () => {
  const dir = fresh();
  const m = await saveCheckpoint(dir, input);
  assert.equal(readdirSync(dir).sort(), ['ema.safetensors', 'manifest.json', 'model.safetensors', 'optimizer.safetensors']);
  assert.is(m.dlmkVersion, dlmkVersion());
  assert.equal(JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')), m);
  const c = await loadCheckpoint(dir, { model, params });
  assert.is(c.manifest.step, 12);
  assert.equal(c.manifest.optimizer, { kind: 'adamw', step: 12, hyper: input.optimizer!.hyper });
  for (const w of weights) assert.equal(Array.from(c.weights.get(w.name)!.data), Array.from(w.data));
  for (const w of moments) assert.equal(Array.from(c.optimizer!.get(w.name)!.data), Array.from(w.data));
  assert.ok(c.ema);
  const st = decodeSafetensors(readFileSync(join(dir, 'model.safetensors')), 'model.safetensors');
  assert.equal(st.metadata, { format: 'pt', 'dlmk.role': 'weights', 'dlmk.step': '12' });
});

test('refuses a truncated file (size against the manifest)', async () => {
  const dir = fresh();
  await saveCheckpoint(dir, input);
  truncateSync(join(dir, 'model.safetensors'), 100);
  await refuses(dir, { params }, 'model.safetensors', /size mismatch: 100 bytes, the manifest says \d+/);
});

test('refuses a corrupt file (sha256 against the manifest)', async () => {
  const dir = fresh();
  await saveCheckpoint(dir, input);
  const p = join(dir, 'optimizer.safetensors');
  const b = readFileSync(p);
  b[b.length - 1] = b[b.length - 1]! ^ 1;
  writeFileSync(p, b);
  await refuses(dir, { params }, 'optimizer.safetensors', /sha256 mismatch: [0-9a-f]{64}, the manifest says [0-9a-f]{64}/);
});

test('refuses a shape that differs from the model, naming the tensor', async () => {
  const dir = fresh();
  await saveCheckpoint(dir, input);
  const other = [params[0]!, { name: 'blocks.0.norm1.weight', shape: [5] }];
  await refuses(dir, { params: other }, 'model.safetensors', /shape mismatch: \[4\] in the file, the model expects \[5\]/, 'blocks.0.norm1.weight');
});

test('refuses a missing tensor and a tensor the model does not have', async () => {
  const dir = fresh();
  await saveCheckpoint(dir, input);
  await refuses(dir, { params: [...params, { name: 'output_layer.linear.bias', shape: [5] }] }, 'model.safetensors', /is missing; the model has it with shape \[5\]/, 'output_layer.linear.bias');
  await refuses(dir, { params: [params[0]!] }, 'model.safetensors', /is not a tensor of this model/, 'blocks.0.norm1.weight');
});

test('refuses a header whose offsets point past the data (a file rewritten behind the manifest)', async () => {
  const dir = fresh();
  await saveCheckpoint(dir, { ...input, optimizer: undefined, ema: undefined });
  const p = join(dir, 'model.safetensors');
  const b = readFileSync(p);
  const n = Number(b.readBigUInt64LE(0));
  const h = b.subarray(8, 8 + n).toString('utf8').replace('"data_offsets":[96,112]', '"data_offsets":[96,999]');
  b.write(h.padEnd(n, ' '), 8, 'utf8');
  writeFileSync(p, b);
  // Update the manifest's hash so the header check itself is what refuses it.
  const man = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  man.files.weights.sha256 = (await import('node:crypto')).createHash('sha256').update(b).digest('hex');
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(man));
  await refuses(dir, {}, 'model.safetensors', /data_offsets \[96, 999\] are out of range/, 'blocks.0.norm1.weight');
});

test('refuses a manifest that is not JSON or breaks the schema, and another model', async () => {
  const dir = fresh();
  await saveCheckpoint(dir, input);
  const man = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  await refuses(dir, { model: { ...model, hidden: 8 } }, 'manifest.json', /model mismatch: hidden 4 \(expected 8\)/);
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ ...man, step: -1, files: { ...man.files, weights: { ...man.files.weights, sha256: 'xyz' } } }));
  await refuses(dir, {}, 'manifest.json', /\$\.step must be >= 0.*\$\.files\.weights\.sha256 must match pattern/);
  writeFileSync(join(dir, 'manifest.json'), '{"format":');
  await refuses(dir, {}, 'manifest.json', /is not valid JSON/);
  rmSync(join(dir, 'manifest.json'));
  await refuses(dir, {}, 'manifest.json', /cannot be read in .*ENOENT/);
});

test('a weights-only checkpoint cannot resume training', async () => {
  const dir = fresh();
  await saveCheckpoint(dir, { ...input, optimizer: undefined });
  await refuses(dir, { optimizer: true }, 'manifest.json', /no optimizer state/);
});

test('writeFileAtomic replaces the file whole and leaves no temporary behind', async () => {
  const dir = fresh();
  const p = join(dir, 'f.bin');
  await writeFileAtomic(p, 'old');
  await writeFileAtomic(p, new Uint8Array([1, 2, 3]));
  assert.equal([...readFileSync(p)], [1, 2, 3]);
  assert.equal(readdirSync(dir), ['f.bin']);
  await writeFileAtomic(join(dir, 'missing-dir', 'x'), 'y').then(
    () => assert.unreachable('wrote into a missing directory'),
    (err: NodeJS.ErrnoException) => assert.is(err.code, 'ENOENT'),
  );
});

test.run();
