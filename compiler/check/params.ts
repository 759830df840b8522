// `param NAME: int|real|bool = DEFAULT in RANGE`: names, types, ranges, defaults, and the
// `--set name=value` overrides, which are checked exactly like defaults.
import type * as A from '../../grammar/index.ts';
import { didYouMean } from '../../grammar/index.ts';
import type { Num, Param, Range } from '../../specs/types/kernel.ts';
import { FUNCTIONS } from '../expr/index.ts';
import { CONSTANTS, FIELDS, scopes, type ExprLowering } from './expressions.ts';
import type { CheckContext, ParamValue } from './context.ts';
import { MAX_PARAMS } from '../limits.ts';

export type Overrides = Readonly<Record<string, number | boolean | string>>;

const TYPES = ['int', 'real', 'bool'] as const;
type ParamType = (typeof TYPES)[number];

/** Names that mean something in an expression already. */
const TAKEN: Record<string, string> = {
  t: 'the time t',
  s: 'the target time of a reverse step',
  step: "the sampler's step index",
  v: 'the token a rule applies to',
  if: 'the conditional if(cond, a, b)',
  ...Object.fromEntries(Object.keys(CONSTANTS).map((c) => [c, 'a constant'])),
  ...Object.fromEntries(FIELDS.map((f) => [f, 'a per-token vector of sampler rules'])),
  ...Object.fromEntries(Object.keys(FUNCTIONS).map((f) => [f, 'a function'])),
};

export const num = (x: number): Num => (x === Infinity ? 'inf' : x === -Infinity ? '-inf' : x);
const fmtNum = (x: number) => (x === Infinity ? 'inf' : x === -Infinity ? '-inf' : String(x));

export function rangeText(r: { lo: number; hi: number; loOpen: boolean; hiOpen: boolean }): string {
  return `${r.loOpen ? '(' : '['}${fmtNum(r.lo)}, ${fmtNum(r.hi)}${r.hiOpen ? ')' : ']'}`;
}

export function inRange(x: number, r: { lo: number; hi: number; loOpen: boolean; hiOpen: boolean }): boolean {
  return (r.loOpen ? x > r.lo : x >= r.lo) && (r.hiOpen ? x < r.hi : x <= r.hi);
}

interface NumRange {
  lo: number;
  hi: number;
  loOpen: boolean;
  hiOpen: boolean;
}

/** Declares every param (names first, so that expressions anywhere can refer to them). */
export function declareParams(ctx: CheckContext, stmts: A.ParamDecl[], x: ExprLowering): void {
  if (stmts.length > MAX_PARAMS) {
    ctx.error(stmts[MAX_PARAMS]!.loc, 'too-many-params', `the kernel declares ${stmts.length} params, more than the limit ${MAX_PARAMS} (docs/limits.md); pass values with --set instead of declaring so many`);
    return;
  }
  for (const p of stmts) {
    if (!p.name) continue;
    const name = p.name.name;
    const prev = ctx.params.get(name);
    if (prev) {
      ctx.error(p.name.loc, 'duplicate', `the param '${name}' is already declared on line ${prev.decl.loc.line}`);
      continue;
    }
    if (TAKEN[name]) {
      ctx.error(p.name.loc, 'reserved-name', `'${name}' is ${TAKEN[name]} in expressions; give the param another name`);
      continue;
    }
    let type: ParamType | undefined;
    if (p.type) {
      const tn = p.type.name;
      if ((TYPES as readonly string[]).includes(tn)) type = tn as ParamType;
      else {
        const alias: Record<string, ParamType> = { float: 'real', double: 'real', number: 'real', integer: 'int', boolean: 'bool' };
        const hint = alias[tn] ? `; did you mean '${alias[tn]}'?` : didYouMean(tn, TYPES);
        ctx.error(p.type.loc, 'param-type', `unknown param type '${tn}': a param is int, real or bool${hint}`);
      }
    }
    ctx.params.set(name, { decl: p, name, type: type ?? 'real', value: undefined });
    if (!type) continue;
    checkParam(ctx, p, name, type, x);
  }
}

function checkParam(ctx: CheckContext, p: A.ParamDecl, name: string, type: ParamType, x: ExprLowering): void {
  const info = ctx.params.get(name)!;
  let value: ParamValue | undefined;
  let range: NumRange | undefined;
  let ok = true;

  if (type === 'bool') {
    const d = p.default.kind === 'paren' ? p.default.inner : p.default;
    if (d.kind === 'bool') value = d.value;
    else if (d.kind !== 'missing') {
      ctx.error(p.default.loc, 'param-default', `the bool param '${name}' needs true or false as its default`);
      ok = false;
    } else ok = false;
    if (p.range) {
      ctx.error(p.range.loc, 'param-range', `a bool param has no range; remove 'in ${p.range.loOpen ? '(' : '['}...'`);
      ok = false;
    }
  } else {
    const what = `the default of '${name}'`;
    const d = p.default.kind === 'paren' ? p.default.inner : p.default;
    if (d.kind === 'bool') {
      ctx.error(p.default.loc, 'param-default', `the ${type} param '${name}' needs a number as its default, not ${d.value}`);
      ok = false;
    } else {
      const v = x.constant(p.default, scopes.literal(what));
      if (v === undefined) ok = false;
      else if (type === 'int' && !Number.isInteger(v)) {
        ctx.error(p.default.loc, 'param-default', `the int param '${name}' needs a whole number as its default, not ${fmtNum(v)}`);
        ok = false;
      } else value = v;
    }
    if (p.range) {
      const lo = x.constant(p.range.lo, scopes.literal(`the lower end of the range of '${name}'`));
      const hi = x.constant(p.range.hi, scopes.literal(`the upper end of the range of '${name}'`));
      if (lo === undefined || hi === undefined) ok = false;
      else {
        const r = { lo, hi, loOpen: p.range.loOpen, hiOpen: p.range.hiOpen };
        if (lo > hi || (lo === hi && (r.loOpen || r.hiOpen))) {
          ctx.error(p.range.loc, 'param-range', `the range ${rangeText(r)} of '${name}' is empty`);
          ok = false;
        } else if ((lo === Infinity && !r.loOpen) || (hi === -Infinity && !r.hiOpen) || (lo === -Infinity && !r.loOpen) || (hi === Infinity && !r.hiOpen)) {
          ctx.error(p.range.loc, 'param-range', `an infinite end of a range is open: write ${rangeText({ ...r, loOpen: r.loOpen || !Number.isFinite(lo), hiOpen: r.hiOpen || !Number.isFinite(hi) })}`);
          ok = false;
        } else {
          range = r;
          if (typeof value === 'number' && !inRange(value, r)) {
            ctx.error(p.default.loc, 'param-default', `the default ${fmtNum(value)} of '${name}' is outside its range ${rangeText(r)}`);
            ok = false;
          }
        }
      }
    }
  }
  if (!ok || value === undefined) return;
  ctx.setValue(info, value);
  const ir: Param = { name, type, default: typeof value === 'number' ? num(value) : value, value: typeof value === 'number' ? num(value) : value };
  if (range) ir.range = { lo: num(range.lo), hi: num(range.hi), loOpen: range.loOpen, hiOpen: range.hiOpen } satisfies Range;
  if (p.doc) ir.doc = p.doc;
  info.ir = ir;
}

/** Applies `--set` overrides: each is parsed by the param's type and checked against its range. */
export function applyOverrides(ctx: CheckContext, overrides: Overrides, at: A.Loc): void {
  for (const [name, raw] of Object.entries(overrides)) {
    const p = ctx.params.get(name);
    const shown = `--set ${name}=${String(raw)}`;
    if (!p) {
      const names = [...ctx.params.keys()];
      const hint = didYouMean(name, names) || (names.length ? `; its params are ${names.join(', ')}` : '; it has no params');
      ctx.error(at, 'unknown-param', `${shown}: the kernel has no param '${name}'${hint}`);
      continue;
    }
    if (!p.ir) continue; // the declaration itself is broken and already reported
    const loc = p.decl.name?.loc ?? p.decl.loc;
    const value = parseOverride(p.type, raw);
    if (typeof value === 'string') {
      ctx.error(loc, 'param-override', `${shown}: ${value}`);
      ctx.setValue(p, undefined);
      continue;
    }
    const r = p.ir.range;
    if (r && typeof value === 'number') {
      const nr = { lo: toNumber(r.lo), hi: toNumber(r.hi), loOpen: r.loOpen, hiOpen: r.hiOpen };
      if (!inRange(value, nr)) {
        ctx.error(loc, 'param-override', `${shown}: ${fmtNum(value)} is outside the range ${rangeText(nr)} of '${name}'`);
        ctx.setValue(p, undefined);
        continue;
      }
    }
    ctx.setValue(p, value);
    p.ir.value = typeof value === 'number' ? num(value) : value;
  }
}

const toNumber = (x: Num) => (x === 'inf' ? Infinity : x === '-inf' ? -Infinity : x);

/** The value, or a message saying why it is not one. */
export function parseOverride(type: ParamType, raw: number | boolean | string): ParamValue | string {
  if (type === 'bool') {
    if (typeof raw === 'boolean') return raw;
    if (raw === 'true' || raw === 'false') return raw === 'true';
    return `the param is a bool: give true or false`;
  }
  let x: number;
  if (typeof raw === 'boolean') return `the param is ${type === 'int' ? 'an int' : 'a real'}: give a number`;
  if (typeof raw === 'number') x = raw;
  else {
    const s = raw.trim();
    if (s === 'inf' || s === '+inf') x = Infinity;
    else if (s === '-inf') x = -Infinity;
    else if (/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(s)) x = Number(s);
    else return `'${raw}' is not a number`;
  }
  if (Number.isNaN(x)) return `the value is not a number`;
  if (type === 'int' && !Number.isInteger(x)) return `the param is an int: give a whole number`;
  return x;
}
