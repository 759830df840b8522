// Prints syntax-tree pieces in the canonical surface form: single spaces around binary
// operators (none around ^), `name = value` options, the parentheses and number spellings the
// author wrote. Used by the formatter and by messages that quote the source.
import type * as A from '../grammar/index.ts';

export function printExpr(e: A.Expr): string {
  switch (e.kind) {
    case 'number': return e.raw;
    case 'string': return e.raw;
    case 'inf': return 'inf';
    case 'bool': return String(e.value);
    case 'name': return e.name;
    case 'paren': return `(${printExpr(e.inner)})`;
    case 'unary': return `${e.op}${printExpr(e.operand)}`;
    case 'binary': return e.op === '^' ? `${printExpr(e.left)}^${printExpr(e.right)}` : `${printExpr(e.left)} ${e.op} ${printExpr(e.right)}`;
    case 'call': return `${printExpr(e.callee)}${printArgs(e.args)}`;
    case 'index': return `${printExpr(e.target)}[${printExpr(e.index)}]`;
    case 'member': return `${printExpr(e.object)}.${e.member.name}`;
    case 'missing': return '…';
  }
}

export function printArgs(args: A.Arg[]): string {
  return `(${args.map((a) => (a.name ? `${a.name.name} = ` : '') + printExpr(a.value)).join(', ')})`;
}

const opt = (args: A.Arg[] | undefined) => (args ? printArgs(args) : '');
const id = (i: A.Ident | undefined) => i?.name ?? '…';

/** A statement on one line; for a sampler, only its header (without the rules block). */
export function printStatement(s: A.Statement): string {
  switch (s.kind) {
    case 'kernel':
      return `kernel ${id(s.name)}${s.doc ? ` ${s.doc.raw}` : ''}`;
    case 'param': {
      const r = s.range;
      const range = r ? ` in ${r.loOpen ? '(' : '['}${printExpr(r.lo)}, ${printExpr(r.hi)}${r.hiOpen ? ')' : ']'}` : '';
      return `param ${id(s.name)}: ${id(s.type)} = ${printExpr(s.default)}${range}`;
    }
    case 'graph':
      return `graph ${id(s.name)} = ${id(s.builder)}${opt(s.args)}`;
    case 'schedule':
      return `schedule ${id(s.name)}${opt(s.args)}${s.body ? ` = ${printExpr(s.body)}` : ''}`;
    case 'channel':
      return `channel ${id(s.operator)}${opt(s.args)}${s.clauses.map((c) => ` ${c.clause} ${printExpr(c.expr)}`).join('')}`;
    case 'hops':
      return `hops ${printExpr(s.value)}`;
    case 'loss':
      return `loss ${id(s.name)}${opt(s.args)}`;
    case 'sampler':
      return `sampler ${id(s.predictor)}${opt(s.args)}`;
  }
}

export function printRule(r: A.SamplerRule): string {
  switch (r.kind) {
    case 'logit': return `logit[${printExpr(r.index)}] ${r.op ?? '…'} ${printExpr(r.value)}`;
    case 'cache': return 'cache';
    case 'denoise': return `denoise ${id(r.mode)}`;
    case 'value': return `${r.rule} ${printExpr(r.value)}`;
    case 'unknown': {
      const idx = r.index ? `[${printExpr(r.index)}]` : '';
      const op = r.op ? ` ${r.op}` : '';
      const value = r.value ? ` ${printExpr(r.value)}` : '';
      return `${r.name.name}${idx}${op}${value}`;
    }
  }
}
