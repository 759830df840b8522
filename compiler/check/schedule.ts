// `schedule NAME(ARGS)` (a built-in from compiler/schedules.ts) or `schedule Lambda(t) = EXPR`
// (sigma by symbolic differentiation; KERNELS.md section 3). Built-in arguments are numbers in
// the IR, so params are substituted and each value is checked against the argument's range.
import type * as A from '../../grammar/index.ts';
import { didYouMean } from '../../grammar/index.ts';
import type { Schedule } from '../../specs/types/kernel.ts';
import { SCHEDULES, builtinSchedule, checkSchedule, exprSchedule, isBuiltinSchedule, type ScheduleProblem } from '../schedules.ts';
import { paramsUsed } from '../expr/index.ts';
import { scopes, type ExprLowering } from './expressions.ts';
import type { CheckContext } from './context.ts';
import { exprKey, memo } from './memo.ts';

const EXPR_FORM = 'schedule Lambda(t) = EXPR';

export function checkScheduleDecl(ctx: CheckContext, s: A.ScheduleDecl, x: ExprLowering): Schedule | undefined {
  if (!s.name) return undefined;
  const name = s.name.name;
  if (s.body) return lambdaSchedule(ctx, s, x);
  if (!isBuiltinSchedule(name)) {
    const names = Object.keys(SCHEDULES);
    const hint = name === 'Lambda' || name === 'lambda' ? `; write ${EXPR_FORM}` : didYouMean(name, names);
    ctx.error(s.name.loc, 'unknown-schedule', `unknown schedule '${name}': the built-ins are ${names.join(', ')}, or ${EXPR_FORM}${hint}`);
    return undefined;
  }
  const specs = SCHEDULES[name].args;
  const values: Record<string, number> = {};
  const given = new Map<string, A.Arg>();
  let ok = true;
  (s.args ?? []).forEach((a, i) => {
    let spec: (typeof specs)[number] | undefined;
    if (a.name) {
      spec = specs.find((p) => p.name === a.name!.name);
      if (!spec) {
        const known = specs.map((p) => p.name);
        ctx.error(a.name.loc, 'schedule-arg', `${name} has no argument '${a.name.name}'${known.length ? `; it takes ${known.join(', ')}` : '; it takes none'}${didYouMean(a.name.name, known)}`);
        ok = false;
        return;
      }
    } else {
      spec = specs[i];
      if (!spec) {
        if (!s.recovered) {
          ctx.error(a.loc, 'arity', `${name} takes ${specs.length === 0 ? 'no arguments' : `${specs.length} argument${specs.length === 1 ? '' : 's'} (${specs.map((p) => p.name).join(', ')})`}, got ${s.args!.length}`);
        }
        ok = false;
        return;
      }
    }
    if (given.has(spec.name)) {
      ctx.error(a.loc, 'duplicate', `the argument '${spec.name}' of ${name} is given twice`);
      ok = false;
      return;
    }
    given.set(spec.name, a);
    const v = x.constant(a.value, scopes.constant(`the schedule argument ${spec.name}`));
    if (v === undefined) {
      ok = false;
      return;
    }
    values[spec.name] = v;
  });
  if (!ok) return undefined;
  let built: { sched: Schedule; problems: ScheduleProblem[] };
  try {
    // Built-in arguments are numbers already, so the result depends on them alone.
    built = memo(JSON.stringify(['builtin', name, values]), () => {
      const sched = builtinSchedule(name, values);
      return { sched, problems: checkSchedule(sched, {}) };
    });
  } catch (err) {
    ctx.error(s.loc, 'schedule', `schedule ${name}: ${(err as Error).message}`);
    return undefined;
  }
  // Arguments out of range are reported at the argument; the rest at the schedule's name.
  return report(ctx, built.problems, (p) => (p.arg && given.get(p.arg)?.value.loc) || s.name!.loc) ? built.sched : undefined;
}

/** Reports the problems checkSchedule found; true when none is an error. */
function report(ctx: CheckContext, problems: ScheduleProblem[], where: (p: ScheduleProblem) => A.Loc): boolean {
  let ok = true;
  for (const p of problems) {
    if (p.severity === 'error') {
      ctx.error(where(p), 'schedule', p.message);
      ok = false;
    } else ctx.warn(where(p), 'schedule', p.message);
  }
  return ok;
}

function lambdaSchedule(ctx: CheckContext, s: A.ScheduleDecl, x: ExprLowering): Schedule | undefined {
  const name = s.name!;
  const args = s.args ?? [];
  const arg = args[0];
  if (name.name !== 'Lambda' || args.length !== 1 || !arg || arg.name || arg.value.kind !== 'name' || arg.value.name !== 't') {
    if (!s.recovered) ctx.error(name.loc, 'schedule', `a schedule written as an expression gives the cumulative rate: ${EXPR_FORM}`);
    return undefined;
  }
  const body = x.lower(s.body!, scopes.time('Lambda(t)'));
  if (!body) return undefined;
  if (!ctx.hasValues(paramsUsed(body))) return undefined;
  const params = ctx.paramValues();
  let built: { sched: Schedule; problems: ScheduleProblem[] };
  try {
    built = memo(exprKey('lambda', [body], params), () => {
      const sched = exprSchedule(body);
      return { sched, problems: checkSchedule(sched, params) };
    });
  } catch (err) {
    ctx.error(s.body!.loc, 'schedule', `Lambda(t): ${(err as Error).message}`);
    return undefined;
  }
  return report(ctx, built.problems, () => s.body!.loc) ? built.sched : undefined;
}
