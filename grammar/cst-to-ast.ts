// CST -> AST. Tolerates the partial nodes that error recovery leaves: a token that is absent
// (or was inserted by recovery) becomes an absent optional field, an absent expression becomes a
// `missing` node. Locations come from the real tokens under each node.
import type { CstElement, CstNode, IToken } from 'chevrotain';
import type * as A from './ast.ts';

type Children = Record<string, CstElement[] | undefined>;

const isToken = (e: CstElement): e is IToken => (e as IToken).image !== undefined;
const isReal = (t: IToken) => !t.isInsertedInRecovery && Number.isFinite(t.startOffset);

function nodes(ch: Children, key: string): CstNode[] {
  return (ch[key] ?? []).filter((e): e is CstNode => !isToken(e));
}
function tokens(ch: Children, key: string): IToken[] {
  return (ch[key] ?? []).filter((e): e is IToken => isToken(e) && isReal(e));
}
function firstNode(ch: Children, key: string): CstNode | undefined {
  for (const e of ch[key] ?? []) if (!isToken(e)) return e;
  return undefined;
}
function firstToken(ch: Children, key: string): IToken | undefined {
  for (const e of ch[key] ?? []) if (isToken(e) && isReal(e)) return e;
  return undefined;
}

export function tokenLoc(t: IToken): A.Loc {
  return {
    line: t.startLine ?? 1,
    column: t.startColumn ?? 1,
    endLine: t.endLine ?? t.startLine ?? 1,
    endColumn: (t.endColumn ?? t.startColumn ?? 0) + 1,
    offset: t.startOffset,
    endOffset: (t.endOffset ?? t.startOffset) + 1,
  };
}

/** Binding strength of the flat binary operators (`^` is parsed in `postfix`). */
const PRECEDENCE: Record<A.BinaryOp, number> = {
  '||': 1,
  '&&': 2,
  '<': 3, '<=': 3, '>': 3, '>=': 3, '==': 3, '!=': 3,
  '+': 4, '-': 4,
  '*': 5, '/': 5,
  '^': 6,
};

function joinLoc(a: A.Loc, b: A.Loc): A.Loc {
  return { line: a.line, column: a.column, offset: a.offset, endLine: b.endLine, endColumn: b.endColumn, endOffset: b.endOffset };
}

export class AstBuilder {
  constructor(private readonly fallback: A.Loc) {}

  /** chevrotain tracks each node's span over its real tokens (recovery-inserted ones have NaN). */
  loc(e: CstElement | undefined, fallback: A.Loc = this.fallback): A.Loc {
    if (!e) return fallback;
    if (isToken(e)) return isReal(e) ? tokenLoc(e) : fallback;
    const l = e.location;
    if (!l || !Number.isFinite(l.startOffset) || !Number.isFinite(l.endOffset)) return fallback;
    return {
      line: l.startLine!,
      column: l.startColumn!,
      endLine: l.endLine!,
      endColumn: l.endColumn! + 1,
      offset: l.startOffset,
      endOffset: l.endOffset! + 1,
    };
  }

  ident(t: IToken | undefined): A.Ident | undefined {
    return t ? { name: t.image, loc: tokenLoc(t) } : undefined;
  }

  missing(loc: A.Loc): A.MissingExpr {
    return { kind: 'missing', loc };
  }

  // ─── statements ──────────────────────────────────────────────────────────────────────────

  file(cst: CstNode, path: string, comments: A.Comment[], textLength: number): A.KernelFile {
    const statements: A.Statement[] = [];
    for (const st of nodes(cst.children, 'statement')) {
      const s = this.statement(st);
      if (s) statements.push(s);
    }
    for (const s of statements) {
      if (s.kind !== 'param') continue;
      const c = comments.find((c) => c.loc.line === s.loc.endLine && c.loc.offset >= s.loc.endOffset);
      if (c) {
        const doc = c.text.replace(/^\/\/\s?/, '').trim();
        if (doc) s.doc = doc;
      }
    }
    const end = this.fallback;
    return {
      kind: 'file',
      path,
      statements,
      comments,
      loc: { line: 1, column: 1, offset: 0, endLine: end.endLine, endColumn: end.endColumn, endOffset: textLength },
    };
  }

  statement(st: CstNode): A.Statement | undefined {
    const ch = st.children as Children;
    const pick = (key: string) => firstNode(ch, key);
    let n: CstNode | undefined;
    if ((n = pick('kernelDecl'))) return this.kernelDecl(n);
    if ((n = pick('paramDecl'))) return this.paramDecl(n);
    if ((n = pick('graphDecl'))) return this.graphDecl(n);
    if ((n = pick('scheduleDecl'))) return this.scheduleDecl(n);
    if ((n = pick('channelDecl'))) return this.channelDecl(n);
    if ((n = pick('hopsDecl'))) return this.hopsDecl(n);
    if ((n = pick('lossDecl'))) return this.lossDecl(n);
    if ((n = pick('samplerDecl'))) return this.samplerDecl(n);
    return undefined;
  }

  kernelDecl(n: CstNode): A.KernelDecl {
    const ch = n.children as Children;
    const docTok = firstToken(ch, 'doc');
    const out: A.KernelDecl = { kind: 'kernel', loc: this.loc(n) };
    const name = this.ident(firstToken(ch, 'name'));
    if (name) out.name = name;
    if (docTok) out.doc = { value: unescapeString(docTok.image), raw: docTok.image, loc: tokenLoc(docTok) };
    return out;
  }

  paramDecl(n: CstNode): A.ParamDecl {
    const ch = n.children as Children;
    const loc = this.loc(n);
    const out: A.ParamDecl = { kind: 'param', loc, default: this.expr(firstNode(ch, 'default'), loc) };
    const name = this.ident(firstToken(ch, 'name'));
    const type = this.ident(firstToken(ch, 'type'));
    if (name) out.name = name;
    if (type) out.type = type;
    const r = firstNode(ch, 'range');
    if (r) out.range = this.range(r);
    return out;
  }

  range(n: CstNode): A.RangeNode {
    const ch = n.children as Children;
    const loc = this.loc(n);
    const open = firstToken(ch, 'open');
    const close = firstToken(ch, 'close');
    return {
      loc,
      loOpen: open?.image === '(',
      lo: this.expr(firstNode(ch, 'lo'), loc),
      hi: this.expr(firstNode(ch, 'hi'), loc),
      hiOpen: close?.image === ')',
    };
  }

  graphDecl(n: CstNode): A.GraphDecl {
    const ch = n.children as Children;
    const out: A.GraphDecl = { kind: 'graph', loc: this.loc(n) };
    const name = this.ident(firstToken(ch, 'name'));
    const builder = this.ident(firstToken(ch, 'builder'));
    if (name) out.name = name;
    if (builder) out.builder = builder;
    const args = firstNode(ch, 'argList');
    if (args) out.args = this.argList(args);
    return out;
  }

  scheduleDecl(n: CstNode): A.ScheduleDecl {
    const ch = n.children as Children;
    const loc = this.loc(n);
    const out: A.ScheduleDecl = { kind: 'schedule', loc };
    const name = this.ident(firstToken(ch, 'name'));
    if (name) out.name = name;
    const args = firstNode(ch, 'argList');
    if (args) out.args = this.argList(args);
    if (ch['Equals']?.length) out.body = this.expr(firstNode(ch, 'body'), loc);
    return out;
  }

  channelDecl(n: CstNode): A.ChannelDecl {
    const ch = n.children as Children;
    const out: A.ChannelDecl = { kind: 'channel', loc: this.loc(n), clauses: [] };
    const op = this.ident(firstToken(ch, 'operator'));
    if (op) out.operator = op;
    const args = firstNode(ch, 'argList');
    if (args) out.args = this.argList(args);
    for (const c of nodes(ch, 'channelClause')) {
      const cc = c.children as Children;
      const kw = firstToken(cc, 'clause');
      if (!kw) continue;
      const loc = this.loc(c);
      out.clauses.push({ clause: kw.image === 'rate' ? 'rate' : 'weight', expr: this.expr(firstNode(cc, 'expression'), loc), loc });
    }
    return out;
  }

  hopsDecl(n: CstNode): A.HopsDecl {
    const ch = n.children as Children;
    const loc = this.loc(n);
    return { kind: 'hops', loc, value: this.expr(firstNode(ch, 'expression'), loc) };
  }

  lossDecl(n: CstNode): A.LossDecl {
    const ch = n.children as Children;
    const out: A.LossDecl = { kind: 'loss', loc: this.loc(n) };
    const name = this.ident(firstToken(ch, 'name'));
    if (name) out.name = name;
    const args = firstNode(ch, 'argList');
    if (args) out.args = this.argList(args);
    return out;
  }

  samplerDecl(n: CstNode): A.SamplerDecl {
    const ch = n.children as Children;
    const out: A.SamplerDecl = { kind: 'sampler', loc: this.loc(n), rules: [] };
    const p = this.ident(firstToken(ch, 'predictor'));
    if (p) out.predictor = p;
    const args = firstNode(ch, 'argList');
    if (args) out.args = this.argList(args);
    for (const r of nodes(ch, 'samplerRule')) {
      const rule = this.samplerRule(r);
      if (rule) out.rules.push(rule);
    }
    return out;
  }

  samplerRule(n: CstNode): A.SamplerRule | undefined {
    const ch = n.children as Children;
    const loc = this.loc(n);
    const cache = firstToken(ch, 'Cache');
    if (cache) return { kind: 'cache', loc: tokenLoc(cache) };
    const logit = firstNode(ch, 'logitRule');
    if (logit) {
      const lc = logit.children as Children;
      const out: A.LogitRule = { kind: 'logit', loc, index: this.expr(firstNode(lc, 'index'), loc), value: this.expr(firstNode(lc, 'value'), loc) };
      const op = firstToken(lc, 'AssignOp');
      if (op) out.op = op.image as A.AssignOp;
      return out;
    }
    const den = firstNode(ch, 'denoiseRule');
    if (den) {
      const out: A.DenoiseRule = { kind: 'denoise', loc };
      const mode = this.ident(firstToken(den.children as Children, 'mode'));
      if (mode) out.mode = mode;
      return out;
    }
    const val = firstNode(ch, 'valueRule');
    if (val) {
      const vc = val.children as Children;
      const kw = firstToken(vc, 'rule');
      if (!kw) return undefined;
      return { kind: 'value', loc, rule: kw.image as A.ValueRuleName, value: this.expr(firstNode(vc, 'expression'), loc) };
    }
    const unk = firstNode(ch, 'unknownRule');
    if (unk) {
      const uc = unk.children as Children;
      const name = this.ident(firstToken(uc, 'name'));
      if (!name) return undefined;
      const out: A.UnknownRule = { kind: 'unknown', loc, name };
      const idx = firstNode(uc, 'index');
      if (idx) out.index = this.expr(idx, loc);
      const op = firstToken(uc, 'AssignOp');
      if (op) out.op = op.image as A.AssignOp;
      const value = firstNode(uc, 'value');
      if (value) out.value = this.expr(value, loc);
      return out;
    }
    return undefined;
  }

  argList(n: CstNode): A.Arg[] {
    const out: A.Arg[] = [];
    for (const a of nodes(n.children as Children, 'arg')) {
      const ch = a.children as Children;
      const loc = this.loc(a, this.loc(n));
      const arg: A.Arg = { loc, value: this.expr(firstNode(ch, 'expression'), loc) };
      const name = this.ident(firstToken(ch, 'name'));
      if (name) arg.name = name;
      out.push(arg);
    }
    return out;
  }

  // ─── expressions ─────────────────────────────────────────────────────────────────────────

  /** Any expression-level CST node (expression, andExpr, ..., atom). */
  expr(n: CstNode | undefined, fallback: A.Loc): A.Expr {
    if (!n) return this.missing(fallback);
    const ch = n.children as Children;
    const loc = this.loc(n, fallback);
    switch (n.name) {
      case 'expression':
        return this.binaryChain(ch, loc);
      case 'unary': {
        const op = firstToken(ch, 'operator');
        const operand = this.expr(firstNode(ch, 'operand'), loc);
        if (!op) return operand;
        return { kind: 'unary', op: op.image as A.UnaryOp, operand, loc };
      }
      case 'postfix':
        return this.postfix(ch, loc);
      case 'atom':
        return this.atom(ch, loc);
    }
    return this.missing(loc);
  }

  /** Operands and operators in a flat list, folded by precedence (all left-associative). */
  private binaryChain(ch: Children, loc: A.Loc): A.Expr {
    const operands = nodes(ch, 'operand').map((o) => this.expr(o, loc));
    const ops = (ch['operator'] ?? []).filter(isToken).map((t) => (t.image || '+') as A.BinaryOp);
    while (operands.length < ops.length + 1) operands.push(this.missing(loc));
    // Precedence climbing: operand j is followed by operator j.
    let j = 0;
    const climb = (minPrec: number): A.Expr => {
      let left = operands[j++]!;
      while (j - 1 < ops.length && PRECEDENCE[ops[j - 1]!] >= minPrec) {
        const op = ops[j - 1]!;
        const right = climb(PRECEDENCE[op] + 1);
        left = { kind: 'binary', op, left, right, loc: joinLoc(left.loc, right.loc) };
      }
      return left;
    };
    return climb(1);
  }

  private postfix(ch: Children, loc: A.Loc): A.Expr {
    let e = this.expr(firstNode(ch, 'atom'), loc);
    type Op = { at: number; apply: (e: A.Expr) => A.Expr };
    const ops: Op[] = [];
    const dots = (ch['Dot'] ?? []).filter(isToken);
    const members = (ch['member'] ?? []).filter(isToken);
    dots.forEach((d, i) => {
      const m = members[i];
      if (!isReal(d) || !m || !isReal(m)) return;
      ops.push({ at: d.startOffset, apply: (x) => ({ kind: 'member', object: x, member: { name: m.image, loc: tokenLoc(m) }, loc: joinLoc(x.loc, tokenLoc(m)) }) });
    });
    for (const al of nodes(ch, 'argList')) {
      const alLoc = this.loc(al, loc);
      const args = this.argList(al);
      ops.push({ at: alLoc.offset, apply: (x) => ({ kind: 'call', callee: x, args, loc: joinLoc(x.loc, alLoc) }) });
    }
    const brackets = tokens(ch, 'LBracket');
    const indices = nodes(ch, 'index');
    const closes = tokens(ch, 'RBracket');
    brackets.forEach((b, i) => {
      const idx = this.expr(indices[i], tokenLoc(b));
      const close = closes.find((c) => c.startOffset > b.startOffset);
      const end = close ? tokenLoc(close) : idx.loc;
      ops.push({ at: b.startOffset, apply: (x) => ({ kind: 'index', target: x, index: idx, loc: joinLoc(x.loc, end) }) });
    });
    ops.sort((a, b) => a.at - b.at);
    for (const op of ops) e = op.apply(e);
    if (!ch['Caret']?.length) return e;
    const exponent = this.expr(firstNode(ch, 'exponent'), loc);
    return { kind: 'binary', op: '^', left: e, right: exponent, loc: joinLoc(e.loc, exponent.loc) };
  }

  private atom(ch: Children, loc: A.Loc): A.Expr {
    const num = firstToken(ch, 'NumberLiteral');
    if (num) return { kind: 'number', value: Number(num.image), raw: num.image, loc: tokenLoc(num) };
    const str = firstToken(ch, 'StringLiteral');
    if (str) return { kind: 'string', value: unescapeString(str.image), raw: str.image, loc: tokenLoc(str) };
    const inf = firstToken(ch, 'Inf');
    if (inf) return { kind: 'inf', loc: tokenLoc(inf) };
    const tr = firstToken(ch, 'True');
    if (tr) return { kind: 'bool', value: true, loc: tokenLoc(tr) };
    const fa = firstToken(ch, 'False');
    if (fa) return { kind: 'bool', value: false, loc: tokenLoc(fa) };
    const id = firstToken(ch, 'Identifier') ?? firstToken(ch, 'Logit');
    if (id) return { kind: 'name', name: id.image, loc: tokenLoc(id) };
    if (ch['LParen']?.length) return { kind: 'paren', inner: this.expr(firstNode(ch, 'expression'), loc), loc };
    return this.missing(loc);
  }
}

export function unescapeString(raw: string): string {
  const body = raw.replace(/^"/, '').replace(/"$/, '');
  return body.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c === 't' ? '\t' : c));
}
