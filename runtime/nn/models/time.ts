// The sinusoidal time embedding of MDLM's TimestepEmbedder, computed on the host in float64 and
// rounded to f32 (B x freqDim numbers per step; uploading them costs less than a dispatch):
//   temb[b] = [cos(t_b f_0), ..., cos(t_b f_{h-1}), sin(t_b f_0), ..., sin(t_b f_{h-1})],
//   f_i = exp(-ln(10000) i / h),  h = freqDim / 2.
export function timeEmbedding(time: ArrayLike<number>, freqDim: number): Float32Array {
  const half = freqDim / 2;
  const out = new Float32Array(time.length * freqDim);
  for (let b = 0; b < time.length; b++) {
    const t = time[b]!;
    if (!Number.isFinite(t)) throw new RangeError(`time embedding: time ${b} is ${t}`);
    for (let i = 0; i < half; i++) {
      const a = t * Math.exp((-Math.log(10000) * i) / half);
      out[b * freqDim + i] = Math.cos(a);
      out[b * freqDim + half + i] = Math.sin(a);
    }
  }
  return out;
}
