// Dense float64 eigen- and singular-value decompositions by cyclic Jacobi rotations: slow (O(n^3)
// per sweep) and exact to rounding, the reference for runtime/data/embed's randomized SVD. For
// tests and small matrices only (n <= a few hundred).

export interface SymmetricEigen {
  /** Eigenvalues, largest first. */
  values: Float64Array;
  /** Eigenvectors as the columns of an n x n row-major matrix, in the order of `values`. */
  vectors: Float64Array;
}

/**
 * The eigen-decomposition of a symmetric n x n matrix (row-major; only its values are read, the
 * input is not changed). Cyclic Jacobi with the textbook stable rotation (Golub & Van Loan 8.5),
 * until every off-diagonal entry is below 1e-15 of the Frobenius norm.
 */
export function symmetricEigen(a: Float64Array, n: number): SymmetricEigen {
  if (a.length !== n * n) throw new RangeError(`symmetricEigen: ${a.length} values, expected ${n} x ${n}`);
  const A = Float64Array.from(a);
  const Q = new Float64Array(n * n);
  for (let i = 0; i < n; i++) Q[i * n + i] = 1;
  let fro = 0;
  for (const x of A) fro += x * x;
  const tol = 1e-15 * Math.sqrt(fro);
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off = Math.max(off, Math.abs(A[p * n + q]!));
    if (off <= tol) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = A[p * n + q]!;
        if (Math.abs(apq) <= tol * 1e-3) continue;
        const theta = (A[q * n + q]! - A[p * n + p]!) / (2 * apq);
        const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(1 + theta * theta));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = t * c;
        // A <- J^T A J with J the rotation in the (p, q) plane.
        for (let k = 0; k < n; k++) {
          const akp = A[k * n + p]!;
          const akq = A[k * n + q]!;
          A[k * n + p] = c * akp - s * akq;
          A[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = A[p * n + k]!;
          const aqk = A[q * n + k]!;
          A[p * n + k] = c * apk - s * aqk;
          A[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const qkp = Q[k * n + p]!;
          const qkq = Q[k * n + q]!;
          Q[k * n + p] = c * qkp - s * qkq;
          Q[k * n + q] = s * qkp + c * qkq;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => A[j * n + j]! - A[i * n + i]! || i - j);
  const values = Float64Array.from(order, (i) => A[i * n + i]!);
  const vectors = new Float64Array(n * n);
  order.forEach((src, dst) => {
    for (let k = 0; k < n; k++) vectors[k * n + dst] = Q[k * n + src]!;
  });
  return { values, vectors };
}

export interface ExactSvd {
  /** Singular values, largest first (min(m, n) of them). */
  S: Float64Array;
  /** Left singular vectors: m x r row-major, column i for S[i]. */
  U: Float64Array;
  /** Right singular vectors: n x r row-major, column i for S[i]. */
  V: Float64Array;
  r: number;
}

/**
 * The SVD of an m x n row-major matrix from the eigen-decomposition of the symmetric (m + n) x
 * (m + n) matrix [[0, A], [A^T, 0]], whose eigenvalues are +-sigma_i with eigenvectors
 * [u_i; +-v_i] / sqrt(2): no squaring of A, so small singular values keep their accuracy.
 * Vectors of (near-)zero singular values are not reliable (they are not used by the tests).
 */
export function exactSvd(a: Float64Array, m: number, n: number): ExactSvd {
  if (a.length !== m * n) throw new RangeError(`exactSvd: ${a.length} values, expected ${m} x ${n}`);
  const N = m + n;
  const H = new Float64Array(N * N);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      H[i * N + m + j] = a[i * n + j]!;
      H[(m + j) * N + i] = a[i * n + j]!;
    }
  }
  const { values, vectors } = symmetricEigen(H, N);
  const r = Math.min(m, n);
  const S = new Float64Array(r);
  const U = new Float64Array(m * r);
  const V = new Float64Array(n * r);
  for (let i = 0; i < r; i++) {
    S[i] = Math.max(0, values[i]!);
    let nu = 0;
    let nv = 0;
    for (let k = 0; k < m; k++) nu += vectors[k * N + i]! ** 2;
    for (let k = 0; k < n; k++) nv += vectors[(m + k) * N + i]! ** 2;
    const su = nu > 0 ? 1 / Math.sqrt(nu) : 0;
    const sv = nv > 0 ? 1 / Math.sqrt(nv) : 0;
    for (let k = 0; k < m; k++) U[k * r + i] = vectors[k * N + i]! * su;
    for (let k = 0; k < n; k++) V[k * r + i] = vectors[(m + k) * N + i]! * sv;
  }
  return { S, U, V, r };
}
