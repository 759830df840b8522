// text -> { ast, diagnostics }. Never throws: lexer errors, every syntax error found by the
// recovering parser, and the (possibly partial) tree all come back as values.
import { EOF, type IRecognitionException, type IToken, type ILexingError, type TokenType } from 'chevrotain';
import { allTokens, BlockComment, Comment, SingleQuoted } from './lexer/index.ts';
import { kernelLexer } from './lexer/index.ts';
import { kernelParser } from './parser.ts';
import { decode, explain } from './messages.ts';
import { AstBuilder, tokenLoc } from './cst-to-ast.ts';
import { diagnostic, sortDiagnostics, type Diagnostic } from './diagnostics.ts';
import type * as A from './ast.ts';
import { MAX_KERNEL_BYTES } from '../compiler/limits.ts';

const tokenTypes: Record<string, TokenType> = Object.fromEntries(allTokens.map((t) => [t.name, t]));

export interface ParseResult {
  ast: A.KernelFile;
  diagnostics: Diagnostic[];
}

/** Line and column (1-based) of a 0-based offset. */
function position(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

function pointLoc(text: string, offset: number, length = 1): A.Loc {
  const a = position(text, offset);
  return { line: a.line, column: a.column, endLine: a.line, endColumn: a.column + length, offset, endOffset: offset + length };
}

/** Just after a token: where a missing piece belongs. */
function afterLoc(t: IToken): A.Loc {
  const l = tokenLoc(t);
  return { line: l.endLine, column: l.endColumn, endLine: l.endLine, endColumn: l.endColumn + 1, offset: l.endOffset, endOffset: l.endOffset + 1 };
}

function lexMessage(text: string, e: ILexingError): string {
  const chars = text.slice(e.offset, e.offset + e.length);
  const c = chars[0] ?? '';
  const what = chars.length > 1 ? `unexpected characters '${chars}'` : `unexpected character '${c}'`;
  if (c === '#') return `${what}: comments start with //`;
  if (/[^\x00-\x7f]/.test(c)) return `${what}: names use the letters A-Z and a-z, digits and _`;
  return what;
}

/** Characters that never occur in text: C0 controls but tab, newline and carriage return; DEL; C1 controls; U+FFFD (what undecodable bytes became). */
const NOT_TEXT = /[\u0000-\u0008\u000b\u000e-\u001f\u007f-\u009f\ufffd]/;

/** One diagnostic when `text` is too long or is not text at all (binary, UTF-16, Latin-1); else undefined. */
export function textProblem(text: string, file: string): Diagnostic | undefined {
  const at = (offset: number): Diagnostic => {
    const before = text.slice(0, offset);
    const line = before.split('\n').length;
    const column = offset - before.lastIndexOf('\n');
    return { file, line, column, endLine: line, endColumn: column + 1, offset, endOffset: offset + 1, severity: 'error', code: 'syntax', message: '' };
  };
  if (text.length > MAX_KERNEL_BYTES) {
    return { ...at(0), code: 'syntax', message: `the file is ${text.length} characters, more than the limit ${MAX_KERNEL_BYTES} for a .kernel file (docs/limits.md); a kernel is a few hundred lines` };
  }
  const m = NOT_TEXT.exec(text);
  if (!m) return undefined;
  const c = m[0].charCodeAt(0);
  const utf16 = text.charCodeAt(1) === 0 || text.charCodeAt(0) === 0 || text.startsWith('\ufffd\ufffd');
  const what = c === 0xfffd ? 'bytes that are not UTF-8' : `the control character U+${c.toString(16).toUpperCase().padStart(4, '0')}`;
  const d = at(m.index);
  return {
    ...d,
    message: `not UTF-8 text: ${what} at line ${d.line}, column ${d.column}; a .kernel file is UTF-8 text` +
      (utf16 ? ' (this looks like UTF-16: convert it, e.g. iconv -f UTF-16 -t UTF-8)' : ''),
  };
}

const isReal = (t: IToken | undefined): t is IToken => !!t && t.tokenType !== EOF && Number.isFinite(t.startOffset) && !t.isInsertedInRecovery;

export function parse(text: string, path = '<string>'): ParseResult {
  const notText = textProblem(text, path);
  if (notText) return { ast: { kind: 'file', path, statements: [], comments: [], loc: pointLoc(text, 0, 0) }, diagnostics: [notText] };
  // A UTF-8 byte-order mark is accepted: read as a space, so offsets and columns stay those of the text.
  if (text.charCodeAt(0) === 0xfeff) text = ' ' + text.slice(1);
  try {
    return parseOrThrow(text, path);
  } catch (err) {
    // Recursion runs out on absurdly deep nesting (thousands of parentheses or minus signs);
    // anything else would be a bug. Either way the caller gets a value, not an exception.
    const deep = err instanceof RangeError;
    const at = deep ? deepestPoint(text) : 0;
    const message = deep
      ? 'this expression nests too deeply to be read (thousands of parentheses, signs or powers); simplify it'
      : `internal error in the parser: ${(err as Error)?.message ?? String(err)}; please report this with the file`;
    const ast: A.KernelFile = { kind: 'file', path, statements: [], comments: [], loc: pointLoc(text, 0, text.length) };
    return { ast, diagnostics: [diagnostic(path, pointLoc(text, at, 1), deep ? 'syntax' : 'internal', message)] };
  }
}

/** The offset where brackets and prefix operators nest deepest: where to point at a too-deep expression. */
function deepestPoint(text: string): number {
  let depth = 0;
  let best = 0;
  let at = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '(' || c === '[' || c === '-' || c === '!' || c === '^') depth++;
    else if (c === ')' || c === ']') depth = Math.max(0, depth - 1);
    else if (c === '\n') depth = 0;
    if (depth > best) {
      best = depth;
      at = i;
    }
  }
  return at;
}

function parseOrThrow(text: string, path: string): ParseResult {
  const diags: Diagnostic[] = [];
  const lexed = kernelLexer.tokenize(text);
  for (const e of lexed.errors) {
    const loc = pointLoc(text, e.offset, Math.max(1, e.length));
    diags.push(diagnostic(path, loc, 'syntax', lexMessage(text, e)));
  }
  for (const t of (lexed.groups['errors'] ?? []) as IToken[]) {
    const message =
      t.tokenType === BlockComment
        ? 'block comments /* ... */ are not part of the language: start each comment line with //'
        : t.tokenType === SingleQuoted
          ? `strings use double quotes: write "${t.image.replace(/^'|'$/g, '')}"`
          : `this string is not closed: add '"' before the end of the line`;
    diags.push(diagnostic(path, tokenLoc(t), 'syntax', message));
  }
  const comments: A.Comment[] = ((lexed.groups['comments'] ?? []) as IToken[])
    .filter((t) => t.tokenType === Comment)
    .map((t) => ({ text: t.image.replace(/\s+$/, ''), loc: tokenLoc(t) }));

  // chevrotain signals syntax errors with exceptions it catches itself; their stack traces are
  // never read, and capturing them was a tenth of the time on broken input.
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  let cst: ReturnType<typeof kernelParser.kernelFile>;
  try {
    kernelParser.input = lexed.tokens;
    cst = kernelParser.kernelFile();
  } finally {
    Error.stackTraceLimit = limit;
  }
  const lastReal = [...lexed.tokens].reverse().find(isReal);
  const endLoc = lastReal ? afterLoc(lastReal) : pointLoc(text, 0, 0);
  const seen = new Set<number>();
  /** Where each in-statement error happened: the last token the parser consumed. */
  const anchors: number[] = [];
  for (const err of kernelParser.errors as IRecognitionException[]) {
    const ex = err as IRecognitionException & { previousToken?: IToken };
    const info = decode(ex.message);
    const actual = ex.token;
    // The token before the error: chevrotain records it for mismatches; otherwise look it up.
    let previous = isReal(ex.previousToken) ? ex.previousToken : undefined;
    if (!previous && isReal(actual)) previous = [...lexed.tokens].reverse().find((t) => t.startOffset < actual.startOffset);
    if (!previous && !isReal(actual)) previous = lastReal;
    const message = explain({ info, ruleStack: ex.context?.ruleStack ?? [], actual, previous, tokens: tokenTypes, raw: ex.message });
    const topLevel = info?.kind === 'mismatch' && info.expected === 'EOF';
    // A piece missing at the end of a line belongs after the last token of that line, not at
    // the start of the next statement.
    let loc: A.Loc;
    if (!isReal(actual)) loc = previous ? afterLoc(previous) : endLoc;
    else if (!topLevel && previous && actual.startLine! > previous.endLine!) loc = afterLoc(previous);
    else loc = tokenLoc(actual);
    if (!topLevel && previous) anchors.push(previous.startOffset);
    if (seen.has(loc.offset)) continue;
    seen.add(loc.offset);
    diags.push(diagnostic(path, loc, 'syntax', message));
  }

  const builder = new AstBuilder(endLoc);
  const ast = builder.file(cst, path, comments, text.length);
  for (const s of ast.statements) {
    if (anchors.some((a) => a >= s.loc.offset && a < s.loc.endOffset)) s.recovered = true;
  }
  return { ast, diagnostics: sortDiagnostics(diags) };
}
