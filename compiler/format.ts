// `dlmk fmt`: the canonical layout of a .kernel file. One statement a line, sampler rules one a
// line (or `{ a; b }` when short, without logit rules or comments), single blank lines where the
// author left blank lines, trailing comments aligned within a run of commented lines of one
// kind. Every comment is kept: one written inside a statement that spans lines moves above it.
// parse(format(x)) equals parse(x) up to locations, and format is idempotent (both tested).
import { hasErrors, parse } from '../grammar/index.ts';
import type * as A from '../grammar/index.ts';
import { KernelSyntaxError } from './errors.ts';
import { printRule, printStatement } from './print-ast.ts';

const INLINE_BLOCK_MAX = 100;

interface Line {
  indent: number;
  code: string;
  comment?: string;
  /** Trailing comments align within a run of lines of one kind (params, channels, rules...). */
  kind?: string;
}

/** A top-level or in-block item, with the source lines it spans (for blank-line preservation). */
interface Entry {
  at: number;
  startLine: number;
  endLine: number;
  comment?: A.Comment;
  stmt?: A.Statement;
  rule?: A.SamplerRule;
  trailing?: A.Comment;
}

interface SamplerComments {
  header?: A.Comment;
  entries: Entry[];
}

function codeBefore(text: string, c: A.Comment): boolean {
  const lineStart = text.lastIndexOf('\n', c.loc.offset - 1) + 1;
  return text.slice(lineStart, c.loc.offset).trim() !== '';
}

const inside = (loc: A.Loc, c: A.Comment) => loc.offset < c.loc.offset && c.loc.offset < loc.endOffset;

export function formatKernel(text: string, path = '<string>'): string {
  const { ast, diagnostics } = parse(text, path);
  if (hasErrors(diagnostics)) throw new KernelSyntaxError(diagnostics, text);

  const top: Entry[] = ast.statements.map((s) => ({ at: s.loc.offset, startLine: s.loc.line, endLine: s.loc.endLine, stmt: s }));
  const samplers = new Map<A.SamplerDecl, SamplerComments>();
  for (const s of ast.statements) {
    if (s.kind === 'sampler') {
      samplers.set(s, { entries: s.rules.map((r) => ({ at: r.loc.offset, startLine: r.loc.line, endLine: r.loc.endLine, rule: r })) });
    }
  }
  // A comment before the item it is written inside of; `rank` keeps several in source order.
  let rank = 0;
  const before = (owner: { loc: A.Loc }, c: A.Comment): Entry => ({ at: owner.loc.offset - 1 + rank++ * 1e-7, startLine: owner.loc.line, endLine: owner.loc.line, comment: c });

  for (const c of ast.comments) {
    const stmt = ast.statements.find((s) => inside(s.loc, c));
    if (stmt && stmt.kind === 'sampler') {
      const sc = samplers.get(stmt)!;
      const rule = stmt.rules.find((r) => inside(r.loc, c));
      if (rule) {
        sc.entries.push(before(rule, c));
        continue;
      }
      if (codeBefore(text, c)) {
        const prev = [...sc.entries].reverse().find((e) => e.rule && e.rule.loc.endOffset <= c.loc.offset);
        if (prev && prev.endLine === c.loc.line && !prev.trailing) {
          prev.trailing = c;
          continue;
        }
        if (!prev && c.loc.line === stmt.loc.line && !sc.header) {
          sc.header = c;
          continue;
        }
      }
      sc.entries.push({ at: c.loc.offset, startLine: c.loc.line, endLine: c.loc.line, comment: c });
      continue;
    }
    if (stmt) {
      top.push(before(stmt, c));
      continue;
    }
    if (codeBefore(text, c)) {
      const prev = [...top].reverse().find((e) => e.stmt && e.stmt.loc.endOffset <= c.loc.offset);
      if (prev && prev.endLine === c.loc.line && !prev.trailing) {
        prev.trailing = c;
        continue;
      }
    }
    top.push({ at: c.loc.offset, startLine: c.loc.line, endLine: c.loc.line, comment: c });
  }
  const byPosition = (a: Entry, b: Entry) => a.at - b.at;
  top.sort(byPosition);
  for (const sc of samplers.values()) sc.entries.sort(byPosition);

  // Layout: a list of lines (blank lines are `undefined`).
  const lines: Array<Line | undefined> = [];
  let prevEnd: number | undefined;
  for (const e of top) {
    if (prevEnd !== undefined && e.startLine - prevEnd > 1) lines.push(undefined);
    prevEnd = Math.max(e.endLine, e.trailing?.loc.line ?? 0);
    if (e.comment) {
      lines.push({ indent: 0, code: '', comment: e.comment.text });
      continue;
    }
    const s = e.stmt!;
    const trailing = e.trailing?.text;
    const withComment = (l: Line): Line => (trailing ? { ...l, kind: s.kind, comment: trailing } : { ...l, kind: s.kind });
    if (s.kind !== 'sampler') {
      lines.push(withComment({ indent: 0, code: printStatement(s) }));
      continue;
    }
    const sc = samplers.get(s)!;
    const header = printStatement(s);
    const hasComments = !!sc.header || sc.entries.some((x) => x.comment || x.trailing);
    if (!hasComments && s.rules.length === 0) {
      lines.push(withComment({ indent: 0, code: header }));
      continue;
    }
    const inline = `${header} { ${s.rules.map(printRule).join('; ')} }`;
    if (!hasComments && !s.rules.some((r) => r.kind === 'logit') && inline.length <= INLINE_BLOCK_MAX) {
      lines.push(withComment({ indent: 0, code: inline }));
      continue;
    }
    lines.push(sc.header ? { indent: 0, code: `${header} {`, comment: sc.header.text } : { indent: 0, code: `${header} {` });
    for (const x of sc.entries) {
      if (x.comment) lines.push({ indent: 1, code: '', comment: x.comment.text });
      else lines.push(x.trailing ? { indent: 1, kind: 'rule', code: printRule(x.rule!), comment: x.trailing.text } : { indent: 1, kind: 'rule', code: printRule(x.rule!) });
    }
    lines.push(withComment({ indent: 0, code: '}' }));
  }
  return render(lines);
}

/** Aligns trailing comments within runs of consecutive commented lines at one indentation. */
function render(lines: Array<Line | undefined>): string {
  const out: string[] = [];
  let i = 0;
  while (i < lines.length) {
    const l = lines[i];
    if (!l) {
      out.push('');
      i++;
      continue;
    }
    if (!(l.code && l.comment)) {
      out.push('  '.repeat(l.indent) + (l.code || l.comment || ''));
      i++;
      continue;
    }
    let j = i;
    while (j < lines.length && lines[j] && lines[j]!.code && lines[j]!.comment && lines[j]!.indent === l.indent && lines[j]!.kind === l.kind) j++;
    const width = Math.max(...lines.slice(i, j).map((x) => x!.code.length));
    for (let k = i; k < j; k++) {
      const x = lines[k]!;
      out.push('  '.repeat(x.indent) + x.code.padEnd(width) + '  ' + x.comment);
    }
    i = j;
  }
  while (out.length && out[out.length - 1] === '') out.pop();
  return out.length ? out.join('\n') + '\n' : '';
}
