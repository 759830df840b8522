// AST expression -> Kernel IR expression, resolving names in a scope that says which variables,
// params and per-token fields the place allows. Every problem is reported at its own span; the
// result is undefined when anything inside was wrong (or missing after a syntax error).
import type * as A from '../../grammar/index.ts';
import { didYouMean } from '../../grammar/index.ts';
import type { Expr } from '../../specs/types/kernel.ts';
import { evalExpr, FUNCTIONS, isFn, paramsUsed } from '../expr/index.ts';
import type { CheckContext, ParamValue } from './context.ts';
import { printExpr as show } from '../print-ast.ts';

export { show };

export type VarName = 't' | 's' | 'step' | 'v';
export const FIELDS = ['logit', 'prob', 'count'] as const;
export type FieldName = (typeof FIELDS)[number];
export const AGGREGATES = ['sum', 'mean', 'max'] as const;
/** Names the language gives a meaning to; a param may not take them. */
export const CONSTANTS: Readonly<Record<string, number>> = { pi: Math.PI };

export interface ExprScope {
  /** What the expression is, in words, for messages: "the weight of a channel". */
  what: string;
  vars: readonly VarName[];
  /** Params may appear (false only inside param declarations). */
  params: boolean;
  /** logit/prob/count[...] and graph aggregates such as near.sum(count)[v]. */
  fields: boolean;
}

export const scopes = {
  /** Param defaults and ranges: numbers only. */
  literal: (what: string): ExprScope => ({ what, vars: [], params: false, fields: false }),
  /** Graph options, schedule arguments, sampler options, hops: numbers and params. */
  constant: (what: string): ExprScope => ({ what, vars: [], params: true, fields: false }),
  /** Weights, rates, Lambda(t), the loss weight: functions of t. */
  time: (what: string): ExprScope => ({ what, vars: ['t'], params: true, fields: false }),
  /** The right side of a logit rule. */
  rule: (what: string): ExprScope => ({ what, vars: ['t', 's', 'step', 'v'], params: true, fields: true }),
  /** temperature, top_k, ...: one number per step. */
  stepValue: (what: string): ExprScope => ({ what, vars: ['t', 's', 'step'], params: true, fields: false }),
};

const VAR_MEANING: Record<VarName, string> = {
  t: 'the time t',
  s: "'s' (the target time of a reverse step)",
  step: "'step' (the sampler's step index)",
  v: "'v' (the token a rule applies to)",
};

function varOutOfScope(name: VarName, scope: ExprScope): string {
  if (scope.vars.length === 0) return `${scope.what} must be a constant (a number or a param); it cannot use ${VAR_MEANING[name]}`;
  if (name === 'v') return `${VAR_MEANING.v} exists only in logit rules (logit[v] -= ...), not in ${scope.what}`;
  return `${VAR_MEANING[name]} exists only in a sampler's rules, not in ${scope.what}`;
}

export class ExprLowering {
  constructor(private readonly ctx: CheckContext) {}

  lower(e: A.Expr, scope: ExprScope): Expr | undefined {
    const ctx = this.ctx;
    switch (e.kind) {
      case 'missing':
        return undefined;
      case 'number':
        if (!Number.isFinite(e.value)) {
          ctx.error(e.loc, 'number', `${e.raw} is too large for a number; write inf for infinity`);
          return undefined;
        }
        return { k: 'num', v: e.value };
      case 'inf':
        return { k: 'num', v: 'inf' };
      case 'bool':
        return { k: 'num', v: e.value ? 1 : 0 };
      case 'string':
        ctx.error(e.loc, 'type', `${scope.what} must be a number, not the string ${e.raw}`);
        return undefined;
      case 'paren':
        return this.lower(e.inner, scope);
      case 'unary': {
        const a = this.lower(e.operand, scope);
        return a && { k: 'unary', op: e.op, a };
      }
      case 'binary': {
        const a = this.lower(e.left, scope);
        const b = this.lower(e.right, scope);
        if (e.op !== '^' && isComparison(e.op) && e.left.kind === 'binary' && isComparison(e.left.op)) {
          ctx.error(e.loc, 'comparison-chain', `comparisons do not chain: write a < b && b < c instead of a < b < c`);
          return undefined;
        }
        return a && b && { k: 'binary', op: e.op, a, b };
      }
      case 'name':
        return this.name(e, scope);
      case 'call':
        return this.call(e, scope);
      case 'index':
        return this.index(e, scope);
      case 'member':
        ctx.error(e.loc, 'member', `${show(e)} is not a value; a graph aggregate reads ${show(e)}(count)[v]`);
        return undefined;
    }
  }

  private name(e: A.NameExpr, scope: ExprScope): Expr | undefined {
    const ctx = this.ctx;
    const n = e.name;
    if (n === 't' || n === 's' || n === 'step' || n === 'v') {
      if (scope.vars.includes(n)) return { k: 'var', name: n };
      ctx.error(e.loc, 'scope', varOutOfScope(n, scope));
      return undefined;
    }
    if (ctx.params.has(n)) {
      ctx.used.add(n);
      if (!scope.params) {
        ctx.error(e.loc, 'scope', `${scope.what} must be a number; it cannot refer to the param '${n}'`);
        return undefined;
      }
      return { k: 'param', name: n };
    }
    if (n in CONSTANTS) return { k: 'num', v: CONSTANTS[n]! };
    if (ctx.graphs.has(n)) {
      ctx.used.add(n);
      ctx.error(e.loc, 'type', `'${n}' is a graph, not a number; a channel walks it with jump(${n}), a rule reads it as ${n}.sum(count)[v]`);
      return undefined;
    }
    if ((FIELDS as readonly string[]).includes(n)) {
      ctx.error(e.loc, 'type', scope.fields ? `'${n}' is a vector over tokens: write ${n}[v]` : `${n}[v] exists only in logit rules of a sampler, not in ${scope.what}`);
      return undefined;
    }
    if (isFn(n) || n === 'if') {
      ctx.error(e.loc, 'type', `'${n}' is a function: call it, as in ${n}(${n === 'if' ? 'cond, a, b' : 'x'})`);
      return undefined;
    }
    const candidates = [...scope.vars, ...(scope.params ? ctx.params.keys() : []), ...Object.keys(CONSTANTS)];
    const hint = didYouMean(n, candidates);
    const known = scope.params && ctx.params.size === 0 && scope.vars.length === 0 ? '; declare it with param' : '';
    ctx.error(e.loc, 'unknown-name', `unknown name '${n}'${hint || known}`);
    return undefined;
  }

  private call(e: A.CallExpr, scope: ExprScope): Expr | undefined {
    const ctx = this.ctx;
    if (e.callee.kind === 'member') {
      ctx.error(e.loc, 'graph-aggregate', `${show(e.callee)}(...) is a vector over tokens: index it, as in ${show(e.callee)}(count)[v]`);
      // Still resolve the graph so that an undeclared one is reported.
      this.aggregate(e.callee, e.args, e.loc, scope);
      return undefined;
    }
    if (e.callee.kind !== 'name') {
      ctx.error(e.callee.loc, 'call', `only a function name can be called here`);
      return undefined;
    }
    const fn = e.callee.name;
    const named = e.args.find((a) => a.name);
    if (named) {
      ctx.error(named.loc, 'call', `${fn}(...) takes its arguments by position, not by name ('${named.name!.name} = ...')`);
    }
    const args = e.args.map((a) => this.lower(a.value, scope));
    if (fn === 'if') {
      if (e.args.length !== 3) {
        ctx.error(e.loc, 'arity', `if takes 3 arguments: if(condition, value when true, value when false); got ${e.args.length}`);
        return undefined;
      }
      if (named || args.some((a) => !a)) return undefined;
      return { k: 'if', cond: args[0]!, then: args[1]!, else: args[2]! };
    }
    if (!isFn(fn)) {
      const what = ctx.params.has(fn) ? `'${fn}' is a param, not a function` : `unknown function '${fn}'`;
      ctx.error(e.callee.loc, 'unknown-function', what + didYouMean(fn, [...Object.keys(FUNCTIONS), 'if']));
      return undefined;
    }
    const arity = FUNCTIONS[fn].arity;
    if (arity === 'many' ? e.args.length === 0 : e.args.length !== arity) {
      const want = arity === 'many' ? 'at least one argument' : `${arity} argument${arity === 1 ? '' : 's'}`;
      ctx.error(e.loc, 'arity', `${fn} takes ${want}, got ${e.args.length}`);
      return undefined;
    }
    if (named || args.some((a) => !a)) return undefined;
    return { k: 'call', fn, args: args as Expr[] };
  }

  private index(e: A.IndexExpr, scope: ExprScope): Expr | undefined {
    const ctx = this.ctx;
    const t = e.target;
    if (t.kind === 'name' && (FIELDS as readonly string[]).includes(t.name)) {
      if (!scope.fields) {
        ctx.error(e.loc, 'scope', `${t.name}[...] exists only in logit rules of a sampler, not in ${scope.what}`);
        return undefined;
      }
      const index = this.lower(e.index, scope);
      return index && { k: 'field', field: t.name as FieldName, index };
    }
    if (t.kind === 'call' && t.callee.kind === 'member') {
      const agg = this.aggregate(t.callee, t.args, t.loc, scope);
      const index = this.lower(e.index, scope);
      return agg && index && { k: 'graph_agg', ...agg, index };
    }
    if (t.kind === 'name' && !ctx.params.has(t.name) && !ctx.graphs.has(t.name)) {
      ctx.error(t.loc, 'unknown-name', `unknown vector '${t.name}'; a rule reads logit[v], prob[v] or count[v]${didYouMean(t.name, FIELDS)}`);
      return undefined;
    }
    ctx.error(e.loc, 'index', `${show(t)} cannot be indexed; only logit, prob, count and graph aggregates such as near.sum(count) are vectors`);
    return undefined;
  }

  /** `graph.agg(field)`: checks the graph, the aggregate and the field. */
  private aggregate(m: A.MemberExpr, args: A.Arg[], loc: A.Loc, scope: ExprScope): Pick<Extract<Expr, { k: 'graph_agg' }>, 'graph' | 'agg' | 'of'> | undefined {
    const ctx = this.ctx;
    let ok = true;
    if (m.object.kind !== 'name') {
      ctx.error(m.object.loc, 'graph-aggregate', `a graph aggregate starts with a graph's name, as in near.sum(count)[v]`);
      return undefined;
    }
    const graph = m.object.name;
    if (!scope.fields) {
      ctx.error(loc, 'scope', `graph aggregates such as ${graph}.sum(count)[v] exist only in logit rules of a sampler, not in ${scope.what}`);
      ok = false;
    }
    if (!ctx.graphs.has(graph)) {
      ctx.error(m.object.loc, 'unknown-graph', `the rule reads graph '${graph}', which the kernel does not declare${didYouMean(graph, ctx.graphs.keys()) || '; declare it with graph ' + graph + ' = knn(...)'}`);
      ok = false;
    } else ctx.used.add(graph);
    const agg = m.member.name;
    if (!(AGGREGATES as readonly string[]).includes(agg)) {
      ctx.error(m.member.loc, 'graph-aggregate', `unknown graph aggregate '${agg}': use sum, mean or max${didYouMean(agg, AGGREGATES)}`);
      ok = false;
    }
    const arg = args[0];
    if (args.length !== 1 || !arg || arg.name || arg.value.kind !== 'name' || !(FIELDS as readonly string[]).includes(arg.value.name)) {
      const at = arg && arg.value.kind === 'name' ? arg.value : undefined;
      const hint = at ? didYouMean(at.name, FIELDS) : '';
      if (!(arg && arg.value.kind === 'missing')) {
        ctx.error(arg?.loc ?? loc, 'graph-aggregate', `${graph}.${agg}(...) takes one vector: logit, prob or count${hint}`);
      }
      ok = false;
    }
    if (!ok) return undefined;
    return { graph, agg: agg as (typeof AGGREGATES)[number], of: (arg!.value as A.NameExpr).name as FieldName };
  }

  /**
   * A number the IR needs as a number (graph options, schedule arguments, sampler options,
   * hops): lowered in `scope`, then evaluated with the params in force.
   */
  constant(e: A.Expr, scope: ExprScope): number | undefined {
    const ir = this.lower(e, scope);
    if (!ir) return undefined;
    if (!this.ctx.hasValues(paramsUsed(ir))) return undefined;
    let x: number;
    try {
      x = evalExpr(ir, { params: this.ctx.paramValues() });
    } catch (err) {
      this.ctx.error(e.loc, 'value', `${scope.what} cannot be evaluated: ${(err as Error).message}`);
      return undefined;
    }
    if (Number.isNaN(x)) {
      this.ctx.error(e.loc, 'value', `${scope.what} is not a number (it evaluates to NaN)`);
      return undefined;
    }
    return x;
  }

  /** true/false, or a bool param. */
  bool(e: A.Expr, what: string): boolean | undefined {
    const x = e.kind === 'paren' ? e.inner : e;
    if (x.kind === 'bool') return x.value;
    if (x.kind === 'name') {
      const p = this.ctx.params.get(x.name);
      if (p) {
        this.ctx.used.add(x.name);
        if (p.type === 'bool') return typeof p.value === 'boolean' ? p.value : undefined;
        this.ctx.error(x.loc, 'type', `${what} takes true or false; the param '${x.name}' is ${p.type === 'int' ? 'an int' : 'a real'}`);
        return undefined;
      }
    }
    if (x.kind !== 'missing') this.ctx.error(x.loc, 'type', `${what} takes true or false`);
    return undefined;
  }
}

function isComparison(op: A.BinaryOp): boolean {
  return op === '<' || op === '<=' || op === '>' || op === '>=' || op === '==' || op === '!=';
}

export type { ParamValue };
