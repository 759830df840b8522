// `loss elbo | ce | weighted_ce(EXPR)`.
import type * as A from '../../grammar/index.ts';
import { didYouMean } from '../../grammar/index.ts';
import type { Loss } from '../../specs/types/kernel.ts';
import { checkNonNegative, paramsUsed } from '../expr/index.ts';
import { scopes, type ExprLowering } from './expressions.ts';
import type { CheckContext } from './context.ts';
import { exprKey, memo } from './memo.ts';

const LOSSES = ['elbo', 'ce', 'weighted_ce'] as const;

export function checkLoss(ctx: CheckContext, l: A.LossDecl, x: ExprLowering): Loss | undefined {
  if (!l.name) return undefined;
  const name = l.name.name;
  switch (name) {
    case 'elbo':
    case 'ce':
      if (l.args) {
        ctx.error(l.args[0]?.loc ?? l.name.loc, 'loss', `the ${name} loss takes no arguments: write loss ${name}`);
        return undefined;
      }
      return { kind: name };
    case 'weighted_ce': {
      const a = l.args?.[0];
      if (!l.args || l.args.length !== 1 || !a || a.name) {
        if (!l.recovered) ctx.error(l.args?.[1]?.loc ?? a?.loc ?? l.name.loc, 'loss', `weighted_ce takes one weight, a function of t, as in loss weighted_ce(1 / t)`);
        return undefined;
      }
      const w = x.lower(a.value, scopes.time('the loss weight'));
      if (!w) return undefined;
      if (ctx.hasValues(paramsUsed(w))) {
        const params = ctx.paramValues();
        const r = memo(exprKey('nonneg', [w], params), () => checkNonNegative(w, { params, t: [0, 1] }));
        if (!r.ok) {
          ctx.error(a.value.loc, 'loss', `the loss weight ${Number.isNaN(r.value) ? 'is not a number' : `is ${r.value}`} at t = ${r.t}; it must be >= 0 for every t in [0, 1]`);
          return undefined;
        }
      }
      return { kind: 'weighted_ce', weight: w };
    }
  }
  ctx.error(l.name.loc, 'loss', `unknown loss '${name}': a loss is elbo, ce or weighted_ce(EXPR)${didYouMean(name, LOSSES)}`);
  return undefined;
}
