// Float64 references of the adaLN ops (runtime/nn/ops/modulate.ts). x, y: [B, L, D] row-major;
// shift, scale, gate: [B, D].

export function modulateForward(x: ArrayLike<number>, shift: ArrayLike<number>, scale: ArrayLike<number>, B: number, L: number, D: number): Float64Array {
  const y = new Float64Array(B * L * D);
  for (let b = 0; b < B; b++) for (let l = 0; l < L; l++) for (let d = 0; d < D; d++) {
    const i = (b * L + l) * D + d;
    y[i] = x[i]! * (1 + scale[b * D + d]!) + shift[b * D + d]!;
  }
  return y;
}

export function modulateBackward(x: ArrayLike<number>, dy: ArrayLike<number>, scale: ArrayLike<number>, B: number, L: number, D: number) {
  const dx = new Float64Array(B * L * D);
  const dshift = new Float64Array(B * D);
  const dscale = new Float64Array(B * D);
  for (let b = 0; b < B; b++) for (let l = 0; l < L; l++) for (let d = 0; d < D; d++) {
    const i = (b * L + l) * D + d;
    dx[i] = dy[i]! * (1 + scale[b * D + d]!);
    dshift[b * D + d] = dshift[b * D + d]! + dy[i]!;
    dscale[b * D + d] = dscale[b * D + d]! + dy[i]! * x[i]!;
  }
  return { dx, dshift, dscale };
}

export function gatedResidualForward(x: ArrayLike<number>, gate: ArrayLike<number>, y: ArrayLike<number>, B: number, L: number, D: number): Float64Array {
  const out = new Float64Array(B * L * D);
  for (let b = 0; b < B; b++) for (let l = 0; l < L; l++) for (let d = 0; d < D; d++) {
    const i = (b * L + l) * D + d;
    out[i] = x[i]! + gate[b * D + d]! * y[i]!;
  }
  return out;
}

export function gatedResidualBackward(y: ArrayLike<number>, gate: ArrayLike<number>, dout: ArrayLike<number>, B: number, L: number, D: number) {
  const dx = Float64Array.from(dout as ArrayLike<number>);
  const dy = new Float64Array(B * L * D);
  const dgate = new Float64Array(B * D);
  for (let b = 0; b < B; b++) for (let l = 0; l < L; l++) for (let d = 0; d < D; d++) {
    const i = (b * L + l) * D + d;
    dy[i] = gate[b * D + d]! * dout[i]!;
    dgate[b * D + d] = dgate[b * D + d]! + dout[i]! * y[i]!;
  }
  return { dx, dy, dgate };
}
