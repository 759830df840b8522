// Reference dropout (runtime/nn/ops/dropout.ts): the same Philox words decide, so the mask is
// identical bit for bit; values are computed in f32 as the shader does.
import { philox4x32_10, seedKey } from '../../runtime/gpu/index.ts';

export function dropoutMask(n: number, p: number, seed: number, stream = 0): Uint8Array {
  const thresh = Math.min(0xffffffff, Math.round(p * 2 ** 32));
  const key = seedKey(seed);
  const keep = new Uint8Array(n);
  for (let g = 0; g * 4 < n; g++) {
    const w = philox4x32_10([g, stream, 0, 0], key);
    for (let k = 0; k < 4 && g * 4 + k < n; k++) keep[g * 4 + k] = w[k]! >= thresh ? 1 : 0;
  }
  return keep;
}

/** y = x * mask / (1 - p), in f32 like the shader; also the backward (pass dy as x). */
export function dropout(x: ArrayLike<number>, p: number, seed: number, stream = 0): Float32Array {
  const keep = dropoutMask(x.length, p, seed, stream);
  const scale = Math.fround(1 / (1 - p));
  return Float32Array.from({ length: x.length }, (_, i) => (keep[i] ? Math.fround(x[i]! * scale) : 0));
}
