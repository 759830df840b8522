// knn graphs built on the GPU equal the reference's buildKnnGraph exactly (same CSR, same float64
// weights, same graphHash), with and without symmetrisation and classes, with zero rows and ties.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildKnnGraph, graphHash as refHash } from '../../../reference/kernel/index.ts';
import { buildKnnGraphGpu, createKernelRuntime, graphHash } from '../../../runtime/kernel/index.ts';
import { getGpu } from '../../../runtime/gpu/index.ts';
import { SHIPPED, gaussian, rng } from './setup.ts';
import { assertValid } from '../../../specs/validate.ts';
import type { KernelSpec } from '../../../specs/types/kernel.ts';
import compile from '../../../cli/commands/compile.ts';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));

function embeddings(V: number, d: number, seed: number): Float64Array {
  const r = rng(seed);
  return Float64Array.from({ length: V * d }, () => gaussian(r));
}

async function same(emb: Float64Array, V: number, d: number, opts: { k: number; bandwidth: number; symmetric: boolean; classes?: Int32Array | null }) {
  const gpu = await getGpu();
  const want = buildKnnGraph(emb, V, d, opts);
  const got = await buildKnnGraphGpu(gpu, emb, V, d, opts);
  assert.equal(Array.from(got.graph.rowPtr), Array.from(want.rowPtr), 'rowPtr');
  assert.equal(Array.from(got.graph.col), Array.from(want.col), 'col');
  assert.equal(Array.from(got.graph.w), Array.from(want.w), 'w (bit for bit)');
  assert.is(got.hash, refHash(want));
  assert.is(graphHash(got.graph), got.hash);
  return got.report;
}

test('random embeddings: plain and symmetric graphs', async () => {
  const V = 64;
  const d = 16;
  const emb = embeddings(V, d, 1);
  await same(emb, V, d, { k: 4, bandwidth: 0.3, symmetric: false });
  await same(emb, V, d, { k: 6, bandwidth: 0.1, symmetric: true });
});

test('classes (one of them a singleton), a zero row, duplicated rows (exact ties)', async () => {
  const V = 60;
  const d = 8;
  const emb = embeddings(V, d, 2);
  emb.fill(0, 7 * d, 8 * d);
  // Tokens 20..29 share one embedding: their cosines tie exactly, broken by index.
  for (let v = 21; v < 30; v++) emb.set(emb.subarray(20 * d, 21 * d), v * d);
  const classes = Int32Array.from({ length: V }, (_, v) => (v === 13 ? 99 : v % 3));
  const rep = await same(emb, V, d, { k: 5, bandwidth: 0.5, symmetric: false });
  assert.ok(rep.fallbacks > 0, 'the tied rows cannot be proved from candidates and are rescanned');
  await same(emb, V, d, { k: 3, bandwidth: 0.2, symmetric: true, classes });
});

test('createKernelRuntime builds the spec\'s graph from embeddings on the GPU', async () => {
  const gpu = await getGpu();
  const V = 40;
  const d = 12;
  const emb = embeddings(V, d, 3);
  const spec = SHIPPED.semdlm!();
  const rt = await createKernelRuntime(gpu, spec, { V, embeddings: { data: Float32Array.from(emb), d } });
  const g = spec.graphs[0]!;
  const want = buildKnnGraph(Float64Array.from(Float32Array.from(emb)), V, d, { k: g.k, bandwidth: g.bandwidth, symmetric: g.symmetric });
  const info = rt.describe().graphs.find((x) => x.name === g.name)!;
  assert.ok(info.builtOnGpu);
  assert.is(info.hash, refHash(want));
});

test('boundSpec records each graph\'s hash; a runtime for that spec refuses another graph', async () => {
  const gpu = await getGpu();
  const V = 40;
  const d = 8;
  const emb = embeddings(V, d, 9);
  const rt = await createKernelRuntime(gpu, SHIPPED.semdlm!(), { V, embeddings: { data: emb, d } });
  const bound = rt.boundSpec();
  assert.is(bound.graphs[0]!.hash, rt.describe().graphs[0]!.hash);
  assertValid('kernel', bound, 'bound spec');
  assert.is(rt.spec.graphs[0]!.hash, undefined, 'the runtime\'s own spec is not modified');
  // The same embeddings build the same graph: accepted.
  await createKernelRuntime(gpu, bound, { V, embeddings: { data: emb, d } });
  // Other embeddings: refused, naming the graph and both hashes.
  const other = emb.map((x, i) => (i === 0 ? x + 1 : x));
  try {
    await createKernelRuntime(gpu, bound, { V, embeddings: { data: other, d } });
    assert.unreachable('expected a hash mismatch');
  } catch (e) {
    assert.ok((e as Error).message.includes(`graph 'near' has hash`) && (e as Error).message.includes(bound.graphs[0]!.hash!), (e as Error).message);
  }
});

test('dlmk compile --embeddings binds the spec: each graph built on the GPU, its hash recorded', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dlmk-compile-'));
  const V = 30;
  const d = 6;
  const emb = embeddings(V, d, 4);
  const rows = Array.from({ length: V }, (_, i) => Array.from(emb.subarray(i * d, (i + 1) * d)));
  writeFileSync(join(dir, 'emb.json'), JSON.stringify(rows));
  let out = '';
  const ctx = { argv: [root + 'kernels/semdlm_plus.kernel', '--out', dir, '--set', 'k=3', '--embeddings', join(dir, 'emb.json')], debug: false, stdout: (x: string) => void (out += x + '\n'), stderr: () => {} };
  assert.is(await compile.run(ctx), 0);
  const spec = JSON.parse(readFileSync(join(dir, 'semdlm_plus.spec.json'), 'utf8')) as KernelSpec;
  assertValid('kernel', spec, 'bound spec');
  const want = refHash(buildKnnGraph(emb, V, d, { k: 3, bandwidth: 0.3, symmetric: false }));
  assert.is(spec.graphs[0]!.hash, want);
  assert.match(out, new RegExp(`graph near: 30 tokens, 90 edges, hash ${want}`));
  rmSync(dir, { recursive: true, force: true });
});

test.run();
