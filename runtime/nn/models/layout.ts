// Between the GPU registry's flat image and the checkpoint's named tensors: the registry keeps
// Linear weights as [in, out] (runtime/nn's Linear), checkpoints as PyTorch's [out, in], so the
// weights (and their AdamW moments) are transposed on the way out and back in.
import type { NamedTensor } from '../../io/index.ts';
import { NnError, type ParamRegistry } from '../index.ts';
import type { TensorSpec } from './params.ts';

function transpose(src: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(src.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = src[r * cols + c]!;
  return out;
}

/** Named tensors in checkpoint layout from a flat registry image (parameters, moments or EMA). */
export function toCheckpointTensors(reg: ParamRegistry, specs: readonly TensorSpec[], flat: Float32Array, rename: (n: string) => string = (n) => n): NamedTensor[] {
  return specs.map((t) => {
    const p = reg.get(t.name);
    const data = flat.subarray(p.offset, p.offset + p.count);
    return { name: rename(t.name), shape: t.shape, data: t.kind === 'linear' ? transpose(data, t.shape[1]!, t.shape[0]!) : data.slice() };
  });
}

/** A flat registry image from checkpoint-layout tensors (names through `rename`). */
export function fromCheckpointTensors(reg: ParamRegistry, specs: readonly TensorSpec[], get: (name: string) => NamedTensor | undefined, rename: (n: string) => string = (n) => n): Float32Array {
  const flat = new Float32Array(reg.size);
  for (const t of specs) {
    const nt = get(rename(t.name));
    if (!nt) throw new NnError('checkpoint', rename(t.name), 'is missing');
    if (nt.shape.join() !== t.shape.join()) throw new NnError('checkpoint', rename(t.name), `has shape [${nt.shape}], the model expects [${t.shape}]`);
    const p = reg.get(t.name);
    flat.set(t.kind === 'linear' ? transpose(nt.data, t.shape[0]!, t.shape[1]!) : nt.data, p.offset);
  }
  return flat;
}
