// The randomized truncated SVD (runtime/data/embed/svd.ts) against the float64 Jacobi reference
// (reference/math/jacobi.ts), which is itself checked by reconstruction. Tolerances: an exactly
// low-rank matrix is recovered to rounding (1e-12); with a decaying spectrum and the default 3
// power iterations the top singular values are within 1e-9 relative and the vectors within 1e-9
// (measured: 1e-11 with 2 iterations, 3e-14 with 4; Halko et al. 2011 §10: the error falls like
// (sigma_{l+1} / sigma_j)^(2q+1)). Same seed, same bits.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { exactSvd, symmetricEigen } from '../../../../reference/math/jacobi.ts';
import { csrOperator, denseOperator, jacobiSvd, orthonormalize, randomizedSvd, transposeCsr } from '../../../../runtime/data/embed/svd.ts';
import { mulberry32 } from '../../../../runtime/data/random.ts';

function uniformMatrix(m: number, n: number, seed: number): Float64Array {
  const u = mulberry32(seed);
  return Float64Array.from({ length: m * n }, () => u() - 0.5);
}

/** Columns scaled by decay^j: singular values that fall off geometrically. */
function decaying(m: number, n: number, decay: number, seed: number): Float64Array {
  const a = uniformMatrix(m, n, seed);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) a[i * n + j]! *= decay ** j;
  return a;
}

/** sum_t w_t x_t y_t^T with random x, y: rank r. */
function lowRank(m: number, n: number, weights: number[], seed: number): Float64Array {
  const u = mulberry32(seed);
  const a = new Float64Array(m * n);
  for (const w of weights) {
    const x = Array.from({ length: m }, () => u() - 0.5);
    const y = Array.from({ length: n }, () => u() - 0.5);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) a[i * n + j]! += w * x[i]! * y[j]!;
  }
  return a;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** max_j (1 - |<u_j, w_j>|) over the first k columns of two row-major [m, *] matrices. */
function vectorError(U: Float64Array, ku: number, W: Float64Array, kw: number, m: number, k: number): number {
  let e = 0;
  for (let j = 0; j < k; j++) {
    let dot = 0;
    for (let i = 0; i < m; i++) dot += U[i * ku + j]! * W[i * kw + j]!;
    e = Math.max(e, 1 - Math.abs(dot));
  }
  return e;
}

test('reference: Jacobi eigen-decomposition of a known matrix and by reconstruction', () => {
  const e = symmetricEigen(Float64Array.of(2, 1, 1, 2), 2);
  assert.ok(Math.abs(e.values[0]! - 3) < 1e-15 && Math.abs(e.values[1]! - 1) < 1e-15);
  assert.ok(Math.abs(Math.abs(e.vectors[0]!) - Math.SQRT1_2) < 1e-15);
  const n = 30;
  const b = uniformMatrix(n, n, 3);
  const s = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) s[i * n + j] = b[i * n + j]! + b[j * n + i]!;
  const { values, vectors } = symmetricEigen(s, n);
  const back = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let k = 0; k < n; k++) back[i * n + j]! += vectors[i * n + k]! * values[k]! * vectors[j * n + k]!;
  assert.ok(maxAbsDiff(back, s) < 1e-13, `Q L Q^T - A = ${maxAbsDiff(back, s)}`);
  for (let k = 1; k < n; k++) assert.ok(values[k]! <= values[k - 1]!);
});

test('reference: exact SVD by the augmented matrix reconstructs A, orthonormal U and V', () => {
  const m = 20, n = 15;
  const a = uniformMatrix(m, n, 5);
  const { S, U, V, r } = exactSvd(a, m, n);
  assert.is(r, 15);
  const back = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) for (let k = 0; k < r; k++) back[i * n + j]! += U[i * r + k]! * S[k]! * V[j * r + k]!;
  assert.ok(maxAbsDiff(back, a) < 1e-13, `U S V^T - A = ${maxAbsDiff(back, a)}`);
  for (let p = 0; p < r; p++) {
    for (let q = 0; q < r; q++) {
      let uu = 0;
      let vv = 0;
      for (let i = 0; i < m; i++) uu += U[i * r + p]! * U[i * r + q]!;
      for (let j = 0; j < n; j++) vv += V[j * r + p]! * V[j * r + q]!;
      assert.ok(Math.abs(uu - (p === q ? 1 : 0)) < 1e-13 && Math.abs(vv - (p === q ? 1 : 0)) < 1e-13);
    }
  }
});

test('orthonormalize: Q^T Q = I and Q R = Y, also with a column in the span of the others (R_jj = 0)', () => {
  const n = 50, l = 6;
  const y = uniformMatrix(n, l, 9);
  for (let i = 0; i < n; i++) y[i * l + 4] = 2 * y[i * l + 1]! - y[i * l + 2]!; // column 4 is dependent
  const q = Float64Array.from(y);
  const R = orthonormalize(q, n, l, 1);
  assert.ok(Math.abs(R[4 * l + 4]!) === 0, 'R_44 is 0 for the dependent column');
  for (let a = 0; a < l; a++) {
    for (let b = 0; b < l; b++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += q[i * l + a]! * q[i * l + b]!;
      assert.ok(Math.abs(s - (a === b ? 1 : 0)) < 1e-14, `(Q^T Q)[${a}, ${b}] = ${s}`);
    }
  }
  const back = new Float64Array(n * l);
  for (let i = 0; i < n; i++) for (let j = 0; j < l; j++) for (let k = 0; k <= j; k++) back[i * l + j]! += q[i * l + k]! * R[k * l + j]!;
  assert.ok(maxAbsDiff(back, y) < 1e-14, `Q R - Y = ${maxAbsDiff(back, y)}`);
});

test('jacobiSvd of a small square matrix matches the reference singular values; R = W S J^T with orthogonal J', () => {
  const l = 7;
  const r = uniformMatrix(l, l, 11);
  const { sigma, J } = jacobiSvd(r, l);
  const want = exactSvd(r, l, l).S;
  const got = Array.from(sigma).sort((a, b) => b - a);
  assert.ok(maxAbsDiff(got, want) < 1e-14, `singular values differ by ${maxAbsDiff(got, want)}`);
  // R J has orthogonal columns of norms sigma.
  const rj = new Float64Array(l * l);
  for (let i = 0; i < l; i++) for (let j = 0; j < l; j++) for (let k = 0; k < l; k++) rj[i * l + j]! += r[i * l + k]! * J[k * l + j]!;
  for (let a = 0; a < l; a++) {
    for (let b = 0; b < l; b++) {
      let s = 0;
      let jj = 0;
      for (let i = 0; i < l; i++) {
        s += rj[i * l + a]! * rj[i * l + b]!;
        jj += J[i * l + a]! * J[i * l + b]!;
      }
      assert.ok(Math.abs(s - (a === b ? sigma[a]! ** 2 : 0)) < 1e-14);
      assert.ok(Math.abs(jj - (a === b ? 1 : 0)) < 1e-14);
    }
  }
});

test('an exactly low-rank matrix is recovered to rounding (60 x 45, rank 5)', () => {
  const m = 60, n = 45;
  const a = lowRank(m, n, [5, 4, 3, 2, 1], 21);
  const ex = exactSvd(a, m, n);
  const r = randomizedSvd(denseOperator(a, m, n), { rank: 5, oversample: 5, powerIterations: 1, seed: 7 });
  assert.is(r.k, 5);
  for (let j = 0; j < 5; j++) assert.ok(Math.abs(r.S[j]! - ex.S[j]!) < 1e-12 * ex.S[0]!, `sigma_${j}: ${r.S[j]} vs ${ex.S[j]}`);
  assert.ok(vectorError(r.U, 5, ex.U, ex.r, m, 5) < 1e-12);
});

test('a decaying spectrum: the top 10 singular values and vectors within 1e-9 with the default 3 power iterations', () => {
  const m = 80, n = 60;
  const a = decaying(m, n, 0.8, 31);
  const ex = exactSvd(a, m, n);
  for (const [q, tol] of [[3, 1e-9], [5, 1e-12]] as const) {
    const r = randomizedSvd(denseOperator(a, m, n), { rank: 10, oversample: 10, powerIterations: q, seed: 1 });
    for (let j = 0; j < 10; j++) assert.ok(Math.abs(r.S[j]! - ex.S[j]!) < tol * ex.S[j]!, `q ${q}: sigma_${j} ${r.S[j]} vs ${ex.S[j]}`);
    const ve = vectorError(r.U, 10, ex.U, ex.r, m, 10);
    assert.ok(ve < tol, `q ${q}: vectors off by ${ve}`);
  }
  // No power iterations: only roughly right (why the default has some).
  const r0 = randomizedSvd(denseOperator(a, m, n), { rank: 10, oversample: 10, powerIterations: 0, seed: 1 });
  assert.ok(vectorError(r0.U, 10, ex.U, ex.r, m, 10) > 1e-6);
});

test('deterministic for a seed; another seed gives other bits and the same answer; the sign convention', () => {
  const m = 40, n = 70;
  const a = decaying(m, n, 0.7, 41);
  const o = { rank: 6, oversample: 6, powerIterations: 3, seed: 12345 };
  const r1 = randomizedSvd(denseOperator(a, m, n), o);
  const r2 = randomizedSvd(denseOperator(a, m, n), o);
  assert.equal(Array.from(r1.U), Array.from(r2.U));
  assert.equal(Array.from(r1.S), Array.from(r2.S));
  const r3 = randomizedSvd(denseOperator(a, m, n), { ...o, seed: 99 });
  assert.not.equal(Array.from(r3.U), Array.from(r1.U));
  assert.ok(maxAbsDiff(r3.S, r1.S) < 1e-9 * r1.S[0]!);
  // Each column's largest-magnitude entry is positive, so both seeds agree on signs too.
  assert.ok(maxAbsDiff(r3.U, r1.U) < 1e-7);
  for (let j = 0; j < 6; j++) {
    let best = 0;
    for (let i = 0; i < m; i++) if (Math.abs(r1.U[i * 6 + j]!) > Math.abs(best)) best = r1.U[i * 6 + j]!;
    assert.ok(best > 0);
  }
});

test('the CSR operator (and its transpose) agrees with the dense one; rank above the matrix size; rank deficiency stays finite', () => {
  const m = 30, n = 25;
  const a = uniformMatrix(m, n, 51);
  for (let i = 0; i < a.length; i++) if (a[i]! < 0.1) a[i] = 0; // about 60 % zeros
  const rowPtr = new Uint32Array(m + 1);
  const col: number[] = [];
  const val: number[] = [];
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) if (a[i * n + j] !== 0) (col.push(j), val.push(a[i * n + j]!));
    rowPtr[i + 1] = col.length;
  }
  const csr = { rows: m, cols: n, rowPtr, col: Uint32Array.from(col), val: Float64Array.from(val) };
  const l = 5;
  const x = uniformMatrix(n, l, 52);
  const y = uniformMatrix(m, l, 53);
  const [ax, dx, aty, dty] = [new Float64Array(m * l), new Float64Array(m * l), new Float64Array(n * l), new Float64Array(n * l)];
  csrOperator(csr).mul(x, l, ax);
  denseOperator(a, m, n).mul(x, l, dx);
  csrOperator(csr).mulT(y, l, aty);
  denseOperator(a, m, n).mulT(y, l, dty);
  assert.ok(maxAbsDiff(ax, dx) < 1e-14 && maxAbsDiff(aty, dty) < 1e-14);
  const tt = transposeCsr(transposeCsr(csr));
  assert.equal([Array.from(tt.rowPtr), Array.from(tt.col), Array.from(tt.val)], [Array.from(csr.rowPtr), Array.from(csr.col), Array.from(csr.val)]);
  const o = { rank: 8, oversample: 4, powerIterations: 2, seed: 3 };
  const dense = randomizedSvd(denseOperator(a, m, n), o);
  const sparse = randomizedSvd(csrOperator(csr), o);
  assert.ok(maxAbsDiff(sparse.U, dense.U) < 1e-12 && maxAbsDiff(sparse.S, dense.S) < 1e-12);

  // Asking for more than min(rows, cols): k = min(rows, cols).
  const small = uniformMatrix(6, 4, 61);
  const all = randomizedSvd(denseOperator(small, 6, 4), { rank: 10, oversample: 5, powerIterations: 2, seed: 1 });
  assert.is(all.k, 4);
  assert.ok(maxAbsDiff(all.S, exactSvd(small, 6, 4).S) < 1e-14);

  // Rank 3 asked for 8: finite, the trailing singular values numerically zero, U orthonormal.
  const def = lowRank(12, 10, [3, 2, 1], 71);
  const r = randomizedSvd(denseOperator(def, 12, 10), { rank: 8, oversample: 2, powerIterations: 2, seed: 5 });
  assert.is(r.k, 8);
  assert.ok(r.U.every(Number.isFinite) && r.S.every(Number.isFinite));
  for (let j = 3; j < 8; j++) assert.ok(r.S[j]! < 1e-13 * r.S[0]!, `sigma_${j} = ${r.S[j]}`);
  for (let p = 0; p < 8; p++) {
    let s = 0;
    for (let i = 0; i < 12; i++) s += r.U[i * 8 + p]! ** 2;
    assert.ok(Math.abs(s - 1) < 1e-12);
  }
  assert.is(randomizedSvd(denseOperator(small, 6, 4), { ...o, rank: 0 }).k, 0);
});

test.run();
