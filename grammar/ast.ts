// The typed syntax tree of a .kernel file. Every node carries its source location. The tree is
// faithful to the text (parentheses and number spellings are kept) so that the formatter can
// print it back; the compiler resolves names and meaning. After a syntax error the tree is
// partial: optional fields are absent and a missing expression is a `missing` node.

/** 1-based line and column; `offset`/`endOffset` are 0-based and `endOffset` is exclusive. */
export interface Loc {
  line: number;
  column: number;
  endLine: number;
  /** Column just after the last character. */
  endColumn: number;
  offset: number;
  endOffset: number;
}

export interface Node {
  loc: Loc;
}

export interface Ident extends Node {
  name: string;
}

export interface StringLit extends Node {
  /** Unescaped text. */
  value: string;
  /** As written, quotes included. */
  raw: string;
}

// ─── expressions ─────────────────────────────────────────────────────────────────────────────

export interface NumberExpr extends Node {
  kind: 'number';
  value: number;
  /** As written (`1e-3` stays `1e-3`). */
  raw: string;
}
/** A quoted string: a file name (`reset("freqs.tsv")`) or a class partition. */
export interface StringExpr extends Node {
  kind: 'string';
  value: string;
  raw: string;
}
export interface InfExpr extends Node {
  kind: 'inf';
}
export interface BoolExpr extends Node {
  kind: 'bool';
  value: boolean;
}
/** A bare name: a param, t, s, step, v, a field (`logit`), a graph, a schedule keyword... */
export interface NameExpr extends Node {
  kind: 'name';
  name: string;
}
export type UnaryOp = '-' | '!';
export interface UnaryExpr extends Node {
  kind: 'unary';
  op: UnaryOp;
  operand: Expr;
}
export type BinaryOp = '+' | '-' | '*' | '/' | '^' | '<' | '<=' | '>' | '>=' | '==' | '!=' | '&&' | '||';
export interface BinaryExpr extends Node {
  kind: 'binary';
  op: BinaryOp;
  left: Expr;
  right: Expr;
}
/** `callee(args)`: a function call, `near.sum(count)`, `adaptive(cap = 32)`. */
export interface CallExpr extends Node {
  kind: 'call';
  callee: Expr;
  args: Arg[];
}
/** `target[index]`: `logit[v]`, `near.sum(count)[v]`. */
export interface IndexExpr extends Node {
  kind: 'index';
  target: Expr;
  index: Expr;
}
/** `object.member`: `near.sum`. */
export interface MemberExpr extends Node {
  kind: 'member';
  object: Expr;
  member: Ident;
}
export interface ParenExpr extends Node {
  kind: 'paren';
  inner: Expr;
}
/** Stands where the parser recovered from a syntax error; already reported. */
export interface MissingExpr extends Node {
  kind: 'missing';
}

export type Expr =
  | NumberExpr
  | StringExpr
  | InfExpr
  | BoolExpr
  | NameExpr
  | UnaryExpr
  | BinaryExpr
  | CallExpr
  | IndexExpr
  | MemberExpr
  | ParenExpr
  | MissingExpr;

/** A positional (`embeddings`) or named (`k = 10`) argument. */
export interface Arg extends Node {
  name?: Ident;
  value: Expr;
}

// ─── statements ──────────────────────────────────────────────────────────────────────────────

export interface StatementNode extends Node {
  /**
   * A syntax error was reported inside this statement and the parser recovered: pieces may be
   * missing only because they were skipped, so the compiler does not call them missing.
   */
  recovered?: boolean;
}

export interface KernelDecl extends StatementNode {
  kind: 'kernel';
  name?: Ident;
  doc?: StringLit;
}

export interface RangeNode extends Node {
  loOpen: boolean;
  lo: Expr;
  hi: Expr;
  hiOpen: boolean;
}

export interface ParamDecl extends StatementNode {
  kind: 'param';
  name?: Ident;
  type?: Ident;
  default: Expr;
  range?: RangeNode;
  /** The text of a `//` comment that ends the param's last line. */
  doc?: string;
}

export interface GraphDecl extends StatementNode {
  kind: 'graph';
  name?: Ident;
  builder?: Ident;
  /** Absent when the parenthesised options are missing. */
  args?: Arg[];
}

export interface ScheduleDecl extends StatementNode {
  kind: 'schedule';
  name?: Ident;
  /** Absent when written without parentheses (`schedule mutual_info`). */
  args?: Arg[];
  /** `schedule Lambda(t) = body` */
  body?: Expr;
}

export interface ChannelClause extends Node {
  clause: 'weight' | 'rate';
  expr: Expr;
}

export interface ChannelDecl extends StatementNode {
  kind: 'channel';
  operator?: Ident;
  /** `reset(uniform)`, `jump(near)`; absent for `mask`. */
  args?: Arg[];
  clauses: ChannelClause[];
}

export interface HopsDecl extends StatementNode {
  kind: 'hops';
  value: Expr;
}

export interface LossDecl extends StatementNode {
  kind: 'loss';
  name?: Ident;
  args?: Arg[];
}

export type AssignOp = '=' | '+=' | '-=' | '*=' | '/=';
export type ValueRuleName = 'temperature' | 'top_k' | 'top_p' | 'min_p' | 'repetition_penalty';

export interface LogitRule extends Node {
  kind: 'logit';
  index: Expr;
  op?: AssignOp;
  value: Expr;
}
export interface CacheRule extends Node {
  kind: 'cache';
}
export interface DenoiseRule extends Node {
  kind: 'denoise';
  mode?: Ident;
}
export interface ValueRule extends Node {
  kind: 'value';
  rule: ValueRuleName;
  value: Expr;
}
/** A rule name the language does not have; kept so the compiler can say which one was meant. */
export interface UnknownRule extends Node {
  kind: 'unknown';
  name: Ident;
  index?: Expr;
  op?: AssignOp;
  value?: Expr;
}
export type SamplerRule = LogitRule | CacheRule | DenoiseRule | ValueRule | UnknownRule;

export interface SamplerDecl extends StatementNode {
  kind: 'sampler';
  predictor?: Ident;
  args?: Arg[];
  rules: SamplerRule[];
}

export type Statement = KernelDecl | ParamDecl | GraphDecl | ScheduleDecl | ChannelDecl | HopsDecl | LossDecl | SamplerDecl;

export interface Comment extends Node {
  /** Including the leading `//`. */
  text: string;
}

export interface KernelFile extends Node {
  kind: 'file';
  path: string;
  statements: Statement[];
  /** Every `//` comment, in source order (the formatter puts them back). */
  comments: Comment[];
}
