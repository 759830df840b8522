// `hops H` (a fixed hop truncation) or `hops adaptive[(cap = N)]` (H ~ Lambda + 4 sqrt(Lambda),
// capped; KERNELS.md section 2.2). Without the statement: adaptive with cap 64.
import type * as A from '../../grammar/index.ts';
import { didYouMean } from '../../grammar/index.ts';
import type { Hops } from '../../specs/types/kernel.ts';
import { scopes, type ExprLowering } from './expressions.ts';
import type { CheckContext } from './context.ts';
import { MAX_HOPS } from '../limits.ts';

export const DEFAULT_HOPS: Hops = { mode: 'adaptive', cap: 64 };
const USAGE = 'hops takes a number of hops (hops 8) or adaptive(cap = N)';

export function checkHops(ctx: CheckContext, h: A.HopsDecl, x: ExprLowering): Hops | undefined {
  const v = h.value;
  if (v.kind === 'missing') return undefined;
  const isAdaptive = (e: A.Expr) => e.kind === 'name' && e.name === 'adaptive';
  if (isAdaptive(v)) return DEFAULT_HOPS;
  if (v.kind === 'call' && isAdaptive(v.callee)) {
    const a = v.args[0];
    if (v.args.length !== 1 || !a || (a.name && a.name.name !== 'cap')) {
      if (h.recovered) return undefined;
      const at = v.args.find((x) => x.name && x.name.name !== 'cap')?.name?.loc ?? v.loc;
      ctx.error(at, 'hops', `adaptive takes one option, cap (the largest H), as in hops adaptive(cap = 32)`);
      return undefined;
    }
    const cap = x.constant(a.value, scopes.constant('the hop cap'));
    if (cap === undefined) return undefined;
    if (!Number.isInteger(cap) || cap < 1) {
      ctx.error(a.value.loc, 'hops', `the hop cap must be a whole number >= 1, not ${cap}`);
      return undefined;
    }
    if (cap > MAX_HOPS) {
      ctx.error(a.value.loc, 'hops', `the hop cap ${cap} is more than the limit ${MAX_HOPS} (docs/limits.md: each hop is a pass over the graph); use a cap of at most ${MAX_HOPS}`);
      return undefined;
    }
    return { mode: 'adaptive', cap };
  }
  if (v.kind === 'name' && !ctx.params.has(v.name)) {
    ctx.error(v.loc, 'hops', `${USAGE}, not '${v.name}'${didYouMean(v.name, ['adaptive', ...ctx.params.keys()])}`);
    return undefined;
  }
  const H = x.constant(v, scopes.constant('the number of hops'));
  if (H === undefined) return undefined;
  if (!Number.isInteger(H) || H < 0) {
    ctx.error(v.loc, 'hops', `the number of hops must be a whole number >= 0, not ${H} (or write hops adaptive(cap = N))`);
    return undefined;
  }
  if (H > MAX_HOPS) {
    ctx.error(v.loc, 'hops', `hops ${H} is more than the limit ${MAX_HOPS} (docs/limits.md: each hop is a pass over the graph); use at most ${MAX_HOPS}, or hops adaptive(cap = N)`);
    return undefined;
  }
  return { mode: 'fixed', H };
}
