// `graph NAME = knn(SOURCE, k = .., bandwidth = .., symmetric = .., classes = "..")`: the
// builder, its source and options; params are substituted because the IR stores numbers.
import type * as A from '../../grammar/index.ts';
import { didYouMean } from '../../grammar/index.ts';
import type { Graph } from '../../specs/types/kernel.ts';
import { scopes, type ExprLowering } from './expressions.ts';
import type { CheckContext } from './context.ts';

const BUILDERS = ['knn'] as const;
const OPTIONS = ['k', 'bandwidth', 'symmetric', 'classes'] as const;
const SOURCES = ['embeddings'] as const;
const EXAMPLE = 'knn(embeddings, k = 10, bandwidth = 0.3)';

/** Records every graph name first, so that channels and rules anywhere in the file can use it. */
export function declareGraphs(ctx: CheckContext, stmts: A.GraphDecl[], reserved: ReadonlySet<string>): void {
  for (const g of stmts) {
    if (!g.name) continue;
    const name = g.name.name;
    const prevGraph = ctx.graphs.get(name);
    if (prevGraph) {
      ctx.error(g.name.loc, 'duplicate', `the graph '${name}' is already declared on line ${prevGraph.loc.line}`);
      continue;
    }
    const param = ctx.params.get(name);
    if (param) {
      ctx.error(g.name.loc, 'duplicate', `'${name}' is already a param (line ${param.decl.loc.line}); give the graph another name`);
      continue;
    }
    if (reserved.has(name)) {
      ctx.error(g.name.loc, 'reserved-name', `'${name}' already means something in expressions; give the graph another name`);
      continue;
    }
    ctx.graphs.set(name, g);
  }
}

export function checkGraph(ctx: CheckContext, g: A.GraphDecl, x: ExprLowering): Graph | undefined {
  if (!g.name || ctx.graphs.get(g.name.name) !== g) return undefined;
  const name = g.name.name;
  if (!g.builder || !g.args) return undefined; // syntax error already reported
  if (!(BUILDERS as readonly string[]).includes(g.builder.name)) {
    ctx.error(g.builder.loc, 'graph-builder', `unknown graph builder '${g.builder.name}': a graph is built by ${EXAMPLE}${didYouMean(g.builder.name, BUILDERS)}`);
    return undefined;
  }
  let ok = true;
  let source: Graph['source'] | undefined;
  let k: number | undefined;
  let bandwidth: number | undefined;
  let symmetric = false;
  let classes: string | null = null;
  const seen = new Map<string, A.Arg>();
  g.args.forEach((arg, i) => {
    if (!arg.name) {
      if (i > 0) {
        ctx.error(arg.loc, 'graph-option', `knn takes one positional argument (its source); name the others, as in ${EXAMPLE}`);
        ok = false;
        return;
      }
      const v = arg.value;
      if (v.kind === 'string') source = { file: v.value };
      else if (v.kind === 'name' && (SOURCES as readonly string[]).includes(v.name)) source = 'embeddings';
      else if (v.kind !== 'missing') {
        const hint = v.kind === 'name' ? didYouMean(v.name, SOURCES) : '';
        ctx.error(v.loc, 'graph-source', `a graph's source is embeddings (the model's own) or an embeddings file in quotes${hint}`);
        ok = false;
      } else ok = false;
      return;
    }
    const opt = arg.name.name;
    if (seen.has(opt)) {
      ctx.error(arg.name.loc, 'duplicate', `the option '${opt}' is given twice`);
      ok = false;
      return;
    }
    seen.set(opt, arg);
    switch (opt) {
      case 'k': {
        const v = x.constant(arg.value, scopes.constant(`the graph option k`));
        if (v === undefined) ok = false;
        else if (!Number.isInteger(v) || v < 1) {
          ctx.error(arg.value.loc, 'graph-option', `k (neighbours per token) must be a whole number >= 1, not ${v}`);
          ok = false;
        } else k = v;
        break;
      }
      case 'bandwidth': {
        const v = x.constant(arg.value, scopes.constant(`the graph option bandwidth`));
        if (v === undefined) ok = false;
        else if (!(v > 0) || !Number.isFinite(v)) {
          ctx.error(arg.value.loc, 'graph-option', `bandwidth must be a finite number > 0, not ${v}`);
          ok = false;
        } else bandwidth = v;
        break;
      }
      case 'symmetric': {
        const v = x.bool(arg.value, 'symmetric');
        if (v === undefined) ok = false;
        else symmetric = v;
        break;
      }
      case 'classes': {
        const v = arg.value;
        if (v.kind === 'string') classes = v.value;
        else {
          if (v.kind !== 'missing') ctx.error(v.loc, 'graph-option', `classes names a lexical class partition in quotes, as in classes = "pos"`);
          ok = false;
        }
        break;
      }
      default:
        ctx.error(arg.name.loc, 'graph-option', `unknown knn option '${opt}': knn takes k, bandwidth, symmetric and classes${didYouMean(opt, OPTIONS)}`);
        ok = false;
    }
  });
  if (!source && ok && !g.recovered && !g.args.some((a) => !a.name)) {
    ctx.error(g.builder.loc, 'graph-source', `knn needs a source first: ${EXAMPLE}`);
    ok = false;
  }
  if (!seen.has('k')) {
    if (!g.recovered) ctx.error(g.builder.loc, 'graph-option', `knn needs k (neighbours per token), as in ${EXAMPLE}`);
    ok = false;
  }
  if (!seen.has('bandwidth')) {
    if (!g.recovered) ctx.error(g.builder.loc, 'graph-option', `knn needs a bandwidth (the width of exp((cos - 1) / bandwidth)), as in ${EXAMPLE}`);
    ok = false;
  }
  if (!ok || source === undefined || k === undefined || bandwidth === undefined) return undefined;
  return { name, builder: 'knn', source, k, bandwidth, symmetric, classes };
}
