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

/** Control characters shown as U+FFFD: a diagnostic never sends raw escape bytes to a terminal. */
const visible = (s: string) => s.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '\ufffd');

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
    out.push(visible(`${d.file}:${d.line}:${d.column}: ${d.severity}: ${d.message}`));
    let src = lines[d.line - 1];
    // A file that is not text (or is too large) has no line worth showing.
    if (src === undefined || /^not UTF-8 text|^the file is \d+ characters/.test(d.message)) continue;
    const gutter = String(d.line).length;
    let start = Math.max(0, Math.min(d.column - 1, src.length));
    let end = d.endLine === d.line ? Math.max(start + 1, Math.min(d.endColumn - 1, src.length)) : Math.max(start + 1, src.length);
    if (src.length > 160) {
      // A very long line (minified or binary): show 160 characters around the point.
      const from = Math.max(0, start - 60);
      src = src.slice(from, from + 160);
      start -= from;
      end = Math.min(end - from, src.length);
    }
    src = visible(src);
    // Keep tabs so the caret lines up under tab-indented text.
    const pad = src.slice(0, start).replace(/[^\t]/g, ' ');
    out.push(`  ${String(d.line)} | ${src}`);
    out.push(`  ${' '.repeat(gutter)} | ${pad}${'^'.repeat(Math.max(1, end - start))}`);
  }
  return out.join('\n');
}
