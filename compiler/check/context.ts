// What every check shares: the diagnostics sink, the declared names, and the parameter values
// in force. Checks report through `error`/`warn` and keep going, so one pass finds everything.
import type * as A from '../../grammar/index.ts';
import { diagnostic, type Diagnostic } from '../../grammar/index.ts';
import type { Param } from '../../specs/types/kernel.ts';

export type ParamValue = number | boolean;

export interface ParamInfo {
  decl: A.ParamDecl;
  name: string;
  type: 'int' | 'real' | 'bool';
  /** The value in force (default or override); undefined when the declaration is broken. */
  value: ParamValue | undefined;
  /** The IR record, once the declaration checked out. */
  ir?: Param;
}

export class CheckContext {
  readonly diagnostics: Diagnostic[] = [];
  readonly params = new Map<string, ParamInfo>();
  readonly graphs = new Map<string, A.GraphDecl>();
  /** Params and graphs some expression or channel refers to. */
  readonly used = new Set<string>();

  /** `partial`: the parse had errors, so a statement may be missing only because it was skipped. */
  constructor(
    readonly path: string,
    readonly partial = false,
  ) {}

  error(loc: A.Loc, code: string, message: string): void {
    this.diagnostics.push(diagnostic(this.path, loc, code, message, 'error'));
  }

  warn(loc: A.Loc, code: string, message: string): void {
    this.diagnostics.push(diagnostic(this.path, loc, code, message, 'warning'));
  }

  /** Values of every param that has one: the environment of constant evaluation and range checks. */
  paramValues(): Record<string, ParamValue> {
    // Kept up to date by setValue, not rebuilt: checks call this once per expression, and
    // rebuilding it each time made a kernel with thousands of params quadratic.
    return this.values;
  }

  private readonly values: Record<string, ParamValue> = Object.create(null) as Record<string, ParamValue>;

  /** Sets (or clears) the value in force of a param; use this, not `info.value =`, so paramValues stays current. */
  setValue(info: ParamInfo, value: ParamValue | undefined): void {
    info.value = value;
    if (value === undefined) delete this.values[info.name];
    else this.values[info.name] = value;
  }

  /** True when every param an expression names has a value (else its own error was reported). */
  hasValues(names: Iterable<string>): boolean {
    for (const n of names) if (this.params.get(n)?.value === undefined) return false;
    return true;
  }
}

export const errorCount = (ctx: CheckContext) => ctx.diagnostics.filter((d) => d.severity === 'error').length;
