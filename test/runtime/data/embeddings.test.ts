// Embedding files: .json, .npy (float32/float64, either byte order) and .safetensors (named tensor
// or the only 2-D one; F32/F64/F16/BF16), and a clear error for each way a file can be wrong.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EmbeddingsError, loadEmbeddings } from '../../../runtime/data/embeddings.ts';

const dir = fileURLToPath(new URL('../../fixtures/embeddings/', import.meta.url));
const WANT = [1, 0, 0.5, 0, 1, -0.25, 0.125, -2, 3, 0, 0, 0];

function throwsWith(f: () => unknown, text: string) {
  try {
    f();
  } catch (err) {
    assert.instance(err, EmbeddingsError);
    assert.ok((err as Error).message.includes(text), `message "${(err as Error).message}" lacks "${text}"`);
    return;
  }
  assert.unreachable(`expected an error mentioning "${text}"`);
}

test('the same matrix from json, npy (f4, f8, big-endian f8) and safetensors', () => {
  for (const [f, dtype] of [['tiny.json', 'float64'], ['tiny_f4.npy', 'float32'], ['tiny_f8.npy', 'float64'], ['tiny_f8_be.npy', 'float64'], ['one.safetensors', 'float32']] as const) {
    const e = loadEmbeddings(join(dir, f));
    assert.is(e.V, 4, f);
    assert.is(e.d, 3, f);
    assert.is(e.dtype, dtype, f);
    assert.equal(Array.from(e.data), WANT, f);
  }
  assert.instance(loadEmbeddings(join(dir, 'tiny_f4.npy')).data, Float32Array);
});

test('safetensors: a named tensor, F16, and the choice when several are 2-D', () => {
  const e = loadEmbeddings(join(dir, 'two.safetensors'), { tensor: 'half' });
  assert.equal([e.V, e.d, e.dtype], [2, 2, 'float16']);
  assert.equal(Array.from(e.data), [1, -2, 0.5, 0]);
  assert.ok(e.source.endsWith('#half'));
  throwsWith(() => loadEmbeddings(join(dir, 'two.safetensors')), 'several 2-D tensors; pick one with --tensor NAME (tensors: emb [4, 3], half [2, 2])');
  throwsWith(() => loadEmbeddings(join(dir, 'one.safetensors'), { tensor: 'bias' }), "tensor 'bias' has shape [3], expected [V, d]");
  throwsWith(() => loadEmbeddings(join(dir, 'one.safetensors'), { tensor: 'nope' }), "no tensor named 'nope' (tensors: emb, bias)");
});

test('safetensors: F64 and BF16 tensors keep their values (F64 at full precision)', () => {
  const x = [0.1 + 1e-12, -3.25, 1 / 3, 2 ** -40, 7, -0.5];
  const bf = [1, -2, 0.5, 3];
  const header = JSON.stringify({
    w: { dtype: 'F64', shape: [3, 2], data_offsets: [0, 48] },
    b: { dtype: 'BF16', shape: [2, 2], data_offsets: [48, 56] },
  });
  const buf = new Uint8Array(8 + header.length + 56);
  const view = new DataView(buf.buffer);
  view.setBigUint64(0, BigInt(header.length), true);
  buf.set(new TextEncoder().encode(header), 8);
  const base = 8 + header.length;
  x.forEach((v, i) => view.setFloat64(base + 8 * i, v, true));
  // bfloat16: the top 16 bits of the float32 (exact for these values).
  bf.forEach((v, i) => {
    const f = new DataView(new ArrayBuffer(4));
    f.setFloat32(0, v);
    view.setUint16(base + 48 + 2 * i, f.getUint32(0) >>> 16, true);
  });
  const p = join(mkdtempSync(join(tmpdir(), 'dlmk-emb-')), 'f64.safetensors');
  writeFileSync(p, buf);
  const e = loadEmbeddings(p, { tensor: 'w' });
  assert.equal([e.V, e.d, e.dtype], [3, 2, 'float64']);
  assert.instance(e.data, Float64Array);
  assert.equal(Array.from(e.data), x);
  const h = loadEmbeddings(p, { tensor: 'b' });
  assert.equal([h.dtype, Array.from(h.data)], ['bfloat16', bf]);
});

test('npy files in the wrong layout or type', () => {
  throwsWith(() => loadEmbeddings(join(dir, 'bad_fortran.npy')), 'Fortran order');
  throwsWith(() => loadEmbeddings(join(dir, 'bad_int.npy')), "element type '<i4' is not supported: use float32 ('<f4') or float64 ('<f8')");
  throwsWith(() => loadEmbeddings(join(dir, 'bad_3d.npy')), 'expected a 2-D array [V, d], the file holds shape (2, 2, 3)');
});

test('broken files name the file and the problem', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'dlmk-emb-'));
  const w = (name: string, data: string | Uint8Array) => {
    const p = join(tmp, name);
    writeFileSync(p, data);
    return p;
  };
  throwsWith(() => loadEmbeddings(w('ragged.json', '[[1,2],[3]]')), 'row 1 has 1 numbers, row 0 has 2');
  throwsWith(() => loadEmbeddings(w('nan.json', '[[1,"x"]]')), 'row 0, column 1 is "x", not a finite number');
  throwsWith(() => loadEmbeddings(w('obj.json', '{"a": 1}')), 'expected a non-empty array of V rows');
  throwsWith(() => loadEmbeddings(w('bad.json', '[[1,')), 'not valid JSON');
  throwsWith(() => loadEmbeddings(w('x.npy', 'hello world')), 'not a NumPy .npy file');
  throwsWith(() => loadEmbeddings(w('x.safetensors', new Uint8Array([255, 255, 0, 0, 0, 0, 0, 0, 1]))), 'header length');
  throwsWith(() => loadEmbeddings(w('x.txt', '1 2 3')), "unknown embeddings format '.txt'");
  throwsWith(() => loadEmbeddings(join(tmp, 'missing.npy')), 'cannot read the file (ENOENT)');
  const p = w('short.npy', Buffer.concat([Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, 70, 0]), Buffer.from("{'descr': '<f4', 'fortran_order': False, 'shape': (4, 3), }".padEnd(69) + '\n', 'latin1'), Buffer.alloc(8)]));
  throwsWith(() => loadEmbeddings(p), 'the data holds 8 bytes, shape 4 x 3 of 4-byte floats needs 48');
});

test.run();
