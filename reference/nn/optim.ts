// Float64 references of the optimizer ops (runtime/nn/ops/optim.ts).

/** sqrt(sum g^2) over all tensors, with a scaled sum (no overflow for huge gradients). */
export function globalNorm(grads: readonly ArrayLike<number>[]): number {
  let m = 0;
  for (const g of grads) for (let i = 0; i < g.length; i++) m = Math.max(m, Math.abs(g[i]!));
  if (m === 0 || !Number.isFinite(m)) return m;
  let s = 0;
  for (const g of grads) for (let i = 0; i < g.length; i++) s += (g[i]! / m) ** 2;
  return m * Math.sqrt(s);
}

export function clipCoefficient(norm: number, maxNorm: number): number {
  return maxNorm > 0 ? Math.min(1, maxNorm / (norm + 1e-6)) : 1;
}

export interface AdamWState {
  p: Float64Array;
  m: Float64Array;
  v: Float64Array;
}

/** One AdamW step in place (PyTorch's order; decoupled weight decay); g is scaled by `coef`. */
export function adamwStep(
  s: AdamWState, g: ArrayLike<number>,
  h: { lr: number; beta1?: number; beta2?: number; eps?: number; weightDecay?: number; step: number }, coef = 1,
): void {
  const b1 = h.beta1 ?? 0.9;
  const b2 = h.beta2 ?? 0.999;
  const eps = h.eps ?? 1e-8;
  const wd = h.weightDecay ?? 0;
  const c1 = 1 / (1 - b1 ** h.step);
  const c2 = 1 / (1 - b2 ** h.step);
  for (let i = 0; i < s.p.length; i++) {
    const gi = g[i]! * coef;
    s.m[i] = b1 * s.m[i]! + (1 - b1) * gi;
    s.v[i] = b2 * s.v[i]! + (1 - b2) * gi * gi;
    s.p[i] = s.p[i]! * (1 - h.lr * wd) - (h.lr * (s.m[i]! * c1)) / (Math.sqrt(s.v[i]! * c2) + eps);
  }
}

export function emaStep(ema: Float64Array, p: ArrayLike<number>, decay: number): void {
  for (let i = 0; i < ema.length; i++) ema[i] = decay * ema[i]! + (1 - decay) * p[i]!;
}
