// Float64 reference of the fused softmax cross-entropy (runtime/nn/ops/cross_entropy.ts).
// logits [N, V]; a row is ignored when its target is `ignore` or outside [0, V).

export interface CrossEntropyOut {
  /** Per-row weighted loss. */
  loss: Float64Array;
  /** scale * w * (softmax - onehot). */
  dlogits: Float64Array;
}

export function crossEntropy(
  logits: ArrayLike<number>, targets: ArrayLike<number>, V: number,
  opts: { weights?: ArrayLike<number>; scale?: number; ignore?: number } = {},
): CrossEntropyOut {
  const N = targets.length;
  const loss = new Float64Array(N);
  const dlogits = new Float64Array(N * V);
  const scale = opts.scale ?? 1;
  for (let n = 0; n < N; n++) {
    const t = targets[n]!;
    if (t === opts.ignore || t >= V) continue;
    const w = opts.weights ? opts.weights[n]! : 1;
    let m = -Infinity;
    for (let j = 0; j < V; j++) m = Math.max(m, logits[n * V + j]!);
    let s = 0;
    for (let j = 0; j < V; j++) s += Math.exp(logits[n * V + j]! - m);
    const lse = m + Math.log(s);
    loss[n] = w * (lse - logits[n * V + t]!);
    for (let j = 0; j < V; j++) dlogits[n * V + j] = scale * w * (Math.exp(logits[n * V + j]! - lse) - (j === t ? 1 : 0));
  }
  return { loss, dlogits };
}
