// The .kernel compiler: text -> checked Kernel IR. `checkKernel` never throws; `compileKernel`
// throws KernelSyntaxError or KernelCheckError carrying every diagnostic.
import { formatDiagnostics, hasErrors, parse, sortDiagnostics, textProblem, type Diagnostic } from '../grammar/index.ts';
import type { KernelSpec } from '../specs/types/kernel.ts';
import { checkAst, type Overrides } from './check/index.ts';
import { KernelCheckError, KernelSyntaxError } from './errors.ts';

export { KernelCheckError, KernelSyntaxError } from './errors.ts';
export { formatKernel } from './format.ts';
export { formatDiagnostics };
export type { Diagnostic, Overrides };

export interface CompileOptions {
  /** The file name diagnostics and `source.path` show; '<string>' by default. */
  path?: string;
  /** `--set name=value` overrides, checked against each param's type and range. */
  params?: Overrides;
}

export interface CheckResult {
  /** Present exactly when there is no error. */
  spec?: KernelSpec;
  /** Errors and warnings in source order. */
  diagnostics: Diagnostic[];
}

/** Parses, checks and lowers a kernel; every problem comes back as a diagnostic. Never throws. */
export function checkKernel(text: string, opts: CompileOptions = {}): CheckResult {
  const path = opts.path ?? '<string>';
  const notText = textProblem(text, path);
  if (notText) return { diagnostics: [notText] };
  // A UTF-8 byte-order mark is accepted: read as a space, so offsets and columns stay those of the text.
  if (text.charCodeAt(0) === 0xfeff) text = ' ' + text.slice(1);
  try {
    const parsed = parse(text, path);
    const checked = checkAst(parsed.ast, { text, partial: hasErrors(parsed.diagnostics), ...(opts.params ? { params: opts.params } : {}) });
    const diagnostics = sortDiagnostics([...parsed.diagnostics, ...checked.diagnostics]);
    if (hasErrors(diagnostics) || !checked.spec) {
      if (!hasErrors(diagnostics)) diagnostics.push(internal(path, 'the kernel could not be compiled, and no check said why'));
      return { diagnostics };
    }
    return { spec: checked.spec, diagnostics };
  } catch (err) {
    if (err instanceof RangeError) {
      // Deep enough to parse, too deep for the recursive checks: say so, as a value.
      const d = internal(path, '');
      return { diagnostics: [{ ...d, code: 'too-deep', message: 'an expression nests too deeply to be checked (thousands of levels); simplify it' }] };
    }
    return { diagnostics: [internal(path, (err as Error)?.message ?? String(err))] };
  }
}

function internal(file: string, message: string): Diagnostic {
  return {
    file, line: 1, column: 1, endLine: 1, endColumn: 2, offset: 0, endOffset: 1,
    severity: 'error', code: 'internal', message: `internal error: ${message}; please report this with the kernel file`,
  };
}

/** Like checkKernel, but returns the spec or throws KernelSyntaxError / KernelCheckError. */
export function compileKernel(text: string, opts: CompileOptions = {}): KernelSpec {
  const r = checkKernel(text, opts);
  if (r.spec) return r.spec;
  const Err = r.diagnostics.some((d) => d.code === 'syntax') ? KernelSyntaxError : KernelCheckError;
  throw new Err(r.diagnostics, text);
}
