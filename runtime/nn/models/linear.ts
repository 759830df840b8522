// A linear layer y = x W^T (+ b) with PyTorch's [out, in] weight, and its three gradients, as
// matmuls (runtime/nn/matmul):
//   forward  y[M, out]   = x[M, in] W^T           (transB)
//   dx[M, in]            = dy[M, out] W
//   dW[out, in]          = dy^T x                 (transA)
//   db[out]              = 1^T dy                 (a [1, M] row of ones times dy)
// The bias gradient as a product with ones keeps the sum's order fixed (deterministic) without a
// dedicated column-sum op. WORKAROUND (runtime/nn owner): a row-sum op over [M, out] would read dy
// once with a better access pattern; replace `biasGrad` when one exists.
import type { Gpu, Recorder } from '../../gpu/index.ts';
import { encodeMatmul } from '../matmul/index.ts';
import type { Tensor } from '../tensor.ts';

export interface LinearDims {
  /** Rows (positions). */
  readonly M: number;
  readonly nIn: number;
  readonly nOut: number;
}

/** y = x W^T (+ b); `accumulate` adds to y. */
export function linearForward(rec: Recorder, x: Tensor, W: Tensor, b: Tensor | undefined, y: Tensor, dims: LinearDims, accumulate = false): void {
  encodeMatmul(rec, { M: dims.M, N: dims.nOut, K: dims.nIn, transB: true, a: x, b: W, c: y, ...(b ? { bias: b } : {}), accumulate });
}

/** dx = dy W (+ dx with `accumulate`). */
export function linearInputGrad(rec: Recorder, dy: Tensor, W: Tensor, dx: Tensor, dims: LinearDims, accumulate = false): void {
  encodeMatmul(rec, { M: dims.M, N: dims.nIn, K: dims.nOut, a: dy, b: W, c: dx, accumulate });
}

/** dW = dy^T x (+ dW with `accumulate`). */
export function linearWeightGrad(rec: Recorder, dy: Tensor, x: Tensor, dW: Tensor, dims: LinearDims, accumulate = false): void {
  encodeMatmul(rec, { M: dims.nOut, N: dims.nIn, K: dims.M, transA: true, a: dy, b: x, c: dW, accumulate });
}

/** db = column sums of dy[M, out] (+ db with `accumulate`); `ones` holds at least M ones. */
export function biasGrad(rec: Recorder, dy: Tensor, ones: Tensor, db: Tensor, dims: LinearDims, accumulate = false): void {
  encodeMatmul(rec, { M: 1, N: dims.nOut, K: dims.M, a: ones, b: dy, c: db, accumulate });
}

const STORAGE = 0x80;
const COPY_DST = 0x08;

/** A buffer of ones, grown on demand (for biasGrad). */
export class Ones {
  private buffer: GPUBuffer | undefined;
  private n = 0;
  // Outgrown buffers may still be bound in a recording not yet submitted: kept until destroy().
  private retired: GPUBuffer[] = [];
  constructor(private readonly gpu: Gpu) {}

  /** A tensor of at least `n` ones. */
  get(n: number): Tensor {
    if (!this.buffer || this.n < n) {
      if (this.buffer) this.retired.push(this.buffer);
      this.n = Math.max(n, 2 * this.n, 1024);
      this.buffer = this.gpu.device.createBuffer({ size: this.n * 4, usage: STORAGE | COPY_DST, label: 'ones', mappedAtCreation: true });
      new Float32Array(this.buffer.getMappedRange()).fill(1);
      this.buffer.unmap();
    }
    return { buffer: this.buffer, offset: 0, shape: [n], dtype: 'f32' };
  }

  destroy(): void {
    this.buffer?.destroy();
    for (const b of this.retired) b.destroy();
    this.retired = [];
    this.buffer = undefined;
  }
}
