// Float64 reference of rotary position embedding, half-split layout (runtime/nn/ops/rope.ts).
// x: [B, L, H, dh] row-major; positions pos0 + l.

export function ropeForward(x: ArrayLike<number>, B: number, L: number, H: number, dh: number, opts: { base?: number; pos0?: number; inverse?: boolean } = {}): Float64Array {
  const base = opts.base ?? 10000;
  const sign = opts.inverse ? -1 : 1;
  const h = dh / 2;
  const y = new Float64Array(B * L * H * dh);
  for (let b = 0; b < B; b++) for (let l = 0; l < L; l++) for (let hh = 0; hh < H; hh++) {
    const o = ((b * L + l) * H + hh) * dh;
    for (let i = 0; i < h; i++) {
      const a = (l + (opts.pos0 ?? 0)) * Math.pow(base, (-2 * i) / dh);
      const c = Math.cos(a);
      const s = sign * Math.sin(a);
      y[o + i] = x[o + i]! * c - x[o + h + i]! * s;
      y[o + h + i] = x[o + h + i]! * c + x[o + i]! * s;
    }
  }
  return y;
}

/** The gradient of a rotation is the inverse rotation of the output gradient. */
export function ropeBackward(dy: ArrayLike<number>, B: number, L: number, H: number, dh: number, opts: { base?: number; pos0?: number } = {}): Float64Array {
  return ropeForward(dy, B, L, H, dh, { ...opts, inverse: true });
}
