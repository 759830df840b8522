// The semantic check of a compiled kernel spec (dlmk.kernel/1), after its JSON Schema: what the
// schema cannot say (one mask channel, hasMask that matches the channels, params in their declared
// ranges, graphs that exist, bounded hops and steps, weights >= 0 summing to 1 and rates >= 0 for
// every t, a schedule the compiler would accept), with the compiler's own checks; and the loader
// every command uses for a spec file: size and nesting bounded, parsed, schema, semantic check,
// `--set` checked like the compiler checks it. Problems come back as values with JSON paths.
import { readFileSync, statSync } from 'node:fs';
import type { Channel, Expr, KernelSpec } from './types/kernel.ts';
import { checkAgainst, jsonErrorWhere, lineColumn, SpecValidationError, type SchemaIssue } from './validate.ts';
import { MAX_HOPS, MAX_JSON_BYTES, MAX_LAMBDA, MAX_NESTING, MAX_STEPS } from '../compiler/limits.ts';
import { checkConstantSum, checkFinite, checkNonNegative, evalExpr, ExprError, ExprEvalError } from '../compiler/expr/index.ts';
import { checkSchedule } from '../compiler/schedules.ts';
import { inRange, parseOverride, rangeText } from '../compiler/check/params.ts';

const numOf = (x: unknown): number => (x === 'inf' ? Infinity : x === '-inf' ? -Infinity : (x as number));
const fmt = (v: number) => (Number.isFinite(v) ? String(Number(v.toPrecision(6))) : String(v).replace('Infinity', 'inf'));

/** Deepest nesting of arrays and objects in `text` (strings skipped), and the offset where it is first reached; a scan, no recursion. */
export function jsonNesting(text: string): { depth: number; at: number } {
  let depth = 0;
  let best = 0;
  let at = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      if (++depth > best) {
        best = depth;
        at = i;
      }
    } else if (c === 125 || c === 93) depth--;
  }
  return { depth: best, at };
}

/** Line and column (1-based) of an offset. */

/**
 * Reads and parses a JSON file with its size and nesting bounded first (a deep document would
 * overflow the recursive checks after it). Throws SpecValidationError naming the file and where.
 */
export function readJsonFile(file: string, what = file): unknown {
  let size: number;
  try {
    size = statSync(file).size;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new SpecValidationError(what, [{ path: '$', message: `cannot read '${file}': ${code === 'ENOENT' ? 'no such file' : code ?? (err as Error).message}` }]);
  }
  if (size > MAX_JSON_BYTES) {
    throw new SpecValidationError(what, [{ path: '$', message: `'${file}' is ${size} bytes, more than the limit ${MAX_JSON_BYTES} for a JSON file (docs/limits.md)` }]);
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new SpecValidationError(what, [{ path: '$', message: `cannot read '${file}': ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` }]);
  }
  return parseJsonText(text, file, what);
}

/** JSON.parse with the nesting bounded and the error placed at a line and column of `file`. */
export function parseJsonText(text: string, file: string, what = file): unknown {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const n = jsonNesting(text);
  if (n.depth > MAX_NESTING) {
    throw new SpecValidationError(what, [{ path: '$', message: `'${file}' nests ${n.depth} levels deep at ${lineColumn(text, n.at)}, more than the limit ${MAX_NESTING} (docs/limits.md)` }]);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    const msg = (err as Error).message;
    const where = jsonErrorWhere(text, msg);
    throw new SpecValidationError(what, [{ path: '$', message: `'${file}' is not JSON${where}: ${msg.replace(/^Unexpected/, 'unexpected')}` }]);
  }
}

/** Every parameter name a `{k: 'param'}` node anywhere in `doc` refers to (iterative walk). */
function paramRefs(doc: unknown): Set<string> {
  const out = new Set<string>();
  const stack: unknown[] = [doc];
  while (stack.length) {
    const x = stack.pop();
    if (Array.isArray(x)) stack.push(...x);
    else if (x && typeof x === 'object') {
      const o = x as Record<string, unknown>;
      if (o['k'] === 'param' && typeof o['name'] === 'string') out.add(o['name']);
      for (const v of Object.values(o)) if (v && typeof v === 'object') stack.push(v);
    }
  }
  return out;
}

/** The issues of a schema-valid kernel spec that the schema cannot express (empty when none). */
export function checkKernelSpec(spec: KernelSpec): SchemaIssue[] {
  const issues: SchemaIssue[] = [];
  const add = (path: string, message: string) => issues.push({ path, message });
  // Params: unique names, values and defaults of their type and within their declared ranges.
  const params: Record<string, number | boolean> = {};
  const seen = new Set<string>();
  spec.params.forEach((p, i) => {
    const at = `$.params[${i}]`;
    if (seen.has(p.name)) add(`${at}.name`, `the param '${p.name}' is declared twice`);
    seen.add(p.name);
    for (const key of ['default', 'value'] as const) {
      const v = p[key];
      if (p.type === 'bool') {
        if (typeof v !== 'boolean') add(`${at}.${key}`, `'${p.name}' is a bool, but its ${key} is ${JSON.stringify(v)}`);
        continue;
      }
      if (typeof v === 'boolean') {
        add(`${at}.${key}`, `'${p.name}' is ${p.type === 'int' ? 'an int' : 'a real'}, but its ${key} is ${v}`);
        continue;
      }
      const x = numOf(v);
      if (Number.isNaN(x) || (p.type === 'int' && !Number.isInteger(x))) add(`${at}.${key}`, `'${p.name}' is ${p.type === 'int' ? 'an int' : 'a real'}, but its ${key} is ${fmt(x)}`);
      else if (p.range) {
        const r = { lo: numOf(p.range.lo), hi: numOf(p.range.hi), loOpen: p.range.loOpen, hiOpen: p.range.hiOpen };
        if (!(r.lo <= r.hi)) add(`${at}.range`, `the range ${rangeText(r)} of '${p.name}' is empty`);
        else if (!inRange(x, r)) add(`${at}.${key}`, `the ${key} ${fmt(x)} of '${p.name}' is outside its declared range ${rangeText(r)}`);
      }
    }
    params[p.name] = typeof p.value === 'boolean' ? p.value : numOf(p.value);
  });
  const refs = paramRefs(spec);
  for (const name of refs) if (!seen.has(name)) add('$', `an expression uses the param '${name}', which the spec does not declare`);

  // Graphs: unique names; channels that jump on graphs that exist.
  const graphNames = new Set<string>();
  spec.graphs.forEach((g, i) => {
    if (graphNames.has(g.name)) add(`$.graphs[${i}].name`, `the graph '${g.name}' is declared twice`);
    graphNames.add(g.name);
  });

  // Channels: at most one of each operator, hasMask that says whether one is mask.
  const ops = new Map<string, number>();
  spec.channels.forEach((c, i) => {
    const key = JSON.stringify(c.operator);
    const prev = ops.get(key);
    if (prev !== undefined) add(`$.channels[${i}].operator`, `channels ${prev} and ${i} are the same operator ${describeOp(c)}; merge them (their weights add)`);
    else ops.set(key, i);
    if (c.operator.op === 'jump' && !graphNames.has(c.operator.graph)) add(`$.channels[${i}].operator.graph`, `no graph named '${c.operator.graph}' (the spec's: ${[...graphNames].join(', ') || 'none'})`);
  });
  const masks = spec.channels.some((c) => c.operator.op === 'mask');
  if (spec.hasMask !== masks) add('$.hasMask', `is ${spec.hasMask}, but ${masks ? 'a channel is' : 'no channel is'} mask`);

  // Bounds that hold for compiled kernels.
  if (spec.hops.mode === 'fixed' && spec.hops.H > MAX_HOPS) add('$.hops.H', `hops ${spec.hops.H} is more than the limit ${MAX_HOPS} (docs/limits.md)`);
  if (spec.hops.mode === 'adaptive' && spec.hops.cap > MAX_HOPS) add('$.hops.cap', `the hop cap ${spec.hops.cap} is more than the limit ${MAX_HOPS} (docs/limits.md)`);
  const steps = spec.sampler.options.steps;
  if (!(Number.isInteger(steps) && steps >= 1 && steps <= MAX_STEPS)) add('$.sampler.options.steps', `steps must be a whole number in [1, ${MAX_STEPS}] (docs/limits.md), not ${steps}`);
  if (issues.length) return issues; // the numeric checks below assume a consistent spec

  // The compiler's numeric checks, on the IR: the schedule, weights >= 0 summing to 1, rates >= 0, all finite.
  try {
    if (spec.schedule.Lambda) {
      for (const p of checkSchedule(spec.schedule, params)) if (p.severity === 'error') add('$.schedule', p.message);
    }
    const shares: Expr[] = [];
    spec.channels.forEach((c, i) => {
      const at = `$.channels[${i}]`;
      for (const key of ['share', 'sigma', 'Lambda'] as const) {
        const e = c[key];
        if (!e) continue;
        const nn = checkNonNegative(e, { params });
        if (!nn.ok) {
          add(`${at}.${key}`, `${key === 'share' ? 'the weight' : key === 'sigma' ? 'the rate' : 'the cumulative rate'} of ${describeOp(c)} is ${fmt(nn.value)} at t = ${fmt(nn.t)}; it must be >= 0 for every t in [0, 1]`);
          continue;
        }
        const fin = checkFinite(e, { params });
        if (!fin.ok) add(`${at}.${key}`, `the ${key} of ${describeOp(c)} is ${fmt(fin.value)} at t = ${fmt(fin.t)}; it must be finite`);
        else if (key === 'Lambda') {
          const L1 = evalExpr(e, { params, t: 1 });
          if (L1 > MAX_LAMBDA) add(`${at}.Lambda`, `the cumulative rate of ${describeOp(c)} reaches ${fmt(L1)} at t = 1, more than the limit ${MAX_LAMBDA} (docs/limits.md: exp(-Lambda) is 0 long before)`);
        }
      }
      if (c.share && c.operator) shares.push(c.share);
    });
    if (shares.length === spec.channels.length && spec.channels.every((c) => c.sigma === null || c.share)) {
      const sum = checkConstantSum(shares, 1, { params });
      if (!sum.ok) add('$.channels', `the channels' weights sum to ${fmt(sum.value)} at t = ${fmt(sum.t)}; they must sum to 1 for every t in [0, 1]`);
    }
    if (spec.loss.kind === 'weighted_ce') {
      const nn = checkNonNegative(spec.loss.weight, { params });
      if (!nn.ok) add('$.loss.weight', `the loss weight is ${fmt(nn.value)} at t = ${fmt(nn.t)}; it must be >= 0 for every t in [0, 1]`);
    }
  } catch (err) {
    if (err instanceof ExprError || err instanceof ExprEvalError || err instanceof RangeError) add('$', `an expression cannot be evaluated: ${(err as Error).message}`);
    else throw err;
  }
  return issues;
}

function describeOp(c: Channel): string {
  const o = c.operator;
  return o.op === 'jump' ? `jump(${o.graph})` : o.op === 'reset' ? `reset(${o.dist.kind === 'file' ? JSON.stringify(o.dist.file) : o.dist.kind})` : 'mask';
}

/** Schema then semantic issues of a kernel spec document. */
export function kernelSpecIssues(doc: unknown): SchemaIssue[] {
  const schema = checkAgainst('kernel', doc);
  return schema.length ? schema : checkKernelSpec(doc as KernelSpec);
}

/**
 * `--set name=value` on a compiled spec, checked as the compiler checks it: the param exists, the
 * value parses as its type and lies in its declared range, and the param is still live in the spec
 * (a param the compiler substituted, e.g. a graph's k or the steps, cannot change without recompiling).
 */
export function applySpecOverrides(spec: KernelSpec, sets: Readonly<Record<string, string | number | boolean>>, what: string): KernelSpec {
  const issues: SchemaIssue[] = [];
  const live = paramRefs({ ...spec, params: [] });
  for (const [name, raw] of Object.entries(sets)) {
    const i = spec.params.findIndex((x) => x.name === name);
    const shown = `--set ${name}=${String(raw)}`;
    if (i < 0) {
      issues.push({ path: '$.params', message: `${shown}: the kernel has no param '${name}' (it has ${spec.params.map((x) => x.name).join(', ') || 'none'})` });
      continue;
    }
    const p = spec.params[i]!;
    const value = parseOverride(p.type, raw);
    if (typeof value === 'string') {
      issues.push({ path: `$.params[${i}]`, message: `${shown}: ${value}` });
      continue;
    }
    if (p.range && typeof value === 'number') {
      const r = { lo: numOf(p.range.lo), hi: numOf(p.range.hi), loOpen: p.range.loOpen, hiOpen: p.range.hiOpen };
      if (!inRange(value, r)) {
        issues.push({ path: `$.params[${i}]`, message: `${shown}: ${fmt(value)} is outside the range ${rangeText(r)} of '${name}'` });
        continue;
      }
    }
    if (!live.has(name)) {
      issues.push({
        path: `$.params[${i}]`,
        message: `${shown}: '${name}' was substituted when the spec was compiled (a graph option, schedule argument, sampler option or hops), so setting it here would change nothing; recompile the .kernel file with ${shown}`,
      });
      continue;
    }
    p.value = typeof value === 'number' ? (value === Infinity ? 'inf' : value === -Infinity ? '-inf' : value) : value;
  }
  if (issues.length) throw new SpecValidationError(what, issues);
  const after = checkKernelSpec(spec);
  if (after.length) throw new SpecValidationError(`${what} with ${Object.entries(sets).map(([k, v]) => `--set ${k}=${String(v)}`).join(' ')}`, after);
  return spec;
}

/** A compiled kernel spec from a file: read (bounded), parsed, schema, semantic check, `--set` checked. Throws SpecValidationError. */
export function loadKernelSpecFile(file: string, sets: Readonly<Record<string, string | number | boolean>> = {}): KernelSpec {
  const doc = readJsonFile(file);
  const issues = kernelSpecIssues(doc);
  if (issues.length) throw new SpecValidationError(file, issues);
  return applySpecOverrides(doc as KernelSpec, sets, file);
}
