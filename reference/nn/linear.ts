// Float64 reference of the Linear layer (runtime/nn/linear.ts): W is [in, out].

export function linearForward(x: ArrayLike<number>, W: ArrayLike<number>, b: ArrayLike<number> | undefined, rows: number, inF: number, outF: number): Float64Array {
  const y = new Float64Array(rows * outF);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < outF; o++) {
      let s = b ? b[o]! : 0;
      for (let i = 0; i < inF; i++) s += x[r * inF + i]! * W[i * outF + o]!;
      y[r * outF + o] = s;
    }
  }
  return y;
}

export function linearBackward(x: ArrayLike<number>, W: ArrayLike<number>, dy: ArrayLike<number>, rows: number, inF: number, outF: number) {
  const dW = new Float64Array(inF * outF);
  const db = new Float64Array(outF);
  const dx = new Float64Array(rows * inF);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < outF; o++) {
      const g = dy[r * outF + o]!;
      db[o] = db[o]! + g;
      for (let i = 0; i < inF; i++) {
        dW[i * outF + o] = dW[i * outF + o]! + x[r * inF + i]! * g;
        dx[r * inF + i] = dx[r * inF + i]! + g * W[i * outF + o]!;
      }
    }
  }
  return { dW, db, dx };
}
