// The errors compileKernel throws. Each carries every diagnostic (file, line, column, message)
// and the source text, so a caller can print them with their source lines.
import { formatDiagnostics, type Diagnostic } from '../grammar/index.ts';

abstract class KernelError extends Error {
  constructor(
    readonly diagnostics: Diagnostic[],
    readonly text: string,
  ) {
    const errors = diagnostics.filter((d) => d.severity === 'error');
    super(`${errors.length} error${errors.length === 1 ? '' : 's'} in ${errors[0]?.file ?? 'the kernel'}:\n${formatDiagnostics(errors, text)}`);
  }
  /** Every diagnostic with its source line and caret. */
  format(): string {
    return formatDiagnostics(this.diagnostics, this.text);
  }
}

/** The text is not a well-formed .kernel file (the diagnostics may include semantic errors too). */
export class KernelSyntaxError extends KernelError {
  override readonly name = 'KernelSyntaxError';
}

/** The file parses but breaks a rule of the language (unknown name, bad range, weights, ...). */
export class KernelCheckError extends KernelError {
  override readonly name = 'KernelCheckError';
}
