// buildKnnGraph, transposeGraph and graphHash (kernel-contract.md, "knn graph definition").
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { buildKnnGraph, graphHash, transposeGraph } from '../../../reference/graph/index.ts';
import type { SparseGraph } from '../../../runtime/kernel/tables/graph.ts';
import { randomEmbeddings, seeded } from '../helpers.ts';

function rows(g: SparseGraph): Array<Array<[number, number]>> {
  return Array.from({ length: g.V }, (_, i) => {
    const r: Array<[number, number]> = [];
    for (let j = g.rowPtr[i]!; j < g.rowPtr[i + 1]!; j++) r.push([g.col[j]!, g.w[j]!]);
    return r;
  });
}

// Points on the unit circle at angles 0, 60, 120, 180, 240, 300 degrees (cosines are exact enough
// to give exact ties) in 2-D.
const hexagon = Float64Array.from({ length: 12 }, (_, i) => (i % 2 === 0 ? Math.cos : Math.sin)((Math.floor(i / 2) * Math.PI) / 3));

test('rows sum to 1, zero diagonal, k neighbours, sorted columns (random embeddings)', () => {
  const V = 40, d = 8, k = 5;
  const g = buildKnnGraph(randomEmbeddings(V, d, seeded(81)), V, d, { k, bandwidth: 0.3, symmetric: false });
  rows(g).forEach((r, i) => {
    assert.is(r.length, k);
    assert.ok(Math.abs(r.reduce((s, [, w]) => s + w, 0) - 1) < 1e-15);
    assert.ok(r.every(([c], j) => c !== i && (j === 0 || c > r[j - 1]![0])));
    assert.ok(r.every(([, w]) => w > 0));
  });
});

test('neighbours by cosine with ties to the smaller index; weights exp((cos - 1) / bandwidth) normalised', () => {
  // Token 0's neighbours: 1 and 5 at cos 1/2 (tie), then 2 and 4 at cos -1/2, then 3 at -1.
  const g = buildKnnGraph(hexagon, 6, 2, { k: 3, bandwidth: 0.5, symmetric: false });
  const r0 = rows(g)[0]!;
  assert.equal(r0.map(([c]) => c), [1, 2, 5]);
  const w1 = Math.exp((0.5 - 1) / 0.5), w2 = Math.exp((-0.5 - 1) / 0.5);
  const z = 2 * w1 + w2;
  [w1 / z, w2 / z, w1 / z].forEach((w, j) => assert.ok(Math.abs(r0[j]![1] - w) < 1e-12, `weight ${j}`));
});

test('symmetric: union of the edge sets with weight (w_uv + w_vu) / 2, then rows normalised', () => {
  // (1,0), (1,1), (0,1), (-1,1): cosines 1/sqrt2 between neighbours (computed identically, so ties
  // are exact), 0 two apart. k = 1: 0 -> 1, 1 -> 0 (tie with 2), 2 -> 1 (tie with 3), 3 -> 2.
  const emb = Float64Array.of(1, 0, 1, 1, 0, 1, -1, 1);
  const g = buildKnnGraph(emb, 4, 2, { k: 1, bandwidth: 0.5, symmetric: false });
  assert.equal(rows(g).map((r) => r.map(([c]) => c)), [[1], [0], [1], [2]]);
  // Unnormalised symmetric weights: 0-1 both ways -> w; 2->1 and 3->2 one way -> w/2 on each side.
  const s = buildKnnGraph(emb, 4, 2, { k: 1, bandwidth: 0.5, symmetric: true });
  assert.equal(rows(s), [[[1, 1]], [[0, 2 / 3], [2, 1 / 3]], [[1, 0.5], [3, 0.5]], [[2, 1]]]);
});

test('classes: neighbours within the class only, fewer than k in a small class, a self-loop for a class of one', () => {
  const V = 9, d = 4;
  const emb = randomEmbeddings(V, d, seeded(82));
  const classes = Int32Array.of(0, 0, 0, 0, 0, 1, 1, 2, 0);
  const g = buildKnnGraph(emb, V, d, { k: 3, bandwidth: 0.3, symmetric: false, classes });
  rows(g).forEach((r, i) => {
    const size = classes.filter((c) => c === classes[i]).length;
    if (size === 1) assert.equal(r, [[i, 1]]);
    else {
      assert.is(r.length, Math.min(3, size - 1));
      assert.ok(r.every(([c]) => classes[c] === classes[i] && c !== i));
    }
  });
});

test('a zero embedding has cosine 0 with everything', () => {
  const emb = Float64Array.of(0, 0, 1, 0, -1, 0, 0, 1, 0, -1); // token 0 is zero
  const g = buildKnnGraph(emb, 5, 2, { k: 2, bandwidth: 1, symmetric: false });
  // Token 0: every cosine is 0, so the two smallest indices, equal weights.
  assert.equal(rows(g)[0], [[1, 0.5], [2, 0.5]]);
  // Token 1 (1, 0): cos 0 with 0, 3 and 4, -1 with 2: neighbours 0 and 3.
  assert.equal(rows(g)[1]!.map(([c]) => c), [0, 3]);
});

test('transposeGraph: entries move to (col, row), columns sorted; the transpose of the transpose is the graph', () => {
  const g = buildKnnGraph(randomEmbeddings(15, 5, seeded(83)), 15, 5, { k: 4, bandwidth: 0.3, symmetric: false });
  const t = transposeGraph(g);
  const dense = (x: SparseGraph) => {
    const m = new Float64Array(x.V * x.V);
    rows(x).forEach((r, i) => r.forEach(([c, w]) => (m[i * x.V + c] = w)));
    return m;
  };
  const a = dense(g), b = dense(t);
  for (let i = 0; i < 15; i++) for (let j = 0; j < 15; j++) assert.is(b[j * 15 + i], a[i * 15 + j]);
  rows(t).forEach((r) => assert.ok(r.every(([c], j) => j === 0 || c > r[j - 1]![0])));
  const tt = transposeGraph(t);
  assert.equal(Array.from(tt.rowPtr), Array.from(g.rowPtr));
  assert.equal(Array.from(tt.col), Array.from(g.col));
  assert.equal(Array.from(tt.w), Array.from(g.w));
});

test('graphHash: SHA-256 of V (u32), rowPtr (i32), col (i32), w (f32), little-endian; stable and float32-exact', () => {
  const g: SparseGraph = { V: 3, rowPtr: Int32Array.of(0, 1, 3, 4), col: Int32Array.of(1, 0, 2, 1), w: Float64Array.of(1, 0.25, 0.75, 1) };
  const buf = new DataView(new ArrayBuffer(4 + 16 + 16 + 16));
  let o = 0;
  buf.setUint32(o, 3, true);
  o += 4;
  for (const x of g.rowPtr) (buf.setInt32(o, x, true), (o += 4));
  for (const x of g.col) (buf.setInt32(o, x, true), (o += 4));
  for (const x of g.w) (buf.setFloat32(o, x, true), (o += 4));
  const want = createHash('sha256').update(new Uint8Array(buf.buffer)).digest('hex');
  assert.is(graphHash(g), want);
  // Pinned so both back ends keep the same layout.
  assert.is(want, '4d6c2f6a44d954469a208a7ff04bfce270c7f37b1f250df549602dd4ed9e904b');
  assert.is(graphHash({ ...g, w: Float64Array.of(1, 0.25 + 1e-12, 0.75, 1) }), want, 'below float32 resolution');
  assert.is.not(graphHash({ ...g, w: Float64Array.of(1, 0.25 + 1e-6, 0.75, 1) }), want);
  assert.is.not(graphHash({ ...g, col: Int32Array.of(1, 0, 2, 0) }), want);
});

test.run();
