// A linear layer y = x W + b with W stored [in, out] (row-major, K x N for the matmul), its
// parameters in a ParamRegistry. Every matmul goes through runtime/nn/matmul (encodeMatmul):
//   forward   y  = x W (+ b)            M = rows, N = out, K = in
//   backward  dW += x^T dy              transA: x is stored K x M = [rows, in]
//             db += column sums of dy   (deterministic, ops/colsum.ts)
//             dx (+)= dy W^T            transB: W is stored N x K = [in, out]
import type { Recorder } from '../gpu/index.ts';
import { encodeMatmul, prepareMatmul } from './matmul/index.ts';
import { expectDense } from './bind.ts';
import { NnError } from './errors.ts';
import { columnSum } from './ops/colsum.ts';
import type { Param, ParamRegistry } from './params.ts';
import { numel, type Tensor } from './tensor.ts';

export interface LinearOptions {
  bias?: boolean;
  /** Standard deviation of the (truncated normal) initial weights; default 1 / sqrt(in). 0 = zeros. */
  std?: number;
  /** Weight decay on W (default true). */
  decay?: boolean;
}

export class Linear {
  readonly weight: Param;
  readonly bias?: Param;

  constructor(reg: ParamRegistry, readonly name: string, readonly inFeatures: number, readonly outFeatures: number, opts: LinearOptions = {}) {
    const std = opts.std ?? 1 / Math.sqrt(inFeatures);
    this.weight = reg.add(`${name}.weight`, {
      shape: [inFeatures, outFeatures],
      init: std > 0 ? { kind: 'normal', std } : { kind: 'zeros' },
      decay: opts.decay ?? true,
    });
    if (opts.bias ?? true) this.bias = reg.add(`${name}.bias`, { shape: [outFeatures], decay: false });
  }

  private rows(op: string, field: string, t: Tensor, width: number): number {
    expectDense(op, field, t);
    const last = t.shape[t.shape.length - 1];
    if (last !== width) throw new NnError(op, field, `last dimension must be ${width}, got [${t.shape}]`);
    return numel(t.shape) / width;
  }

  /** y = x W + b; x is [..., in], y is [..., out] (dense). */
  forward(rec: Recorder, x: Tensor, y: Tensor): void {
    const op = `${this.name}.forward`;
    const M = this.rows(op, 'x', x, this.inFeatures);
    if (this.rows(op, 'y', y, this.outFeatures) !== M) throw new NnError(op, 'y', `expected ${M} rows, got [${y.shape}]`);
    encodeMatmul(rec, {
      a: x, b: this.weight.value, c: y, bias: this.bias?.value,
      M, N: this.outFeatures, K: this.inFeatures,
    });
  }

  /**
   * Adds the parameter gradients (dW, db) and, when `dx` is given, writes dy W^T into it (adds
   * with `accumulateDx`, e.g. into a residual stream's gradient).
   */
  backward(rec: Recorder, a: { x: Tensor; dy: Tensor; dx?: Tensor; accumulateDx?: boolean }): void {
    const op = `${this.name}.backward`;
    const M = this.rows(op, 'x', a.x, this.inFeatures);
    if (this.rows(op, 'dy', a.dy, this.outFeatures) !== M) throw new NnError(op, 'dy', `expected ${M} rows, got [${a.dy.shape}]`);
    encodeMatmul(rec, {
      a: a.x, b: a.dy, c: this.weight.grad,
      M: this.inFeatures, N: this.outFeatures, K: M, transA: true, accumulate: true,
    });
    if (this.bias) columnSum(rec, a.dy, this.bias.grad, { accumulate: true });
    if (a.dx) {
      if (this.rows(op, 'dx', a.dx, this.inFeatures) !== M) throw new NnError(op, 'dx', `expected ${M} rows, got [${a.dx.shape}]`);
      encodeMatmul(rec, {
        a: a.dy, b: this.weight.value, c: a.dx,
        M, N: this.inFeatures, K: this.outFeatures, transB: true, accumulate: !!a.accumulateDx,
      });
    }
  }

  /** Compiles (and lets the matmul layer tune) the three products for `rows` rows, ahead of a step. */
  async prepare(rec: Recorder, rows: number): Promise<void> {
    const [I, O] = [this.inFeatures, this.outFeatures];
    await prepareMatmul(rec.gpu, { M: rows, N: O, K: I, hasBias: !!this.bias });
    await prepareMatmul(rec.gpu, { M: I, N: O, K: rows, transA: true, accumulate: true });
    await prepareMatmul(rec.gpu, { M: rows, N: I, K: O, transB: true });
    await prepareMatmul(rec.gpu, { M: rows, N: I, K: O, transB: true, accumulate: true });
  }
}
