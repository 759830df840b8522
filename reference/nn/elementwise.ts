// Float64 references of the elementwise ops (runtime/nn/ops/elementwise.ts).
const GELU_C = Math.sqrt(2 / Math.PI);

// 0.5 x (1 + tanh z) written as x * sigmoid(2z), which avoids the cancellation in 1 + tanh z.
function z2(x: number): number {
  return 2 * GELU_C * (x + 0.044715 * x ** 3);
}

export function gelu(x: number): number {
  return x / (1 + Math.exp(-z2(x)));
}

export function geluGrad(x: number): number {
  const s = 1 / (1 + Math.exp(-z2(x)));
  const sn = 1 / (1 + Math.exp(z2(x)));
  return s + x * s * sn * 2 * GELU_C * (1 + 3 * 0.044715 * x * x);
}

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

export function silu(x: number): number {
  return x * sigmoid(x);
}

export function siluGrad(x: number): number {
  const s = sigmoid(x);
  return s * (1 + x * (1 - s));
}

export function map(x: ArrayLike<number>, f: (v: number) => number): Float64Array {
  const y = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) y[i] = f(x[i]!);
  return y;
}

export const geluForward = (x: ArrayLike<number>): Float64Array => map(x, gelu);
export const siluForward = (x: ArrayLike<number>): Float64Array => map(x, silu);

/** dx = dy * f'(x). */
export function pointwiseBackward(x: ArrayLike<number>, dy: ArrayLike<number>, grad: (v: number) => number): Float64Array {
  const dx = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) dx[i] = dy[i]! * grad(x[i]!);
  return dx;
}

export const geluBackward = (x: ArrayLike<number>, dy: ArrayLike<number>): Float64Array => pointwiseBackward(x, dy, geluGrad);
export const siluBackward = (x: ArrayLike<number>, dy: ArrayLike<number>): Float64Array => pointwiseBackward(x, dy, siluGrad);
