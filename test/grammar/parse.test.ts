// The parser on its own: the typed tree with locations on every node, operator precedence,
// comments and param docs, recovery that keeps the statements after an error, and messages.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parse, type Expr, type KernelFile, type Loc } from '../../grammar/index.ts';
import { printExpr } from '../../compiler/print-ast.ts';

const text = `kernel demo "A demo"
param gamma: real = 0.5 in [0, inf)   // penalty strength
graph near = knn(embeddings, k = 4, bandwidth = 0.3)
schedule loglinear(eps = 1e-3)
channel jump(near) weight (1 - gamma)
channel mask weight gamma
loss weighted_ce(1 / t)
sampler ancestral(steps = 8) {
  logit[v] -= gamma * near.sum(count)[v]
  top_p 0.9; cache
  denoise argmax
}
`;

/** Every object in the tree that is a node (has a kind, or is an Ident/Arg) has a sane loc. */
function everyLoc(node: unknown, src: string, path = '$'): void {
  if (Array.isArray(node)) return node.forEach((x, i) => everyLoc(x, src, `${path}[${i}]`));
  if (!node || typeof node !== 'object') return;
  const o = node as Record<string, unknown>;
  if ('loc' in o) {
    const l = o['loc'] as Loc;
    assert.ok(l.line >= 1 && l.column >= 1 && l.endLine >= l.line, `${path}: ${JSON.stringify(l)}`);
    assert.ok(l.offset >= 0 && l.endOffset > l.offset && l.endOffset <= src.length, `${path}: ${JSON.stringify(l)}`);
  } else if ('kind' in o || 'name' in o) assert.unreachable(`${path} has no loc`);
  for (const [k, v] of Object.entries(o)) if (k !== 'loc') everyLoc(v, src, `${path}.${k}`);
}

test('a whole kernel: statements in order, no diagnostics, a location on every node', () => {
  const r = parse(text, 'demo.kernel');
  assert.equal(r.diagnostics, []);
  assert.equal(r.ast.statements.map((s) => s.kind), ['kernel', 'param', 'graph', 'schedule', 'channel', 'channel', 'loss', 'sampler']);
  assert.is(r.ast.path, 'demo.kernel');
  everyLoc(r.ast.statements, text);
});

test('locations are exact: 1-based line and column, 0-based offsets, exclusive ends', () => {
  const ast = parse(text).ast;
  const ch = ast.statements[4]!;
  assert.is(ch.kind, 'channel');
  if (ch.kind !== 'channel') return;
  assert.equal(ch.operator!.loc, { line: 5, column: 9, endLine: 5, endColumn: 13, offset: text.indexOf('jump(near)'), endOffset: text.indexOf('jump(near)') + 4 });
  const w = ch.clauses[0]!.expr;
  assert.is(w.kind, 'paren');
  assert.is(text.slice(w.loc.offset, w.loc.endOffset), '(1 - gamma)');
  assert.is(w.loc.column, 27);
  const sampler = ast.statements[7]!;
  assert.equal([sampler.loc.line, sampler.loc.endLine], [8, 12]);
  if (sampler.kind !== 'sampler') return;
  assert.equal(sampler.rules.map((r) => r.kind), ['logit', 'value', 'cache', 'denoise']);
  assert.is(text.slice(sampler.rules[0]!.loc.offset, sampler.rules[0]!.loc.endOffset), 'logit[v] -= gamma * near.sum(count)[v]');
});

test('the tree keeps what was written: number spellings, parentheses, strings unescaped', () => {
  const ast = parse(`kernel k "say \\"hi\\""\nschedule loglinear(eps = 1e-3)\nchannel reset("a\\\\b.tsv") weight ((0.5))\n`).ast;
  const k = ast.statements[0]!;
  assert.is(k.kind === 'kernel' ? k.doc?.value : '', 'say "hi"');
  const s = ast.statements[1]!;
  assert.is(s.kind === 'schedule' ? printExpr(s.args![0]!.value) : '', '1e-3');
  const c = ast.statements[2]!;
  if (c.kind !== 'channel') return assert.unreachable();
  assert.equal(c.args![0]!.value, { kind: 'string', value: 'a\\b.tsv', raw: '"a\\\\b.tsv"', loc: c.args![0]!.value.loc });
  assert.is(printExpr(c.clauses[0]!.expr), '((0.5))');
});

test('operator precedence and associativity', () => {
  const show = (e: Expr): string =>
    e.kind === 'binary' ? `(${show(e.left)} ${e.op} ${show(e.right)})` : e.kind === 'unary' ? `(${e.op}${show(e.operand)})` : printExpr(e);
  const cases: Array<[string, string]> = [
    ['a + b * c', '(a + (b * c))'],
    ['a * b + c', '((a * b) + c)'],
    ['a - b - c', '((a - b) - c)'],
    ['a / b / c', '((a / b) / c)'],
    ['a || b && c < d + e * f', '(a || (b && (c < (d + (e * f)))))'],
    ['-x^2', '(-(x ^ 2))'],
    ['2^-1', '(2 ^ (-1))'],
    ['2^3^2', '(2 ^ (3 ^ 2))'],
    ['!a && b', '((!a) && b)'],
    ['f(x)[v]^2 * -3', '((f(x)[v] ^ 2) * (-3))'],
    ['a <= b == c', '((a <= b) == c)'],
  ];
  for (const [src, want] of cases) {
    const r = parse(`hops ${src}`);
    assert.equal(r.diagnostics, [], src);
    const h = r.ast.statements[0]!;
    assert.is(h.kind === 'hops' ? show(h.value) : '', want, src);
  }
});

test('comments are collected in order; the comment ending a param line is its doc', () => {
  const ast = parse(text).ast;
  assert.equal(ast.comments.map((c) => c.text), ['// penalty strength']);
  const p = ast.statements[1]!;
  assert.is(p.kind === 'param' ? p.doc : '', 'penalty strength');
  const noDoc = parse('param a: real = 1\n// not a doc: on its own line\n').ast.statements[0]!;
  assert.is(noDoc.kind === 'param' ? noDoc.doc : 'x', undefined);
});

test('recovery: every syntax error in one pass, and the statements after them still parse', () => {
  const broken = `kernel k
param a real = 1
channel
schedule loglinear(eps = 1e-3
channel mask weight (1 -
loss elbo
sampler ancestral(steps = 4) { denoise }
`;
  const r = parse(broken);
  assert.equal(
    r.diagnostics.map((d) => `${d.line}:${d.column}`),
    ['2:9', '3:8', '4:30', '5:25', '7:40'],
  );
  assert.equal(r.ast.statements.map((s) => s.kind), ['kernel', 'param', 'channel', 'schedule', 'channel', 'loss', 'sampler']);
  const recovered = r.ast.statements.filter((s) => s.recovered).map((s) => s.kind);
  assert.equal(recovered, ['param', 'channel', 'schedule', 'channel', 'sampler']);
  const p = r.ast.statements[1]!;
  // Single-token insertion recovered the missing ':' and kept the param whole.
  assert.is(p.kind === 'param' ? p.type?.name : '', 'real');
  const c = r.ast.statements[4]!;
  if (c.kind !== 'channel') return assert.unreachable();
  const w = c.clauses[0]!.expr;
  assert.is(w.kind, 'paren');
});

test('a piece missing at the end of a line is reported there, not at the next statement', () => {
  const r = parse('kernel k\nchannel mask weight\nloss elbo\n');
  assert.is(r.diagnostics.length, 1);
  const d = r.diagnostics[0]!;
  assert.equal([d.line, d.column], [2, 20]);
  assert.match(d.message, /^expected a value \(a number, a name, or an expression in parentheses\) after 'weight', found the keyword 'loss'/);
});

test('messages speak the language: statement suggestions, reserved words, lexer errors', () => {
  const msgs = (src: string) => parse(src).diagnostics.map((d) => d.message);
  assert.equal(msgs('schedul linear'), ["expected a statement (kernel, param, graph, schedule, channel, hops, loss or sampler), found 'schedul'; did you mean 'schedule'?"]);
  assert.equal(msgs('param rate: real = 1'), ["a param needs a name: param NAME: int|real|bool = DEFAULT in RANGE; 'rate' is a reserved word and cannot be used as a name"]);
  assert.equal(msgs("kernel k 'doc'"), ['strings use double quotes: write "doc"']);
  assert.equal(msgs('kernel k /* block */\nschedule linear'), ['block comments /* ... */ are not part of the language: start each comment line with //']);
  assert.equal(msgs('kernel k\nchannel mask weight 0.5 @ 2'), ["unexpected character '@'", "expected a statement (kernel, param, graph, schedule, channel, hops, loss or sampler), found the number 2"]);
  assert.equal(msgs('kernel k "open'), ['this string is not closed: add \'"\' before the end of the line']);
});

test('absurdly deep nesting is a diagnostic, not a stack overflow', () => {
  for (const src of ['hops ' + '-'.repeat(20000) + '1', 'hops ' + '('.repeat(20000) + '1' + ')'.repeat(20000), 'hops ' + Array(20000).fill('2').join('^')]) {
    const r = parse(src);
    assert.equal(r.diagnostics.map((d) => d.message), ['this expression nests too deeply to be read (thousands of parentheses, signs or powers); simplify it']);
  }
});

test('parse never throws and always returns a tree', () => {
  for (const src of ['', '\u0000', '}}}', '(((', 'kernel', 'sampler x(', 'logit[v] -= 1', '"', 'param p: real = ' + '-'.repeat(2000) + '1']) {
    const r = parse(src);
    assert.type(r.ast, 'object');
    assert.ok(Array.isArray(r.ast.statements));
    const ast: KernelFile = r.ast;
    assert.is(ast.kind, 'file');
  }
});

test.run();
