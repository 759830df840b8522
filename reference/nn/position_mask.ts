// Float64 reference of the position mask (runtime/nn/ops/position_mask.ts): row n of x [N, W]
// times mask[n], where a zero factor gives exactly 0 (even for inf or NaN in the row).

export function positionMask(x: ArrayLike<number>, mask: ArrayLike<number>, W: number): Float64Array {
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const f = mask[Math.floor(i / W)]!;
    out[i] = f === 0 ? 0 : f * x[i]!;
  }
  return out;
}
