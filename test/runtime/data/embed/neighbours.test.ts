// nearestTokens is one row of the kernel's knn graph: the same neighbours and weights, bit for bit,
// as reference/graph/knn.ts's buildKnnGraph (ties, zero rows, tiny vocabularies included); and
// writeEmbeddings' files read back through loadEmbeddings.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildKnnGraph } from '../../../../reference/graph/index.ts';
import { encodeNpy, nearestTokens, writeEmbeddings } from '../../../../runtime/data/embed/index.ts';
import { loadEmbeddings } from '../../../../runtime/data/embeddings.ts';
import { mulberry32 } from '../../../../runtime/data/random.ts';
import { rejectsWith, throwsWith } from './errors.ts';



/** Every row of nearestTokens against the graph's row: same columns, same weights (===). */
function sameAsGraph(data: Float32Array | Float64Array, V: number, d: number, k: number, bandwidth: number) {
  const g = buildKnnGraph(Float64Array.from(data), V, d, { k, bandwidth, symmetric: false });
  for (let v = 0; v < V; v++) {
    const nb = nearestTokens({ data, d, V }, v, { k, bandwidth });
    const byId = [...nb].sort((a, b) => a.id - b.id);
    const cols = Array.from(g.col.subarray(g.rowPtr[v]!, g.rowPtr[v + 1]!));
    const ws = Array.from(g.w.subarray(g.rowPtr[v]!, g.rowPtr[v + 1]!));
    assert.equal(byId.map((n) => n.id), cols, `row ${v} columns`);
    assert.equal(byId.map((n) => n.weight), ws, `row ${v} weights`);
    // Listed by cosine, largest first, ties by id.
    for (let i = 1; i < nb.length; i++) assert.ok(nb[i - 1]!.cosine > nb[i]!.cosine || (nb[i - 1]!.cosine === nb[i]!.cosine && nb[i - 1]!.id < nb[i]!.id));
  }
}

test('random embeddings (float32 and float64): every row equals buildKnnGraph\'s', () => {
  const u = mulberry32(5);
  const V = 60, d = 7;
  const f64 = Float64Array.from({ length: V * d }, () => u() - 0.5);
  sameAsGraph(f64, V, d, 6, 0.3);
  sameAsGraph(Float32Array.from(f64), V, d, 6, 0.3);
  sameAsGraph(f64, V, d, 1, 0.05);
});

test('ties (duplicate rows, smaller id first), a zero row (cosine 0 with everything), k above V - 1, V = 1', () => {
  // Rows 1, 3 and 5 are equal; row 4 is zero.
  const rows = [[1, 0], [0.6, 0.8], [0, 1], [0.6, 0.8], [0, 0], [0.6, 0.8], [-1, 0.1]];
  const data = Float64Array.from(rows.flat());
  sameAsGraph(data, 7, 2, 2, 0.3);
  sameAsGraph(data, 7, 2, 10, 0.3);
  const zero = nearestTokens({ data, d: 2, V: 7 }, 4, { k: 3, bandwidth: 0.3 });
  assert.equal(zero.map((n) => n.id), [0, 1, 2]);
  assert.ok(zero.every((n) => n.cosine === 0 && Math.abs(n.weight - 1 / 3) < 1e-16));
  const one = nearestTokens({ data: Float32Array.of(3, 4), d: 2, V: 1 }, 0, { k: 5, bandwidth: 0.3 });
  // A vocabulary of one: the graph's self-loop of weight 1.
  assert.equal(one.map((n) => [n.id, n.weight]), [[0, 1]]);
  assert.ok(Math.abs(one[0]!.cosine - 1) < 1e-15);
});

test('nearestTokens errors', () => {
  const e = { data: new Float32Array(6), d: 2, V: 3 };
  throwsWith(() => nearestTokens(e, 3, { k: 1, bandwidth: 0.3 }), 'nearestTokens: token 3 is not in 0 .. 2');
  throwsWith(() => nearestTokens(e, 0, { k: 0, bandwidth: 0.3 }), 'k must be a positive integer, got 0');
  throwsWith(() => nearestTokens(e, 0, { k: 1, bandwidth: 0 }), 'bandwidth must be a number > 0, got 0');
  throwsWith(() => nearestTokens({ ...e, V: 4 }, 0, { k: 1, bandwidth: 0.3 }), 'the matrix has 6 values, not V x d = 4 x 2');
});

test('writeEmbeddings: .npy (float32, float64) and .safetensors read back by loadEmbeddings', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dlmk-embed-write-'));
  try {
    const u = mulberry32(8);
    const f64 = Float64Array.from({ length: 5 * 3 }, () => u() - 0.5);
    const f32 = Float32Array.from(f64);
    await writeEmbeddings(join(dir, 'a.npy'), { data: f32, d: 3, V: 5 });
    await writeEmbeddings(join(dir, 'deeper', 'b.npy'), { data: f64, d: 3, V: 5 });
    await writeEmbeddings(join(dir, 'c.safetensors'), { data: f64, d: 3, V: 5 }, { 'dlmk.source': 'test' });
    const a = loadEmbeddings(join(dir, 'a.npy'));
    assert.equal([a.V, a.d, a.dtype], [5, 3, 'float32']);
    assert.equal(Array.from(a.data), Array.from(f32));
    const b = loadEmbeddings(join(dir, 'deeper', 'b.npy'));
    assert.equal([b.V, b.d, b.dtype], [5, 3, 'float64']);
    assert.equal(Array.from(b.data), Array.from(f64));
    const c = loadEmbeddings(join(dir, 'c.safetensors'));
    assert.equal([c.V, c.d, c.dtype, c.source.endsWith('#embeddings')], [5, 3, 'float32', true]);
    assert.equal(Array.from(c.data), Array.from(f32));
    // The .npy header is padded so the data starts at a multiple of 64 bytes (NumPy's rule).
    const npy = encodeNpy({ data: f32, d: 3, V: 5 });
    const hlen = new DataView(npy.buffer).getUint16(8, true);
    assert.is((10 + hlen) % 64, 0);
    assert.is(String.fromCharCode(npy[10 + hlen - 1]!), '\n');

    await rejectsWith(() => writeEmbeddings(join(dir, 'x.txt'), { data: f32, d: 3, V: 5 }), "x.txt: cannot write '.txt': use .npy or .safetensors");
    await rejectsWith(() => writeEmbeddings(join(dir, 'y.npy'), { data: f32, d: 4, V: 5 }), 'y.npy: the matrix has 15 values, not V x d = 5 x 4');
    writeFileSync(join(dir, 'file'), 'x');
    await rejectsWith(() => writeEmbeddings(join(dir, 'file', 'z.npy'), { data: f32, d: 3, V: 5 }), 'z.npy: cannot be written (');
    assert.is(readFileSync(join(dir, 'file'), 'utf8'), 'x');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
