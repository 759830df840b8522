// A minimal ONNX causal LM for tests, written as protobuf bytes by hand (no ONNX tooling offline):
// a bigram model, logits[b, l, :] = table[input_ids[b, l], :] (one Gather node), so that the exact
// next-token probabilities are known: softmax(table[prev]). Field numbers are onnx.proto3's.

function varint(n: number | bigint): number[] {
  let x = BigInt(n);
  const out: number[] = [];
  do {
    let b = Number(x & 0x7fn);
    x >>= 7n;
    if (x) b |= 0x80;
    out.push(b);
  } while (x);
  return out;
}

const tag = (field: number, wire: number) => varint((field << 3) | wire);
const int = (field: number, v: number) => [...tag(field, 0), ...varint(v)];
const bytes = (field: number, b: readonly number[] | Uint8Array) => [...tag(field, 2), ...varint(b.length), ...b];
const str = (field: number, s: string) => bytes(field, Buffer.from(s, 'utf8'));

/** TypeProto.Tensor with a symbolic or fixed shape. */
function tensorType(elem: number, dims: (string | number)[]): number[] {
  const shape = dims.flatMap((d) => bytes(1, typeof d === 'string' ? str(2, d) : int(1, d)));
  return bytes(2, bytes(1, [...int(1, elem), ...bytes(2, shape)]));
}

/** The bytes of a bigram ONNX model with the given [V, V] logit table (row = previous token). */
export function bigramOnnx(table: Float32Array, V: number): Uint8Array {
  const raw = new Uint8Array(table.buffer.slice(table.byteOffset, table.byteOffset + table.byteLength));
  const initializer = bytes(5, [...int(1, V), ...int(1, V), ...int(2, 1), ...str(8, 'table'), ...bytes(9, raw)]);
  const node = bytes(1, [...str(1, 'table'), ...str(1, 'input_ids'), ...str(2, 'logits'), ...str(4, 'Gather'), ...bytes(5, [...str(1, 'axis'), ...int(20, 2), ...int(3, 0)])]);
  const input = bytes(11, [...str(1, 'input_ids'), ...tensorType(7, ['B', 'T'])]);
  const output = bytes(12, [...str(1, 'logits'), ...tensorType(1, ['B', 'T', V])]);
  const graph = bytes(7, [...node, ...str(2, 'bigram'), ...initializer, ...input, ...output]);
  const opset = bytes(8, [...str(1, ''), ...int(2, 13)]);
  return Uint8Array.from([...int(1, 8), ...opset, ...graph]);
}
