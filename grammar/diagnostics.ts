// Diagnostics are values with locations until the CLI prints them. One shape for syntax and
// semantic errors, so a file's problems are reported together, in source order.
import type { Loc } from './ast.ts';

export type Severity = 'error' | 'warning';

export interface Diagnostic extends Loc {
  severity: Severity;
  /** Stable id of the check that produced it, e.g. `syntax`, `unknown-name`, `weights-sum`. */
  code: string;
  message: string;
  file: string;
}

export function diagnostic(file: string, loc: Loc, code: string, message: string, severity: Severity = 'error'): Diagnostic {
  return { ...loc, severity, code, message, file };
}

/** Source order, errors before warnings at the same place. */
export function sortDiagnostics(diags: Diagnostic[]): Diagnostic[] {
  return [...diags].sort((a, b) => a.offset - b.offset || (a.severity === b.severity ? 0 : a.severity === 'error' ? -1 : 1));
}

export const hasErrors = (diags: readonly Diagnostic[]) => diags.some((d) => d.severity === 'error');

/**
 * `file:line:col: error: message`, then the source line and a caret under the span:
 *
 *     kernels/x.kernel:4:10: error: unknown schedule 'loglinaer'; did you mean 'loglinear'?
 *       4 | schedule loglinaer(eps = 1e-3)
 *         |          ^^^^^^^^^
 */
export function formatDiagnostics(diags: readonly Diagnostic[], text: string): string {
  const lines = text.split(/\r?\n/);
  const out: string[] = [];
  for (const d of diags) {
    out.push(`${d.file}:${d.line}:${d.column}: ${d.severity}: ${d.message}`);
    const src = lines[d.line - 1];
    if (src === undefined) continue;
    const gutter = String(d.line).length;
    const start = Math.max(0, Math.min(d.column - 1, src.length));
    const end = d.endLine === d.line ? Math.max(start + 1, Math.min(d.endColumn - 1, src.length)) : Math.max(start + 1, src.length);
    // Keep tabs so the caret lines up under tab-indented text.
    const pad = src.slice(0, start).replace(/[^\t]/g, ' ');
    out.push(`  ${String(d.line)} | ${src}`);
    out.push(`  ${' '.repeat(gutter)} | ${pad}${'^'.repeat(end - start)}`);
  }
  return out.join('\n');
}
