// Float64 reference of the embedding gather and its scatter-add backward (runtime/nn/ops/embedding.ts).

/** out[n, :] = table[ids[n], :]; ids outside [0, V) give a zero row. */
export function embeddingForward(ids: ArrayLike<number>, table: ArrayLike<number>, V: number, D: number): Float64Array {
  const out = new Float64Array(ids.length * D);
  for (let n = 0; n < ids.length; n++) {
    const id = ids[n]!;
    if (id < V) for (let d = 0; d < D; d++) out[n * D + d] = table[id * D + d]!;
  }
  return out;
}

/** dtable[v, :] = sum over n with ids[n] = v of dout[n, :]; ids outside [0, V) are ignored. */
export function embeddingBackward(ids: ArrayLike<number>, dout: ArrayLike<number>, V: number, D: number): Float64Array {
  const g = new Float64Array(V * D);
  for (let n = 0; n < ids.length; n++) {
    const id = ids[n]!;
    if (id < V) for (let d = 0; d < D; d++) g[id * D + d] = g[id * D + d]! + dout[n * D + d]!;
  }
  return g;
}
