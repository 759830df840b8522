// `channel OP [weight EXPR] [rate EXPR]`: the operator, its clauses, and the checks on the whole
// set: weights >= 0 and summing to 1 for every t in [0, 1], rates >= 0 for every t.
import type * as A from '../../grammar/index.ts';
import { didYouMean } from '../../grammar/index.ts';
import type { Expr, Operator } from '../../specs/types/kernel.ts';
import { checkConstantSum, checkFinite, checkNonNegative, evalExpr, formatExpr, paramsUsed, substituteParams } from '../expr/index.ts';
import { MAX_LAMBDA } from '../limits.ts';
import { scopes, show, type ExprLowering } from './expressions.ts';
import type { CheckContext } from './context.ts';
import { exprKey, memo } from './memo.ts';

export interface CheckedChannel {
  decl: A.ChannelDecl;
  operator: Operator;
  /** The weight as written (params kept); absent when the file gives none. */
  weight?: Expr;
  /** The channel's own rate sigma_c(t). */
  rate?: Expr;
}

const OPERATORS = ['mask', 'reset', 'jump'] as const;
const DISTS = ['uniform', 'unigram'] as const;
const NEED_OP = 'a channel needs an operator: mask, reset(...) or jump(...)';

export function operatorText(op: Operator): string {
  switch (op.op) {
    case 'mask': return 'mask';
    case 'reset': return `reset(${op.dist.kind === 'file' ? JSON.stringify(op.dist.file) : op.dist.kind})`;
    case 'jump': return `jump(${op.graph})`;
  }
}

function operator(ctx: CheckContext, c: A.ChannelDecl): Operator | undefined {
  const id = c.operator;
  if (!id) return undefined;
  const args = c.args ?? [];
  const named = args.find((a) => a.name);
  switch (id.name) {
    case 'mask':
      if (c.args) {
        ctx.error(c.args[0]?.loc ?? id.loc, 'operator', `mask takes no arguments: write channel mask`);
        return undefined;
      }
      return { op: 'mask' };
    case 'reset': {
      const a = args[0];
      if (args.length !== 1 || !a || named) {
        if (!c.recovered) {
          ctx.error(c.args ? (args[1]?.loc ?? id.loc) : id.loc, 'operator', `reset takes one distribution: reset(uniform), reset(unigram) or reset("FILE")`);
        }
        return undefined;
      }
      const v = a.value;
      if (v.kind === 'string') return { op: 'reset', dist: { kind: 'file', file: v.value } };
      if (v.kind === 'name' && (DISTS as readonly string[]).includes(v.name)) return { op: 'reset', dist: { kind: v.name as 'uniform' | 'unigram' } };
      if (v.kind === 'missing') return undefined;
      const hint = v.kind === 'name' ? didYouMean(v.name, DISTS) : '';
      ctx.error(v.loc, 'reset-dist', `unknown distribution ${v.kind === 'name' ? `'${v.name}'` : show(v)}: reset draws from uniform, unigram or a distribution file in quotes${hint}`);
      return undefined;
    }
    case 'jump': {
      const a = args[0];
      if (args.length !== 1 || !a || named) {
        if (!c.recovered) {
          ctx.error(c.args ? (args[1]?.loc ?? id.loc) : id.loc, 'operator', `jump takes one graph: jump(NAME), with graph NAME = knn(...)`);
        }
        return undefined;
      }
      const v = a.value;
      if (v.kind === 'missing') return undefined;
      if (v.kind !== 'name') {
        ctx.error(v.loc, 'operator', `jump takes the name of a graph, as in jump(near)`);
        return undefined;
      }
      if (!ctx.graphs.has(v.name)) {
        const hint = didYouMean(v.name, ctx.graphs.keys()) || `; declare it with graph ${v.name} = knn(embeddings, k = 10, bandwidth = 0.3)`;
        ctx.error(v.loc, 'unknown-graph', `the graph '${v.name}' is used but never declared${hint}`);
        return undefined;
      }
      ctx.used.add(v.name);
      return { op: 'jump', graph: v.name };
    }
  }
  ctx.error(id.loc, 'operator', `unknown operator '${id.name}': ${NEED_OP}${didYouMean(id.name, OPERATORS)}`);
  return undefined;
}

export function checkChannels(ctx: CheckContext, decls: A.ChannelDecl[], x: ExprLowering, at: A.Loc): CheckedChannel[] | undefined {
  let ok = true;
  const out: CheckedChannel[] = [];
  const seenOps = new Map<string, A.ChannelDecl>();
  for (const c of decls) {
    const op = operator(ctx, c);
    if (!op) ok = false;
    let weight: Expr | undefined;
    let rate: Expr | undefined;
    let weightClause: A.ChannelClause | undefined;
    let rateClause: A.ChannelClause | undefined;
    for (const cl of c.clauses) {
      const dup = cl.clause === 'weight' ? weightClause : rateClause;
      if (dup) {
        ctx.error(cl.loc, 'duplicate', `this channel already has a ${cl.clause} (line ${dup.loc.line})`);
        ok = false;
        continue;
      }
      const what = `the ${cl.clause} of a channel`;
      const e = x.lower(cl.expr, scopes.time(what));
      if (cl.clause === 'weight') {
        weightClause = cl;
        weight = e;
      } else {
        rateClause = cl;
        rate = e;
      }
      if (!e) ok = false;
    }
    if (weightClause && rateClause) {
      ctx.error(rateClause.loc, 'weight-and-rate', `a channel takes a weight (its share of the schedule's rate) or its own rate, not both`);
      ok = false;
    }
    if (op) {
      // One channel per operator: the closed forms of KERNELS.md section 1 have one mask term,
      // one walk on one graph, and one reset law per distribution.
      const key = op.op === 'reset' ? operatorText(op) : op.op;
      const prev = seenOps.get(key);
      if (prev) {
        const why = op.op === 'jump' ? 'a kernel walks one graph (one jump channel); merge them into one channel' : `merge their weights into one channel`;
        ctx.error(c.operator!.loc, 'duplicate-channel', `a second ${op.op === 'jump' ? 'jump' : operatorText(op)} channel (the first is on line ${prev.loc.line}): ${why}`);
        ok = false;
      } else seenOps.set(key, c);
    }
    if (op) {
      const ch: CheckedChannel = { decl: c, operator: op };
      if (weight) ch.weight = weight;
      if (rate) ch.rate = rate;
      out.push(ch);
    }
  }
  if (decls.length === 0) {
    if (!ctx.partial) ctx.error(at, 'no-channel', `a kernel needs at least one channel, e.g. channel mask; ${NEED_OP}`);
    return undefined;
  }
  if (!ok) return undefined;
  return checkRates(ctx, out) ? out : undefined;
}

/** A number for a message: 6 significant digits, inf spelled as in the language. */
export const fmt = (x: number) =>
  x === Infinity ? 'inf' : x === -Infinity ? '-inf' : Number.isInteger(x) && Math.abs(x) < 1e9 ? String(x) : String(Number(x.toPrecision(6)));

/** Weights >= 0 and summing to 1 for every t in [0, 1]; rates >= 0 for every t. */
function checkRates(ctx: CheckContext, chans: CheckedChannel[]): boolean {
  const params = ctx.paramValues();
  const names = new Set<string>();
  for (const c of chans) for (const e of [c.weight, c.rate]) if (e) for (const n of paramsUsed(e)) names.add(n);
  if (!ctx.hasValues(names)) return false; // a param is broken; that is reported already
  let ok = true;
  for (const c of chans) {
    for (const clause of ['weight', 'rate'] as const) {
      const e = c[clause];
      if (!e) continue;
      const cl = c.decl.clauses.find((k) => k.clause === clause)!;
      const r = memo(exprKey('nonneg', [e], params), () => checkNonNegative(e, { params, t: [0, 1] }));
      if (!r.ok) {
        const value = Number.isNaN(r.value) ? 'is not a number' : `is ${fmt(r.value)}`;
        ctx.error(cl.expr.loc, clause === 'rate' ? 'negative-rate' : 'negative-weight',
          `the ${clause} of channel ${operatorText(c.operator)} ${value} at t = ${fmt(r.t)}; a ${clause} must be >= 0 for every t in [0, 1]`);
        ok = false;
      } else if (r.how === 'grid' && memo(exprKey('finite', [e], params), () => checkFinite(e, { params, t: [0, 1] })).ok) {
        // (An expression infinite somewhere cannot be bounded by intervals there; it gets its own message below.)
        ctx.warn(cl.expr.loc, `unproven-${clause}`,
          `the ${clause} of channel ${operatorText(c.operator)} could not be proven >= 0 for every t in [0, 1] by interval arithmetic; no negative value was found on a 4097-point grid nor by a bounded search (docs/expressions.md)`);
      }
    }
  }
  // An own rate must be finite inside (0, 1); infinite at an end (an integrable singularity, as
  // in a log-linear schedule with eps -> 0) is allowed with a warning.
  for (const c of chans) {
    if (!c.rate || !ok) continue;
    const rate = c.rate;
    const r = memo(exprKey('finite', [rate], params), () => checkFinite(rate, { params, t: [0, 1] }));
    if (r.ok) {
      // Its cumulative rate Lambda_c(1) (the trapezoid rule on 1025 points: enough to see the scale).
      const L1 = memo(exprKey('lambda1', [rate], params), () => {
        const n = 1024;
        let sum = 0;
        for (let i = 0; i <= n; i++) sum += (i === 0 || i === n ? 0.5 : 1) * evalExpr(substituteParams(rate, params), { t: i / n });
        return sum / n;
      });
      if (L1 > MAX_LAMBDA) {
        const cl = c.decl.clauses.find((k) => k.clause === 'rate')!;
        ctx.error(cl.expr.loc, 'rate-too-large', `the rate of channel ${operatorText(c.operator)} integrates to Lambda(1) = ${fmt(L1)}, more than the limit ${MAX_LAMBDA} (docs/limits.md): exp(-Lambda(1)) is 0 long before, and rates this large overflow the reverse step and the ELBO weight`);
        ok = false;
      }
      continue;
    }
    const cl = c.decl.clauses.find((k) => k.clause === 'rate')!;
    const what = `the rate of channel ${operatorText(c.operator)} is ${Number.isNaN(r.value) ? 'not a number' : fmt(r.value)} at t = ${fmt(r.t)}`;
    if (!Number.isNaN(r.value) && (r.t === 0 || r.t === 1)) ctx.warn(cl.expr.loc, 'infinite-rate', `${what}; the loss weight is unbounded there`);
    else {
      ctx.error(cl.expr.loc, 'infinite-rate', `${what}; a rate must be finite inside (0, 1)`);
      ok = false;
    }
  }
  const sharing = chans.filter((c) => !c.rate);
  if (ok && sharing.length > 0 && (sharing.length > 1 || sharing[0]!.weight)) {
    const shares = sharing.map((c) => c.weight ?? ({ k: 'num', v: 1 } as Expr));
    const r = memo(exprKey('sum1', shares, params), () => checkConstantSum(shares, 1, { params }));
    if (!r.ok) {
      const first = sharing.find((c) => c.weight) ?? sharing[0]!;
      const where = first.decl.clauses.find((k) => k.clause === 'weight')?.expr.loc ?? first.decl.loc;
      const parts = sharing.map((c) => `${operatorText(c.operator)}: ${c.weight ? formatExpr(c.weight) : '1 (no weight)'}`).join(', ');
      const sum = Number.isNaN(r.value) ? 'is not a number' : `is ${fmt(r.value)}`;
      ctx.error(where, 'weights-sum', `the weights of the channels must sum to 1 for every t in [0, 1]; at t = ${fmt(r.t)} their sum ${sum} (${parts})`);
      ok = false;
    }
  }
  return ok;
}
