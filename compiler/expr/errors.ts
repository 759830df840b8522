// The one error type of the expression algebra. The IR carries no source locations, so an
// ExprError says *what* and *where in t* in words; the checker adds the file location.
import type { Expr } from '../../specs/types/kernel.ts';

export class ExprError extends Error {
  override readonly name: string = 'ExprError';
  /** The sub-expression the message is about, when there is one. */
  readonly expr: Expr | undefined;
  /** The time at which the problem shows, when it depends on t. */
  readonly t: number | undefined;
  constructor(message: string, opts: { expr?: Expr; t?: number } = {}) {
    super(message);
    this.expr = opts.expr;
    this.t = opts.t;
  }
}
