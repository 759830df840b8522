// Float64 reference of runtime/nn/matmul: C[b] = alpha * op(A[b]) @ op(B[b]) (+ bias) (+ C[b]),
// with the same layout conventions (row strides, two batch dimensions, stride 0 = broadcast).
export interface RefMatmul {
  M: number;
  N: number;
  K: number;
  transA?: boolean;
  transB?: boolean;
  batch?: number | readonly [number, number];
  strideA?: number | readonly [number, number];
  strideB?: number | readonly [number, number];
  strideC?: number | readonly [number, number];
  lda?: number;
  ldb?: number;
  ldc?: number;
  alpha?: number;
  accumulate?: boolean;
  offsetA?: number;
  offsetB?: number;
  offsetC?: number;
  offsetBias?: number;
}

type Arr = ArrayLike<number>;

/** Writes into `c` (a float64 array holding at least C's extent) and returns it. */
export function matmulRef(s: RefMatmul, a: Arr, b: Arr, c: Float64Array, bias?: Arr): Float64Array {
  const { M, N, K } = s;
  const tA = !!s.transA;
  const tB = !!s.transB;
  const [bo, bi] = typeof s.batch === 'number' ? [1, s.batch] : s.batch ? [s.batch[0], s.batch[1]] : [1, 1];
  const lda = s.lda ?? (tA ? M : K);
  const ldb = s.ldb ?? (tB ? K : N);
  const ldc = s.ldc ?? N;
  const sz = { a: (tA ? K : M) * lda, b: (tB ? N : K) * ldb, c: M * ldc };
  const st = (v: number | readonly [number, number] | undefined, size: number): [number, number] =>
    v === undefined ? [size * bi, size] : typeof v === 'number' ? [v * bi, v] : [v[0], v[1]];
  const sA = st(s.strideA, sz.a);
  const sB = st(s.strideB, sz.b);
  const sC = st(s.strideC, sz.c);
  const alpha = s.alpha ?? 1;
  for (let zo = 0; zo < bo; zo++) {
    for (let zi = 0; zi < bi; zi++) {
      const ba = (s.offsetA ?? 0) + zo * sA[0] + zi * sA[1];
      const bb = (s.offsetB ?? 0) + zo * sB[0] + zi * sB[1];
      const bc = (s.offsetC ?? 0) + zo * sC[0] + zi * sC[1];
      for (let m = 0; m < M; m++) {
        for (let n = 0; n < N; n++) {
          let acc = 0;
          for (let k = 0; k < K; k++) {
            const av = a[tA ? ba + k * lda + m : ba + m * lda + k]!;
            const bv = b[tB ? bb + n * ldb + k : bb + k * ldb + n]!;
            acc += av * bv;
          }
          let v = alpha * acc;
          if (bias) v += bias[(s.offsetBias ?? 0) + n]!;
          const ci = bc + m * ldc + n;
          if (s.accumulate) v += c[ci]!;
          c[ci] = v;
        }
      }
    }
  }
  return c;
}

/** Sum over k of |op(A)[m,k]| * |op(B)[k,n]| * |alpha| (+ |bias| + |C|): the scale an f32 error is relative to. */
export function matmulAbsRef(s: RefMatmul, a: Arr, b: Arr, c: Float64Array, bias?: Arr): Float64Array {
  const abs = (x: Arr): Float64Array => Float64Array.from(x as ArrayLike<number>, Math.abs);
  for (let i = 0; i < c.length; i++) c[i] = Math.abs(c[i]!);
  return matmulRef({ ...s, alpha: Math.abs(s.alpha ?? 1) }, abs(a), abs(b), c, bias ? abs(bias) : undefined);
}
