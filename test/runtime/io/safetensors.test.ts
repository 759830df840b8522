// The safetensors codec: byte layout, round trip, half-precision reads, and every refusal naming
// the file and the tensor.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CheckpointError, decodeSafetensors, encodeSafetensors, type NamedTensor } from '../../../runtime/io/index.ts';

const T: NamedTensor[] = [
  { name: 'blocks.0.attn_qkv.weight', shape: [3, 2], data: Float32Array.from([1, -2, 3.5, 0, 1e-30, -7]) },
  { name: 'scalar', shape: [], data: Float32Array.from([42]) },
  { name: 'empty', shape: [0, 4], data: new Float32Array(0) },
  { name: 'b', shape: [2], data: Float32Array.from([0.25, Math.fround(Math.PI)]) },
];

/** A file from a header object and a data section, as a hostile writer might make it. */
function raw(header: unknown, data: Uint8Array, lengthField?: bigint): Uint8Array {
  const h = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header), 'utf8');
  const out = new Uint8Array(8 + h.byteLength + data.byteLength);
  new DataView(out.buffer).setBigUint64(0, lengthField ?? BigInt(h.byteLength), true);
  out.set(h, 8);
  out.set(data, 8 + h.byteLength);
  return out;
}

function refuses(bytes: Uint8Array, re: RegExp, tensor?: string): void {
  try {
    decodeSafetensors(bytes, 'weights.safetensors');
  } catch (err) {
    assert.instance(err, CheckpointError);
    const e = err as CheckpointError;
    assert.is(e.file, 'weights.safetensors');
    assert.is(e.tensor, tensor, `tensor named in: ${e.message}`);
    assert.match(e.reason, re);
    return;
  }
  assert.unreachable(`accepted; expected a refusal matching ${re}`);
}

test('layout: u64 LE header length, JSON header padded to 8 bytes, F32 little-endian data in order', () => {
  const bytes = encodeSafetensors(T, { format: 'pt' });
  const dv = new DataView(bytes.buffer);
  const n = Number(dv.getBigUint64(0, true));
  assert.is(n % 8, 0);
  const header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + n)).toString('utf8'));
  assert.equal(header['__metadata__'], { format: 'pt' });
  assert.equal(header['blocks.0.attn_qkv.weight'], { dtype: 'F32', shape: [3, 2], data_offsets: [0, 24] });
  assert.equal(header['scalar'], { dtype: 'F32', shape: [], data_offsets: [24, 28] });
  assert.equal(header['empty'], { dtype: 'F32', shape: [0, 4], data_offsets: [28, 28] });
  assert.equal(header['b'], { dtype: 'F32', shape: [2], data_offsets: [28, 36] });
  assert.is(bytes.byteLength, 8 + n + 36);
  assert.is(dv.getFloat32(8 + n + 8, true), 3.5);
  assert.is(dv.getFloat32(8 + n + 32, true), Math.fround(Math.PI));
});

test('round trip is bit-exact, metadata and order kept', () => {
  const f = decodeSafetensors(encodeSafetensors(T, { format: 'pt', 'dlmk.step': '7' }), 'x');
  assert.equal(f.metadata, { format: 'pt', 'dlmk.step': '7' });
  assert.equal([...f.names], T.map((t) => t.name));
  for (const t of T) {
    assert.equal([...f.entries.get(t.name)!.shape], [...t.shape]);
    assert.equal(Array.from(f.tensor(t.name)), Array.from(t.data));
  }
});

test('reads F16, BF16 and F64 as f32', () => {
  const f16 = new Uint16Array([0x3c00, 0xc000, 0x0001, 0x7bff]); // 1, -2, 2^-24, 65504
  const bf16 = new Uint16Array([0x3f80, 0x4049]); // 1, 3.140625
  const f64 = new Float64Array([0.1, -1e300]);
  const data = new Uint8Array(8 + 4 + 16);
  data.set(new Uint8Array(f16.buffer), 0);
  data.set(new Uint8Array(bf16.buffer), 8);
  data.set(new Uint8Array(f64.buffer), 12);
  const f = decodeSafetensors(raw({ h: { dtype: 'F16', shape: [4], data_offsets: [0, 8] }, bf: { dtype: 'BF16', shape: [2], data_offsets: [8, 12] }, d: { dtype: 'F64', shape: [2], data_offsets: [12, 28] } }, data), 'x');
  assert.equal(Array.from(f.tensor('h')), [1, -2, 2 ** -24, 65504]);
  assert.equal(Array.from(f.tensor('bf')), [1, 3.140625]);
  assert.equal(Array.from(f.tensor('d')), [Math.fround(0.1), -Infinity]);
});

test('refuses a file shorter than the header length field', () => {
  refuses(new Uint8Array(5), /truncated: 5 bytes/);
});

test('refuses a header length past the end of the file', () => {
  const good = encodeSafetensors(T);
  refuses(good.subarray(0, 40), /bad header length \d+: the file has 32 bytes/);
  refuses(raw({}, new Uint8Array(0), 1n << 40n), /bad header length 1099511627776/);
});

test('refuses a header that is not JSON, not UTF-8, or not an object', () => {
  refuses(raw('{"a": {"dtype": "F32",', new Uint8Array(0)), /not valid JSON/);
  refuses(raw(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]).toString('latin1'), new Uint8Array(0)), /not valid (UTF-8|JSON)/);
  const bad = raw('{}', new Uint8Array(0));
  bad[8] = 0xff;
  refuses(bad, /not valid UTF-8/);
  refuses(raw('[1, 2]', new Uint8Array(0)), /not a JSON object/);
  refuses(raw({ __metadata__: { step: 3 } }, new Uint8Array(0)), /__metadata__\.step is not a string/);
});

test('refuses bad entries, naming the tensor', () => {
  const d = new Uint8Array(8);
  refuses(raw({ w: { dtype: 'I8', shape: [8], data_offsets: [0, 8] } }, d), /dtype "I8" is not supported/, 'w');
  refuses(raw({ w: { dtype: 'F32', shape: [2, -1], data_offsets: [0, 8] } }, d), /shape \[2,-1\]/, 'w');
  refuses(raw({ w: { dtype: 'F32', shape: [2], data_offsets: [0] } }, d), /data_offsets \[0\] is not a pair/, 'w');
  refuses(raw({ w: { dtype: 'F32', shape: [2], data_offsets: [8, 0] } }, d), /end before they begin/, 'w');
});

test('refuses offsets out of range (a truncated data section)', () => {
  refuses(raw({ w: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, new Uint8Array(12)), /out of range: the data section has 12 bytes/, 'w');
});

test('refuses overlapping tensors and holes', () => {
  const d = new Uint8Array(16);
  refuses(raw({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 12] }, b: { dtype: 'F32', shape: [2], data_offsets: [8, 16] } }, d), /overlap tensor 'a'/, 'b');
  refuses(raw({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [1], data_offsets: [12, 16] } }, d), /leave bytes \[8, 12\) unused/, 'b');
});

test("refuses a tensor whose bytes do not match its shape, and trailing bytes", () => {
  refuses(raw({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, new Uint8Array(8)), /holds 8 bytes, but shape \[3\] of F32 needs 12/, 'w');
  refuses(raw({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, new Uint8Array(12)), /size mismatch: the tensors end at byte 8 of the data section, but the file has 12/);
});

test('the writer refuses duplicate names and data that does not fit the shape', () => {
  assert.throws(() => encodeSafetensors([T[0]!, T[0]!]), /appears twice/);
  assert.throws(() => encodeSafetensors([{ name: 'x', shape: [5], data: new Float32Array(4) }]), /holds 4 values, its shape \[5\] has 5/);
});

test.run();
