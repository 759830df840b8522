// Dense n x n float64 matrices (row-major Float64Array) and two independent matrix exponentials:
// scaling and squaring with a diagonal Pade approximant, and uniformisation for generators
// (docs/math.md §6). For tests and tiny state spaces only (n <= 64).
import { poissonTail, poissonWeights } from './special.ts';

export function identity(n: number): Float64Array {
  const I = new Float64Array(n * n);
  for (let i = 0; i < n; i++) I[i * n + i] = 1;
  return I;
}

export function matMul(A: Float64Array, B: Float64Array, n: number): Float64Array {
  const C = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < n; k++) {
      const a = A[i * n + k]!;
      if (a === 0) continue;
      for (let j = 0; j < n; j++) C[i * n + j]! += a * B[k * n + j]!;
    }
  }
  return C;
}

/** a X + b Y. */
export function axpby(a: number, X: Float64Array, b: number, Y: Float64Array): Float64Array {
  const Z = new Float64Array(X.length);
  for (let i = 0; i < X.length; i++) Z[i] = a * X[i]! + b * Y[i]!;
  return Z;
}

/** [X, Y] = XY - YX. */
export function commutator(X: Float64Array, Y: Float64Array, n: number): Float64Array {
  return axpby(1, matMul(X, Y, n), -1, matMul(Y, X, n));
}

export function normInf(A: Float64Array, n: number): number {
  let m = 0;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += Math.abs(A[i * n + j]!);
    m = Math.max(m, s);
  }
  return m;
}

/** Solve A X = B for X (Gaussian elimination with partial pivoting); B is n x m row-major, m = B.length / n. */
export function solve(A: Float64Array, B: Float64Array, n: number): Float64Array {
  const m = B.length / n;
  const M = Float64Array.from(A);
  const X = Float64Array.from(B);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r * n + c]!) > Math.abs(M[p * n + c]!)) p = r;
    if (M[p * n + c] === 0) throw new Error('solve: singular matrix');
    if (p !== c) {
      for (let j = 0; j < n; j++) [M[c * n + j], M[p * n + j]] = [M[p * n + j]!, M[c * n + j]!];
      for (let j = 0; j < m; j++) [X[c * m + j], X[p * m + j]] = [X[p * m + j]!, X[c * m + j]!];
    }
    const d = M[c * n + c]!;
    for (let r = c + 1; r < n; r++) {
      const f = M[r * n + c]! / d;
      if (f === 0) continue;
      for (let j = c; j < n; j++) M[r * n + j]! -= f * M[c * n + j]!;
      for (let j = 0; j < m; j++) X[r * m + j]! -= f * X[c * m + j]!;
    }
  }
  for (let c = n - 1; c >= 0; c--) {
    const d = M[c * n + c]!;
    for (let j = 0; j < m; j++) {
      let s = X[c * m + j]!;
      for (let k = c + 1; k < n; k++) s -= M[c * n + k]! * X[k * m + j]!;
      X[c * m + j] = s / d;
    }
  }
  return X;
}

/**
 * exp(A) by scaling and squaring with the (q, q) Pade approximant, q = 8, after scaling so that
 * ||A / 2^j||_inf <= 1/2 (Golub and Van Loan, Matrix Computations, Alg. 11.3.1). The relative
 * backward error of the approximant is below 2^(3-2q) (q!)^2 / ((2q)! (2q+1)!) ~ 3e-23.
 */
export function expmPade(A: Float64Array, n: number, q = 8): Float64Array {
  const nrm = normInf(A, n);
  const j = nrm > 0.5 ? Math.max(0, Math.ceil(Math.log2(nrm / 0.5))) : 0;
  const X0 = axpby(2 ** -j, A, 0, A);
  let c = 1;
  let X = identity(n);
  let N = identity(n);
  let D = identity(n);
  for (let k = 1; k <= q; k++) {
    c = (c * (q - k + 1)) / (k * (2 * q - k + 1));
    X = matMul(X0, X, n);
    N = axpby(1, N, c, X);
    D = axpby(1, D, k % 2 === 0 ? c : -c, X);
  }
  let E = solve(D, N, n);
  for (let k = 0; k < j; k++) E = matMul(E, E, n);
  return E;
}

/**
 * exp(G) for a generator G (non-negative off-diagonal, rows summing to 0) by uniformisation:
 * exp(G) = sum_n Pois(n; L) (I + G/L)^n with L >= max |G_ii|. Every term is non-negative, so there
 * is no cancellation; the series stops when the Poisson tail is below tol (the L1 error per row).
 */
export function expmUniformisation(G: Float64Array, n: number, tol = 1e-17): Float64Array {
  let L = 0;
  for (let i = 0; i < n; i++) L = Math.max(L, -G[i * n + i]!);
  if (L === 0) return identity(n);
  let N = Math.ceil(L + 10);
  while (poissonTail(L, N) > tol) N += 8;
  const w = poissonWeights(L, N);
  const P = axpby(1 / L, G, 1, identity(n));
  let term = identity(n);
  const out = new Float64Array(n * n);
  for (let k = 0; k <= N; k++) {
    const wk = w[k]!;
    for (let i = 0; i < n * n; i++) out[i]! += wk * term[i]!;
    if (k < N) term = matMul(term, P, n);
  }
  return out;
}

/**
 * One sixth-order Magnus step for dY/dtau = Y A(tau) (row-vector convention, so the step is
 * Y(tau + h) = Y(tau) exp(Omega)) from the values of A at the three Gauss-Legendre nodes of the step
 * (Blanes, Casas and Ros 2000; Blanes, Casas, Oteo and Ros 2009, eq. (253)). For the row-vector
 * convention the commutators change sign, so we build Omega for the transposed, column problem and
 * transpose nothing: [X, Y] is taken as YX - XY.
 */
export function magnus6Omega(A1: Float64Array, A2: Float64Array, A3: Float64Array, h: number, n: number): Float64Array {
  const s15 = Math.sqrt(15);
  const a1 = axpby(h, A2, 0, A2);
  const a2 = axpby((s15 * h) / 3, A3, -(s15 * h) / 3, A1);
  const a3 = axpby((10 * h) / 3, axpby(1, A3, 1, A1), (-20 * h) / 3, A2);
  // Row convention: Y' = Y A is the column problem y' = A^T y, whose commutators are [A^T, B^T] = -[A, B]^T.
  const br = (X: Float64Array, Y: Float64Array) => commutator(Y, X, n);
  const C1 = br(a1, a2);
  const C2 = axpby(-1 / 60, br(a1, axpby(2, a3, 1, C1)), 0, C1);
  const left = axpby(1, axpby(-20, a1, -1, a3), 1, C1);
  const right = axpby(1, a2, 1, C2);
  return axpby(1, axpby(1, a1, 1 / 12, a3), 1 / 240, br(left, right));
}
