// A randomized truncated SVD in float64 (Halko, Martinsson & Tropp 2011, "Finding structure with
// randomness", Algorithms 4.4 and 5.1; docs/embeddings.md): a Gaussian test block of rank +
// oversample columns, a range finder with q power (subspace) iterations re-orthonormalised after
// every product, then the exact SVD of the small projected matrix: B^T = A^T Q = Q2 R (QR), R =
// W Sigma J^T by one-sided Jacobi, so B = Q^T A = J Sigma (Q2 W)^T and U = Q J. Blocks are
// row-major [rows, l]; the matrix is only touched through products with such blocks.
import { mulberry32 } from '../random.ts';

/** A matrix seen only through products with row-major blocks of l columns. */
export interface LinearOperator {
  readonly rows: number;
  readonly cols: number;
  /** out[rows, l] = A x[cols, l] (out is zeroed by the caller). */
  mul(x: Float64Array, l: number, out: Float64Array): void;
  /** out[cols, l] = A^T y[rows, l] (out is zeroed by the caller). */
  mulT(y: Float64Array, l: number, out: Float64Array): void;
}

/** A sparse matrix in CSR form (float64 values). */
export interface CsrMatrix {
  readonly rows: number;
  readonly cols: number;
  readonly rowPtr: Uint32Array;
  readonly col: Uint32Array;
  readonly val: Float64Array;
}

/**
 * out[rows, l] = A x for a CSR matrix: each output row gathers the rows of x its entries name,
 * four entries per pass over the l columns (a quarter of the loads and stores of out).
 */
function gatherRows(rows: number, rowPtr: Uint32Array, col: Uint32Array, val: Float64Array, x: Float64Array, l: number, out: Float64Array): void {
  for (let a = 0; a < rows; a++) {
    const o = a * l;
    const end = rowPtr[a + 1]!;
    let k = rowPtr[a]!;
    for (; k + 3 < end; k += 4) {
      const v0 = val[k]!, v1 = val[k + 1]!, v2 = val[k + 2]!, v3 = val[k + 3]!;
      const x0 = col[k]! * l, x1 = col[k + 1]! * l, x2 = col[k + 2]! * l, x3 = col[k + 3]! * l;
      for (let j = 0; j < l; j++) out[o + j]! += v0 * x[x0 + j]! + v1 * x[x1 + j]! + (v2 * x[x2 + j]! + v3 * x[x3 + j]!);
    }
    for (; k < end; k++) {
      const v = val[k]!;
      const xb = col[k]! * l;
      for (let j = 0; j < l; j++) out[o + j]! += v * x[xb + j]!;
    }
  }
}

/** The transpose of a CSR matrix (columns ascending within each row). */
export function transposeCsr(m: CsrMatrix): CsrMatrix {
  const { rows, cols, rowPtr, col, val } = m;
  const nnz = rowPtr[rows]!;
  const tPtr = new Uint32Array(cols + 1);
  for (let k = 0; k < nnz; k++) tPtr[col[k]! + 1]!++;
  for (let c = 0; c < cols; c++) tPtr[c + 1]! += tPtr[c]!;
  const fill = tPtr.slice(0, cols);
  const tCol = new Uint32Array(nnz);
  const tVal = new Float64Array(nnz);
  for (let a = 0; a < rows; a++) {
    for (let k = rowPtr[a]!; k < rowPtr[a + 1]!; k++) {
      const p = fill[col[k]!]!++;
      tCol[p] = a;
      tVal[p] = val[k]!;
    }
  }
  return { rows: cols, cols: rows, rowPtr: tPtr, col: tCol, val: tVal };
}

/** A CSR matrix as an operator; A^T is applied through an explicit transpose built on first use (as fast as A, for nnz x 12 more bytes). */
export function csrOperator(m: CsrMatrix): LinearOperator {
  let t: CsrMatrix | undefined;
  return {
    rows: m.rows,
    cols: m.cols,
    mul(x, l, out) {
      gatherRows(m.rows, m.rowPtr, m.col, m.val, x, l, out);
    },
    mulT(y, l, out) {
      t ??= transposeCsr(m);
      gatherRows(t.rows, t.rowPtr, t.col, t.val, y, l, out);
    },
  };
}

/** A dense row-major rows x cols matrix (tests, small problems). */
export function denseOperator(a: Float64Array, rows: number, cols: number): LinearOperator {
  return {
    rows,
    cols,
    mul(x, l, out) {
      for (let i = 0; i < rows; i++) for (let k = 0; k < cols; k++) {
        const v = a[i * cols + k]!;
        if (v !== 0) for (let j = 0; j < l; j++) out[i * l + j]! += v * x[k * l + j]!;
      }
    },
    mulT(y, l, out) {
      for (let i = 0; i < rows; i++) for (let k = 0; k < cols; k++) {
        const v = a[i * cols + k]!;
        if (v !== 0) for (let j = 0; j < l; j++) out[k * l + j]! += v * y[i * l + j]!;
      }
    },
  };
}

export interface RsvdOptions {
  /** Singular triplets wanted (at most min(rows, cols) are returned). */
  rank: number;
  /** Extra test columns (Halko et al.: 5 to 10 is plenty). */
  oversample: number;
  /** Power iterations q: the error factor falls like (sigma_{k+1} / sigma_k)^(2q+1). */
  powerIterations: number;
  /** Seed of the Gaussian test block. */
  seed: number;
}

export interface RsvdResult {
  /** min(rank, rows, cols). */
  readonly k: number;
  /** Singular values, largest first. */
  readonly S: Float64Array;
  /** Left singular vectors, row-major [rows, k]; each column's largest-magnitude entry is positive. */
  readonly U: Float64Array;
}

/** Standard normals from mulberry32 by Box-Muller (open uniforms, so log(u) is finite). */
export function gaussianFill(out: Float64Array, seed: number): Float64Array {
  const u = mulberry32(seed, { open: true });
  for (let i = 0; i < out.length; i += 2) {
    const r = Math.sqrt(-2 * Math.log(u()));
    const t = 2 * Math.PI * u();
    out[i] = r * Math.cos(t);
    if (i + 1 < out.length) out[i + 1] = r * Math.sin(t);
  }
  return out;
}

/**
 * Orthonormalises the l columns of the row-major [n, l] block `y` in place (block Gram-Schmidt,
 * another pass whenever a pass removed more than 1 - 1/sqrt 2 of the column's norm, at most three:
 * "twice is enough", Giraud et al. 2005). A column in the span of the previous ones (rank
 * deficiency) is replaced by a random direction orthogonal to them, so Q always has orthonormal
 * columns; its R diagonal entry is 0. Returns R (l x l, row-major, upper triangular) with
 * y_in = Q R up to rounding.
 */
export function orthonormalize(y: Float64Array, n: number, l: number, seed: number): Float64Array {
  const R = new Float64Array(l * l);
  // Column-major copy: the column operations then run over contiguous memory.
  const c = new Float64Array(n * l);
  for (let i = 0; i < n; i++) for (let j = 0; j < l; j++) c[j * n + i] = y[i * l + j]!;
  const norm = (o: number) => {
    let s = 0;
    for (let i = 0; i < n; i++) s += c[o + i]! ** 2;
    return Math.sqrt(s);
  };
  // v_j -= sum_k <q_k, v_j> q_k over k < j, four columns at a time: one pass for their four dot
  // products, one for the update (classical Gram-Schmidt within a block of orthonormal columns,
  // modified between blocks; the second pass below makes up the difference).
  const project = (j: number, rcol: boolean) => {
    const oj = j * n;
    let k = 0;
    for (; k + 3 < j; k += 4) {
      const o0 = k * n, o1 = o0 + n, o2 = o1 + n, o3 = o2 + n;
      let r0 = 0, r1 = 0, r2 = 0, r3 = 0;
      for (let i = 0; i < n; i++) {
        const v = c[oj + i]!;
        r0 += c[o0 + i]! * v;
        r1 += c[o1 + i]! * v;
        r2 += c[o2 + i]! * v;
        r3 += c[o3 + i]! * v;
      }
      for (let i = 0; i < n; i++) c[oj + i]! -= r0 * c[o0 + i]! + r1 * c[o1 + i]! + (r2 * c[o2 + i]! + r3 * c[o3 + i]!);
      if (rcol) {
        R[k * l + j]! += r0;
        R[(k + 1) * l + j]! += r1;
        R[(k + 2) * l + j]! += r2;
        R[(k + 3) * l + j]! += r3;
      }
    }
    for (; k < j; k++) {
      const ok = k * n;
      let r = 0;
      for (let i = 0; i < n; i++) r += c[ok + i]! * c[oj + i]!;
      for (let i = 0; i < n; i++) c[oj + i]! -= r * c[ok + i]!;
      if (rcol) R[k * l + j]! += r;
    }
  };
  for (let j = 0; j < l; j++) {
    const oj = j * n;
    const before = norm(oj);
    project(j, true);
    let after = norm(oj);
    // Another pass while a pass cancels most of what was left (at most three in all).
    for (let pass = 1, prev = before; pass < 3 && after < Math.SQRT1_2 * prev && after > 1e-12 * before; pass++) {
      prev = after;
      project(j, true);
      after = norm(oj);
    }
    if (after > 1e-12 * before && after > 0) {
      for (let i = 0; i < n; i++) c[oj + i]! /= after;
      R[j * l + j] = after;
      continue;
    }
    // In the span of the previous columns: any unit vector orthogonal to them will do.
    for (let attempt = 0; ; attempt++) {
      const g = gaussianFill(new Float64Array(n), (seed ^ (0x5bd1e995 * (j + 1)) ^ (attempt * 0x27d4eb2d)) >>> 0);
      c.set(g, oj);
      const b = norm(oj);
      project(j, false);
      project(j, false);
      const a = norm(oj);
      if (a > 1e-6 * b) {
        for (let i = 0; i < n; i++) c[oj + i]! /= a;
        break;
      }
      if (attempt > 8) throw new RangeError(`orthonormalize: no direction orthogonal to ${j} columns in dimension ${n}`);
    }
    R[j * l + j] = 0;
  }
  for (let i = 0; i < n; i++) for (let j = 0; j < l; j++) y[i * l + j] = c[j * n + i]!;
  return R;
}

/**
 * One-sided (Hestenes) Jacobi SVD of a square l x l row-major matrix R: rotations J orthogonalise
 * R's columns, R J = W Sigma, so R = W Sigma J^T. Returns Sigma (unsorted) and J (l x l
 * row-major, column i for Sigma[i]). Exact to rounding; converges quadratically.
 */
export function jacobiSvd(Rm: Float64Array, l: number): { sigma: Float64Array; J: Float64Array } {
  const A = new Float64Array(l * l); // column-major copy of R
  for (let i = 0; i < l; i++) for (let j = 0; j < l; j++) A[j * l + i] = Rm[i * l + j]!;
  const J = new Float64Array(l * l); // column-major
  for (let i = 0; i < l; i++) J[i * l + i] = 1;
  for (let sweep = 0; sweep < 60; sweep++) {
    let rotated = false;
    for (let p = 0; p < l - 1; p++) {
      for (let q = p + 1; q < l; q++) {
        let alpha = 0;
        let beta = 0;
        let gamma = 0;
        const op = p * l;
        const oq = q * l;
        for (let i = 0; i < l; i++) {
          const x = A[op + i]!;
          const y = A[oq + i]!;
          alpha += x * x;
          beta += y * y;
          gamma += x * y;
        }
        if (gamma === 0 || Math.abs(gamma) <= 1e-15 * Math.sqrt(alpha * beta)) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = (zeta >= 0 ? 1 : -1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const cs = 1 / Math.sqrt(1 + t * t);
        const sn = cs * t;
        for (let i = 0; i < l; i++) {
          const x = A[op + i]!;
          const y = A[oq + i]!;
          A[op + i] = cs * x - sn * y;
          A[oq + i] = sn * x + cs * y;
          const u = J[op + i]!;
          const v = J[oq + i]!;
          J[op + i] = cs * u - sn * v;
          J[oq + i] = sn * u + cs * v;
        }
      }
    }
    if (!rotated) break;
  }
  const sigma = new Float64Array(l);
  for (let j = 0; j < l; j++) {
    let s = 0;
    for (let i = 0; i < l; i++) s += A[j * l + i]! ** 2;
    sigma[j] = Math.sqrt(s);
  }
  const Jr = new Float64Array(l * l);
  for (let i = 0; i < l; i++) for (let j = 0; j < l; j++) Jr[i * l + j] = J[j * l + i]!;
  return { sigma, J: Jr };
}

/** The leading singular values and left singular vectors of `op` (deterministic for a seed). */
export function randomizedSvd(op: LinearOperator, o: RsvdOptions): RsvdResult {
  const { rows, cols } = op;
  const k = Math.max(0, Math.min(o.rank, rows, cols));
  if (k === 0) return { k: 0, S: new Float64Array(0), U: new Float64Array(0) };
  const l = Math.min(k + Math.max(0, o.oversample), rows, cols);
  const omega = gaussianFill(new Float64Array(cols * l), o.seed >>> 0);
  let Q = new Float64Array(rows * l);
  op.mul(omega, l, Q);
  orthonormalize(Q, rows, l, o.seed ^ 0x1234567);
  for (let it = 0; it < o.powerIterations; it++) {
    const Z = new Float64Array(cols * l);
    op.mulT(Q, l, Z);
    orthonormalize(Z, cols, l, o.seed ^ (0x2345678 + it));
    Q = new Float64Array(rows * l);
    op.mul(Z, l, Q);
    orthonormalize(Q, rows, l, o.seed ^ (0x3456789 + it));
  }
  // B^T = A^T Q (cols x l) = Q2 R; R = W Sigma J^T; B = Q^T A = R^T Q2^T = J Sigma (Q2 W)^T.
  const Bt = new Float64Array(cols * l);
  op.mulT(Q, l, Bt);
  const R = orthonormalize(Bt, cols, l, o.seed ^ 0x456789a);
  const { sigma, J } = jacobiSvd(R, l);
  const order = Array.from({ length: l }, (_, i) => i).sort((a, b) => sigma[b]! - sigma[a]! || a - b).slice(0, k);
  const S = Float64Array.from(order, (i) => sigma[i]!);
  // U = Q J[:, order], through J's chosen columns as a row-major [l, k] block.
  const Jk = new Float64Array(l * k);
  for (let m = 0; m < l; m++) for (let jj = 0; jj < k; jj++) Jk[m * k + jj] = J[m * l + order[jj]!]!;
  const U = new Float64Array(rows * k);
  for (let r = 0; r < rows; r++) {
    const ur = r * k;
    for (let m = 0; m < l; m++) {
      const q = Q[r * l + m]!;
      if (q === 0) continue;
      const jm = m * k;
      for (let jj = 0; jj < k; jj++) U[ur + jj]! += q * Jk[jm + jj]!;
    }
  }
  // Sign convention: each column's largest-magnitude entry (the first of equals) is positive.
  for (let jj = 0; jj < k; jj++) {
    let best = 0;
    let at = 0;
    for (let r = 0; r < rows; r++) {
      const x = Math.abs(U[r * k + jj]!);
      if (x > best) {
        best = x;
        at = r;
      }
    }
    if (U[at * k + jj]! < 0) for (let r = 0; r < rows; r++) U[r * k + jj] = -U[r * k + jj]!;
  }
  return { k, S, U };
}
