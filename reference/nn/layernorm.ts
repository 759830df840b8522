// Float64 reference of bias-free LayerNorm with optional scale (runtime/nn/ops/layernorm.ts).
// x is [rows, D] row-major.

export interface LayerNormOut {
  y: Float64Array;
  mean: Float64Array;
  rstd: Float64Array;
}

export function layerNormForward(x: ArrayLike<number>, D: number, gamma: ArrayLike<number> | undefined, eps: number): LayerNormOut {
  const rows = x.length / D;
  const y = new Float64Array(x.length);
  const mean = new Float64Array(rows);
  const rstd = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let d = 0; d < D; d++) s += x[r * D + d]!;
    const m = s / D;
    let v = 0;
    for (let d = 0; d < D; d++) v += (x[r * D + d]! - m) ** 2;
    const rs = 1 / Math.sqrt(v / D + eps);
    mean[r] = m;
    rstd[r] = rs;
    for (let d = 0; d < D; d++) y[r * D + d] = (x[r * D + d]! - m) * rs * (gamma ? gamma[d]! : 1);
  }
  return { y, mean, rstd };
}

export function layerNormBackward(
  x: ArrayLike<number>, dy: ArrayLike<number>, D: number, gamma: ArrayLike<number> | undefined, eps: number,
): { dx: Float64Array; dgamma: Float64Array } {
  const { mean, rstd } = layerNormForward(x, D, gamma, eps);
  const rows = x.length / D;
  const dx = new Float64Array(x.length);
  const dgamma = new Float64Array(D);
  for (let r = 0; r < rows; r++) {
    let m1 = 0;
    let m2 = 0;
    for (let d = 0; d < D; d++) {
      const xhat = (x[r * D + d]! - mean[r]!) * rstd[r]!;
      const g = dy[r * D + d]! * (gamma ? gamma[d]! : 1);
      m1 += g;
      m2 += g * xhat;
      dgamma[d] = dgamma[d]! + dy[r * D + d]! * xhat;
    }
    m1 /= D;
    m2 /= D;
    for (let d = 0; d < D; d++) {
      const xhat = (x[r * D + d]! - mean[r]!) * rstd[r]!;
      const g = dy[r * D + d]! * (gamma ? gamma[d]! : 1);
      dx[r * D + d] = rstd[r]! * (g - m1 - xhat * m2);
    }
  }
  return { dx, dgamma };
}
