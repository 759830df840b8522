// The checkpoint source (runtime/data/embed/checkpoint.ts) on a checkpoint that
// saveModelCheckpoint writes from a tiny DiT on the GPU: rows 0 .. V - 1 of vocab_embed.embedding
// (the [MASK] row dropped), the same values the model holds; an AR checkpoint has no [MASK] row;
// every refusal (missing manifest, corrupt or truncated file, no EMA, another V) names the file.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { getGpu } from '../../../../runtime/gpu/index.ts';
import { decodeSafetensors, encodeSafetensors } from '../../../../runtime/io/index.ts';
import { checkpointEmbeddings, checkpointPlugin, type EmbeddingSource } from '../../../../runtime/data/embed/index.ts';
import { createAr, createDit, saveModelCheckpoint } from '../../../../runtime/nn/models/index.ts';
import { rejectsWith } from './errors.ts';


const V = 12;
const root = mkdtempSync(join(tmpdir(), 'dlmk-embed-ckpt-'));

test('a DiT checkpoint: rows 0 .. V - 1 of vocab_embed.embedding, the [MASK] row dropped; through the plugin too', async () => {
  const gpu = await getGpu();
  const model = createDit(gpu, { size: 'tiny', vocabSize: V }, { seed: 3 });
  const dir = join(root, 'dit');
  await saveModelCheckpoint(dir, model, {}, { step: 5, seed: 3 });
  const file = decodeSafetensors(readFileSync(join(dir, 'model.safetensors')), 'model.safetensors');
  const table = file.tensor('vocab_embed.embedding');
  assert.equal([...file.entries.get('vocab_embed.embedding')!.shape], [V + 1, 32]);

  const m = await checkpointEmbeddings(dir, { V });
  assert.equal([m.V, m.d, m.report.source, m.report.semanticRows, m.report.fallbackAxis], [V, 32, 'checkpoint', V, false]);
  assert.equal(Array.from(m.data), Array.from(table.subarray(0, V * 32)));
  assert.ok(m.data.some((x) => x !== 0), 'the embedding is initialised (not zero)');
  assert.match(m.report.summary, /\(\[MASK\] row dropped\)$/);

  const lines: string[] = [];
  const src = checkpointPlugin.create({ path: relative(root, dir) }, { baseDir: root, cacheDir: root, log: (l) => lines.push(l) }) as EmbeddingSource;
  const p = await src.embed({ V });
  assert.equal(Array.from(p.data), Array.from(m.data));
  assert.ok(lines[0]!.startsWith('checkpoint: vocab_embed.embedding of '));

  await rejectsWith(() => checkpointEmbeddings(dir, { V: 50257 }), "manifest.json: the checkpoint's model has vocabSize 12, the run's vocabulary has 50257 tokens (use a checkpoint trained with this tokenizer)");
  await rejectsWith(() => checkpointEmbeddings(dir, { ema: true }), 'manifest.json: the checkpoint has no ema file (it was saved without an EMA); drop `ema`');

  // One flipped byte, then a truncated file: refused by the manifest's hash and size.
  const path = join(dir, 'model.safetensors');
  const bytes = readFileSync(path);
  bytes[bytes.length - 3]! ^= 0x20;
  writeFileSync(path, bytes);
  await rejectsWith(() => checkpointEmbeddings(dir), `${path}: sha256 mismatch: `);
  writeFileSync(path, bytes.subarray(0, 64));
  await rejectsWith(() => checkpointEmbeddings(dir), `${path}: size mismatch: 64 bytes, the manifest says ${bytes.length} (truncated or replaced)`);
  rmSync(path);
  await rejectsWith(() => checkpointEmbeddings(dir), `${path}: cannot be read (ENOENT)`);
});

test('an AR checkpoint has no [MASK] row; a folder without a manifest or with a bad one is refused', async () => {
  const gpu = await getGpu();
  const model = createAr(gpu, { size: 'tiny', vocabSize: V }, { seed: 4 });
  const dir = join(root, 'ar');
  await saveModelCheckpoint(dir, model, {}, { step: 1, seed: 4 });
  const m = await checkpointEmbeddings(dir, { V });
  assert.is(m.V, V);
  const table = decodeSafetensors(readFileSync(join(dir, 'model.safetensors')), 'model.safetensors').tensor('vocab_embed.embedding');
  assert.equal(Array.from(m.data), Array.from(table));

  await rejectsWith(() => checkpointEmbeddings(join(root, 'nothing')), `${join(root, 'nothing', 'manifest.json')}: cannot be read in ${join(root, 'nothing')}: ENOENT`);
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ ...manifest, format: 'x' }));
  await rejectsWith(() => checkpointEmbeddings(dir), 'manifest.json: does not match specs/checkpoint.schema.json: ');
});

test('a weights file that matches its manifest but not the model: no embedding, a wrong shape, a non-finite value, a bad header', async () => {
  const gpu = await getGpu();
  const model = createDit(gpu, { size: 'tiny', vocabSize: V }, { seed: 6 });
  const dir = join(root, 'planted');
  await saveModelCheckpoint(dir, model, {}, { step: 0, seed: 6 });
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  const path = join(dir, 'model.safetensors');
  const plant = (bytes: Uint8Array) => {
    writeFileSync(path, bytes);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ ...manifest, files: { weights: { ...manifest.files.weights, bytes: bytes.byteLength, sha256 } } }));
  };
  const emb = new Float32Array((V + 1) * 32).fill(0.25);
  plant(encodeSafetensors([{ name: 'other', shape: [V + 1, 32], data: emb }]));
  await rejectsWith(() => checkpointEmbeddings(dir), `${path}: no tensor 'vocab_embed.embedding' (is this a dlmk model checkpoint?)`);
  plant(encodeSafetensors([{ name: 'vocab_embed.embedding', shape: [V, 32], data: emb.subarray(0, V * 32) }]));
  await rejectsWith(() => checkpointEmbeddings(dir), `${path}: tensor 'vocab_embed.embedding' has shape [12, 32], the manifest's model needs [13, 32]`);
  const bad = emb.slice();
  bad[3 * 32 + 5] = Infinity;
  plant(encodeSafetensors([{ name: 'vocab_embed.embedding', shape: [V + 1, 32], data: bad }]));
  await rejectsWith(() => checkpointEmbeddings(dir), `${path}: tensor 'vocab_embed.embedding': row 3 holds a non-finite value`);
  plant(new Uint8Array(16));
  await rejectsWith(() => checkpointEmbeddings(dir), `${path}: bad header length 0: too short for a JSON object`);
  plant(encodeSafetensors([{ name: 'vocab_embed.embedding', shape: [V + 1, 32], data: emb }]));
  assert.ok((await checkpointEmbeddings(dir)).data.every((x) => x === 0.25));
});

test.after(() => rmSync(root, { recursive: true, force: true }));

test.run();
