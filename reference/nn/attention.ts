// Float64 reference of multi-head attention (runtime/nn/ops/attention.ts), materialising the
// scores. q, k, v, o: [B, H, L, dh] row-major.
//
// keyMask [B, L]: key j of sequence b is hidden where keyMask[b * L + j] == 0 (1 = real). A query
// row that sees no key (all its keys hidden, or causal and hidden) has O = 0, lse = -inf and no
// gradient.

export interface AttentionOut {
  o: Float64Array;
  /** Per-row log-sum-exp of the scaled (masked) scores, [B, H, L]; -inf for a row that sees no key. */
  lse: Float64Array;
}

export interface AttentionOptions {
  causal?: boolean;
  scale?: number;
  /** [B * L]; 0 hides the key. */
  keyMask?: ArrayLike<number>;
}

/** Whether query i of sequence b sees key j. */
function visible(opts: AttentionOptions, b: number, L: number, i: number, j: number): boolean {
  if (opts.causal && j > i) return false;
  return !opts.keyMask || opts.keyMask[b * L + j] !== 0;
}

export function attentionForward(q: ArrayLike<number>, k: ArrayLike<number>, v: ArrayLike<number>, B: number, H: number, L: number, dh: number, opts: AttentionOptions = {}): AttentionOut {
  const scale = opts.scale ?? 1 / Math.sqrt(dh);
  const o = new Float64Array(B * H * L * dh);
  const lse = new Float64Array(B * H * L);
  const s = new Float64Array(L);
  for (let bh = 0; bh < B * H; bh++) {
    const b = Math.floor(bh / H);
    const base = bh * L * dh;
    for (let i = 0; i < L; i++) {
      let m = -Infinity;
      for (let j = 0; j < L; j++) {
        if (!visible(opts, b, L, i, j)) continue;
        let dot = 0;
        for (let d = 0; d < dh; d++) dot += q[base + i * dh + d]! * k[base + j * dh + d]!;
        s[j] = dot * scale;
        m = Math.max(m, s[j]!);
      }
      if (m === -Infinity) {
        lse[bh * L + i] = -Infinity; // no key: O stays 0
        continue;
      }
      let sum = 0;
      for (let j = 0; j < L; j++) if (visible(opts, b, L, i, j)) sum += Math.exp(s[j]! - m);
      lse[bh * L + i] = m + Math.log(sum);
      for (let j = 0; j < L; j++) {
        if (!visible(opts, b, L, i, j)) continue;
        const p = Math.exp(s[j]! - lse[bh * L + i]!);
        for (let d = 0; d < dh; d++) o[base + i * dh + d] = o[base + i * dh + d]! + p * v[base + j * dh + d]!;
      }
    }
  }
  return { o, lse };
}

export function attentionBackward(
  q: ArrayLike<number>, k: ArrayLike<number>, v: ArrayLike<number>, dout: ArrayLike<number>,
  B: number, H: number, L: number, dh: number, opts: AttentionOptions = {},
): { dq: Float64Array; dk: Float64Array; dv: Float64Array } {
  const scale = opts.scale ?? 1 / Math.sqrt(dh);
  const { o, lse } = attentionForward(q, k, v, B, H, L, dh, opts);
  const n = B * H * L * dh;
  const dq = new Float64Array(n);
  const dk = new Float64Array(n);
  const dv = new Float64Array(n);
  for (let bh = 0; bh < B * H; bh++) {
    const b = Math.floor(bh / H);
    const base = bh * L * dh;
    for (let i = 0; i < L; i++) {
      let Di = 0;
      for (let d = 0; d < dh; d++) Di += dout[base + i * dh + d]! * o[base + i * dh + d]!;
      for (let j = 0; j < L; j++) {
        if (!visible(opts, b, L, i, j)) continue;
        let s = 0;
        let dp = 0;
        for (let d = 0; d < dh; d++) {
          s += q[base + i * dh + d]! * k[base + j * dh + d]!;
          dp += dout[base + i * dh + d]! * v[base + j * dh + d]!;
        }
        const p = Math.exp(s * scale - lse[bh * L + i]!);
        const ds = p * (dp - Di);
        for (let d = 0; d < dh; d++) {
          dv[base + j * dh + d] = dv[base + j * dh + d]! + p * dout[base + i * dh + d]!;
          dq[base + i * dh + d] = dq[base + i * dh + d]! + scale * ds * k[base + j * dh + d]!;
          dk[base + j * dh + d] = dk[base + j * dh + d]! + scale * ds * q[base + i * dh + d]!;
        }
      }
    }
  }
  return { dq, dk, dv };
}
