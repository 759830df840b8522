// `sampler PREDICTOR(OPTIONS) { RULES }` (KERNELS.md section 4): the predictor and its options,
// then each rule in order. Option values are numbers in the IR, so params are substituted;
// rule expressions keep their params (the value in force is in params[].value).
import type * as A from '../../grammar/index.ts';
import { didYouMean } from '../../grammar/index.ts';
import type { Expr, Rule, Sampler } from '../../specs/types/kernel.ts';
import { evalExpr, paramsUsed, varsUsed } from '../expr/index.ts';
import { inRange, rangeText } from './params.ts';
import { scopes, show, type ExprLowering } from './expressions.ts';
import type { CheckContext } from './context.ts';
import { MAX_STEPS } from '../limits.ts';

interface OptionSpec {
  type: 'int' | 'real' | 'bool';
  range?: { lo: number; hi: number; loOpen: boolean; hiOpen: boolean };
  doc: string;
  /** The value the sampler uses when the kernel does not give the option (docs/sampling.md). */
  default?: number;
}

const closed = (lo: number, hi: number) => ({ lo, hi, loOpen: false, hiOpen: false });
const STEPS: OptionSpec = { type: 'int', range: { lo: 1, hi: MAX_STEPS, loOpen: false, hiOpen: false }, doc: 'number of reverse steps' };

/** The predictors and the options each takes. `steps` is required by all. */
export const PREDICTORS: Readonly<Record<Sampler['predictor'], { doc: string; options: Record<string, OptionSpec> }>> = {
  ancestral: { doc: 'the plug-in reverse step p(x_s | x_t)', options: { steps: STEPS } },
  tau_leap: { doc: 'Euler steps on the reverse rates', options: { steps: STEPS } },
  remask: {
    doc: 'ReMDM-style predictor-corrector',
    options: {
      steps: STEPS,
      eta: { type: 'real', range: closed(0, 1), doc: 'remasking strength', default: 0.02 },
      t_on: { type: 'real', range: closed(0, 1), doc: 'remasking starts below this t', default: 0.55 },
      t_off: { type: 'real', range: closed(0, 1), doc: 'remasking stops below this t', default: 0.05 },
    },
  },
  confidence: {
    doc: 'commit the most confident positions each step',
    // No default block: one block of the whole sequence (MaskGIT); LLaDA's semi-autoregressive blocks with block < L.
    options: { steps: STEPS, block: { type: 'int', range: { lo: 1, hi: Infinity, loOpen: false, hiOpen: true }, doc: 'block length (positions)' } },
  },
  self_correct: {
    doc: 'GIDD-style fixed-point passes at small t',
    options: {
      steps: STEPS,
      passes: { type: 'int', range: { lo: 1, hi: Infinity, loOpen: false, hiOpen: true }, doc: 'correction passes', default: 128 },
      t_start: { type: 'real', range: closed(0, 1), doc: 'the time the correction passes give the model', default: 0.01 },
    },
  },
};

/** The operators of a kernel's channels, as a predictor needs them. */
export type ChannelOp = 'mask' | 'reset' | 'jump';

/**
 * Why `predictor` makes no sense for a kernel whose channels have these operators, or undefined
 * when it does (docs/sampling.md): remask (ReMDM) is derived for absorbing-state kernels; confidence
 * commits masked positions; self_correct replaces visible tokens, which are never noise when every
 * channel is mask. The compiler reports it at the predictor; the sampler for an override.
 */
export function predictorProblem(predictor: string, ops: readonly ChannelOp[]): string | undefined {
  if (ops.length === 0) return undefined;
  const hasMask = ops.includes('mask');
  const others = [...new Set(ops.filter((o) => o !== 'mask'))];
  const has = others.map((o) => (o === 'reset' ? 'a reset channel' : 'a jump channel')).join(' and ');
  switch (predictor) {
    case 'remask':
      if (!hasMask) return `remask (ReMDM) remasks visible tokens: it needs a mask channel, and this kernel has none (it has ${has})`;
      if (others.length) return `remask (ReMDM) is defined for absorbing-state kernels, whose every channel is mask; this kernel also has ${has}`;
      return undefined;
    case 'confidence':
      return hasMask ? undefined : `confidence commits the most confident masked positions: it needs a mask channel, and this kernel has none (it has ${has})`;
    case 'self_correct':
      return others.length
        ? undefined
        : 'self_correct replaces visible tokens that the model disagrees with: with only mask channels a visible token is always clean, so there is nothing to correct (it needs a reset or jump channel)';
    default:
      return undefined;
  }
}

/** Where a value rule's value must lie. */
const VALUE_RULES: Record<A.ValueRuleName, { range: { lo: number; hi: number; loOpen: boolean; hiOpen: boolean }; int?: boolean; example: string }> = {
  temperature: { range: { lo: 0, hi: Infinity, loOpen: true, hiOpen: true }, example: 'temperature 0.8' },
  top_k: { range: { lo: 1, hi: Infinity, loOpen: false, hiOpen: true }, int: true, example: 'top_k 50' },
  top_p: { range: { lo: 0, hi: 1, loOpen: true, hiOpen: false }, example: 'top_p 0.95' },
  min_p: { range: closed(0, 1), example: 'min_p 0.05' },
  repetition_penalty: { range: { lo: 0, hi: Infinity, loOpen: true, hiOpen: true }, example: 'repetition_penalty 1.2' },
};

const RULE_NAMES = ['logit', 'temperature', 'top_k', 'top_p', 'min_p', 'repetition_penalty', 'cache', 'denoise'];
const DENOISE = ['argmax', 'sample', 'none'] as const;

/**
 * The sampler block. `channels` are the kernel's channel statements: a predictor that makes no
 * sense for them (predictorProblem) is an error at the predictor.
 */
export function checkSampler(ctx: CheckContext, s: A.SamplerDecl, x: ExprLowering, channels: readonly A.ChannelDecl[] = []): Sampler | undefined {
  let ok = true;
  if (!s.predictor) return undefined;
  const pname = s.predictor.name;
  const predictor = (PREDICTORS as Record<string, (typeof PREDICTORS)[keyof typeof PREDICTORS]>)[pname];
  const options: Sampler['options'] = { steps: 0 };
  if (!predictor) {
    ctx.error(s.predictor.loc, 'predictor', `unknown predictor '${pname}': a sampler is ${Object.keys(PREDICTORS).join(', ')}${didYouMean(pname, Object.keys(PREDICTORS))}`);
    ok = false;
  } else {
    const seen = new Set<string>();
    for (const a of s.args ?? []) {
      if (!a.name) {
        if (a.value.kind !== 'missing') ctx.error(a.loc, 'sampler-option', `name the sampler's options, as in ${pname}(steps = 128)`);
        ok = false;
        continue;
      }
      const name = a.name.name;
      const spec = predictor.options[name];
      if (!spec) {
        const known = Object.keys(predictor.options);
        ctx.error(a.name.loc, 'sampler-option', `${pname} has no option '${name}'; it takes ${known.join(', ')}${didYouMean(name, known)}`);
        ok = false;
        continue;
      }
      if (seen.has(name)) {
        ctx.error(a.name.loc, 'duplicate', `the option '${name}' is given twice`);
        ok = false;
        continue;
      }
      seen.add(name);
      if (spec.type === 'bool') {
        const b = x.bool(a.value, name);
        if (b === undefined) ok = false;
        else options[name] = b;
        continue;
      }
      const v = x.constant(a.value, scopes.constant(`the sampler option ${name}`));
      if (v === undefined) {
        ok = false;
        continue;
      }
      if (spec.type === 'int' && !Number.isInteger(v)) {
        ctx.error(a.value.loc, 'sampler-option', `${name} (${spec.doc}) must be a whole number, not ${v}`);
        ok = false;
      } else if (spec.range && !inRange(v, spec.range)) {
        ctx.error(a.value.loc, 'sampler-option', `${name} (${spec.doc}) must be in ${rangeText(spec.range)}, not ${v}`);
        ok = false;
      } else options[name] = v;
    }
    if (!seen.has('steps')) {
      if (!s.recovered) ctx.error(s.predictor.loc, 'sampler-option', `the sampler needs its number of steps, as in ${pname}(steps = 128)`);
      ok = false;
    }
    // remask's window (t_off, t_on] must not be empty the wrong way round.
    const on = options['t_on'];
    const off = options['t_off'];
    if (typeof on === 'number' && typeof off === 'number' && off > on) {
      const at = (s.args ?? []).find((a) => a.name?.name === 't_off');
      ctx.error(at?.value.loc ?? s.predictor.loc, 'sampler-option', `t_off (${off}) must not exceed t_on (${on}): remasking runs while t_off < t <= t_on`);
      ok = false;
    }
    const ops = channels.map((c) => c.operator?.name).filter((o): o is ChannelOp => o === 'mask' || o === 'reset' || o === 'jump');
    const problem = ops.length === channels.length ? predictorProblem(pname, ops) : undefined;
    if (problem) {
      ctx.error(s.predictor.loc, 'predictor', problem);
      ok = false;
    }
  }

  const rules: Rule[] = [];
  let cache: A.SamplerRule | undefined;
  let denoise: A.DenoiseRule | undefined;
  let denoiseMode: Sampler['denoise'] = 'none';
  const valueSeen = new Map<string, A.SamplerRule>();
  for (const r of s.rules) {
    switch (r.kind) {
      case 'cache':
        if (cache) {
          ctx.error(r.loc, 'duplicate', `cache is already on (line ${cache.loc.line})`);
          ok = false;
        }
        cache = r;
        break;
      case 'denoise': {
        if (denoise) {
          ctx.error(r.loc, 'duplicate', `the final denoise step is already set on line ${denoise.loc.line}`);
          ok = false;
        }
        denoise = r;
        if (!r.mode) {
          ok = false;
          break;
        }
        if ((DENOISE as readonly string[]).includes(r.mode.name)) denoiseMode = r.mode.name as Sampler['denoise'];
        else {
          ctx.error(r.mode.loc, 'denoise', `denoise takes argmax, sample or none, not '${r.mode.name}'${didYouMean(r.mode.name, DENOISE)}`);
          ok = false;
        }
        break;
      }
      case 'logit': {
        const rule = logitRule(ctx, r, x);
        if (rule) rules.push(rule);
        else ok = false;
        break;
      }
      case 'value': {
        const prev = valueSeen.get(r.rule);
        if (prev) {
          ctx.error(r.loc, 'duplicate', `${r.rule} is already set on line ${prev.loc.line}`);
          ok = false;
          break;
        }
        valueSeen.set(r.rule, r);
        const rule = valueRule(ctx, r, x);
        if (rule) rules.push(rule);
        else ok = false;
        break;
      }
      case 'unknown':
        ctx.error(r.name.loc, 'unknown-rule', `unknown sampler rule '${r.name.name}'${didYouMean(r.name.name, RULE_NAMES) || `: the rules are logit[v] -= EXPR, ${RULE_NAMES.slice(1).join(', ')}`}`);
        ok = false;
        break;
    }
  }
  if (!ok || !predictor) return undefined;
  return { predictor: pname as Sampler['predictor'], options, rules, cache: cache !== undefined, denoise: denoiseMode };
}

function logitRule(ctx: CheckContext, r: A.LogitRule, x: ExprLowering): Rule | undefined {
  let ok = true;
  const idx = r.index.kind === 'paren' ? r.index.inner : r.index;
  if (idx.kind !== 'missing' && !(idx.kind === 'name' && idx.name === 'v')) {
    ctx.error(r.index.loc, 'logit-rule', `a logit rule sets logit[v] for every token v: write logit[v], not logit[${show(r.index)}]`);
    ok = false;
  }
  const e = x.lower(r.value, scopes.rule('a logit rule'));
  if (!e || !r.op || !ok) return undefined;
  return { kind: 'logit', op: r.op, expr: e };
}

function valueRule(ctx: CheckContext, r: A.ValueRule, x: ExprLowering): Rule | undefined {
  const spec = VALUE_RULES[r.rule];
  const e = x.lower(r.value, scopes.stepValue(r.rule));
  if (!e) return undefined;
  if (!ctx.hasValues(paramsUsed(e))) return undefined;
  const bad = (v: number, where: string) => {
    const what = spec.int ? `a whole number in ${rangeText(spec.range)}` : `in ${rangeText(spec.range)}`;
    ctx.error(r.value.loc, 'rule-value', `${r.rule} must be ${what}, as in ${spec.example}; it is ${v}${where}`);
  };
  const check = (v: number, where: string) => {
    if (Number.isNaN(v) || !inRange(v, spec.range) || (spec.int && !Number.isInteger(v))) {
      bad(v, where);
      return false;
    }
    return true;
  };
  const vars = varsUsed(e);
  const params = ctx.paramValues();
  // A constant is checked once; a value that depends only on t is checked on a grid of t in
  // [0, 1]; values that depend on s or step are checked by the sampler at run time.
  if (vars.size === 0) return check(evalSafe(e, { params }), '') ? { kind: r.rule, value: e } : undefined;
  if (vars.size === 1 && vars.has('t')) {
    for (let i = 0; i <= 256; i++) {
      const t = i / 256;
      if (!check(evalSafe(e, { params, t }), ` at t = ${t}`)) return undefined;
    }
  }
  return { kind: r.rule, value: e };
}

function evalSafe(e: Expr, env: Parameters<typeof evalExpr>[1]): number {
  try {
    return evalExpr(e, env);
  } catch {
    return NaN;
  }
}
