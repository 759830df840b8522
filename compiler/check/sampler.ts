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

interface OptionSpec {
  type: 'int' | 'real' | 'bool';
  range?: { lo: number; hi: number; loOpen: boolean; hiOpen: boolean };
  doc: string;
}

const closed = (lo: number, hi: number) => ({ lo, hi, loOpen: false, hiOpen: false });
const STEPS: OptionSpec = { type: 'int', range: { lo: 1, hi: Infinity, loOpen: false, hiOpen: true }, doc: 'number of reverse steps' };

/** The predictors and the options each takes. `steps` is required by all. */
export const PREDICTORS: Readonly<Record<Sampler['predictor'], { doc: string; options: Record<string, OptionSpec> }>> = {
  ancestral: { doc: 'the plug-in reverse step p(x_s | x_t)', options: { steps: STEPS } },
  tau_leap: { doc: 'Euler steps on the reverse rates', options: { steps: STEPS } },
  remask: {
    doc: 'ReMDM-style predictor-corrector',
    options: {
      steps: STEPS,
      eta: { type: 'real', range: closed(0, 1), doc: 'remasking strength' },
      t_on: { type: 'real', range: closed(0, 1), doc: 'remasking starts below this t' },
      t_off: { type: 'real', range: closed(0, 1), doc: 'remasking stops below this t' },
    },
  },
  confidence: {
    doc: 'commit the most confident positions each step',
    options: { steps: STEPS, block: { type: 'int', range: { lo: 1, hi: Infinity, loOpen: false, hiOpen: true }, doc: 'block length (positions)' } },
  },
  self_correct: {
    doc: 'GIDD-style fixed-point passes at small t',
    options: {
      steps: STEPS,
      passes: { type: 'int', range: { lo: 1, hi: Infinity, loOpen: false, hiOpen: true }, doc: 'correction passes' },
      t_start: { type: 'real', range: closed(0, 1), doc: 'corrections run below this t' },
    },
  },
};

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

export function checkSampler(ctx: CheckContext, s: A.SamplerDecl, x: ExprLowering): Sampler | undefined {
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
