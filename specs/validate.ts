// ajv validators for the JSON Schemas in specs/, compiled once, with JSON-path messages.
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MAX_NESTING } from '../compiler/limits.ts';

export interface SchemaIssue {
  /** JSON path of the offending value, e.g. `$.channels[1].operator`. */
  path: string;
  message: string;
}

/** A document that does not match its schema; `issues` lists each problem with its JSON path. */
export class SpecValidationError extends Error {
  override readonly name = 'SpecValidationError';
  constructor(readonly what: string, readonly issues: SchemaIssue[]) {
    super(`${what} is not valid:\n` + issues.map((i) => `  ${i.path}: ${i.message}`).join('\n'));
  }
}

// The schemas are the project's own and are checked against the JSON Schema meta-schema by the tests
// (test/specs/schema.test.ts), so compiling them skips that check: it was 61 ms of every `dlmk check`.
const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true, discriminator: true, validateSchema: false });
const cache = new Map<string, ValidateFunction>();

/** "line L, column C" of a character offset in `text` (1-based). */
export function lineColumn(text: string, offset: number): string {
  const before = text.slice(0, offset);
  return `line ${before.split('\n').length}, column ${offset - before.lastIndexOf('\n')}`;
}

/** " at line L, column C" for a JSON.parse error message that gives a position in `text`, else "". */
export function jsonErrorWhere(text: string, message: string): string {
  const m = /position (\d+)/.exec(message);
  return m ? ` at ${lineColumn(text, Number(m[1]))}` : '';
}

export function schemaPath(name: string): string {
  return fileURLToPath(new URL(`./${name}.schema.json`, import.meta.url));
}

function validator(name: string): ValidateFunction {
  let v = cache.get(name);
  if (!v) {
    v = ajv.compile(JSON.parse(readFileSync(schemaPath(name), 'utf8')));
    cache.set(name, v);
  }
  return v;
}

function toPath(instancePath: string): string {
  if (!instancePath) return '$';
  return (
    '$' +
    instancePath
      .split('/')
      .slice(1)
      .map((seg) => seg.replace(/~1/g, '/').replace(/~0/g, '~'))
      .map((seg) => (/^\d+$/.test(seg) ? `[${seg}]` : /^[A-Za-z_$][\w$]*$/.test(seg) ? `.${seg}` : `[${JSON.stringify(seg)}]`))
      .join('')
  );
}

/** Keeps the most specific messages: a failed `oneOf` usually repeats its branches' errors. */
function summarise(errors: ErrorObject[]): SchemaIssue[] {
  const out: SchemaIssue[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    if (e.keyword === 'oneOf' || e.keyword === 'anyOf' || e.keyword === 'if') continue;
    let message = e.message ?? 'is invalid';
    if (e.keyword === 'additionalProperties') message = `has an unknown property '${(e.params as { additionalProperty: string }).additionalProperty}'`;
    else if (e.keyword === 'required') message = `is missing the property '${(e.params as { missingProperty: string }).missingProperty}'`;
    else if (e.keyword === 'enum') message = `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((x) => JSON.stringify(x)).join(', ')}`;
    else if (e.keyword === 'const') message = `must be ${JSON.stringify((e.params as { allowedValue: unknown }).allowedValue)}`;
    const issue = { path: toPath(e.instancePath), message };
    const key = issue.path + '\u0000' + issue.message;
    if (!seen.has(key)) {
      seen.add(key);
      out.push(issue);
    }
  }
  if (out.length === 0 && errors.length) out.push({ path: toPath(errors[0]!.instancePath), message: errors[0]!.message ?? 'is invalid' });
  return out;
}

/** Deepest nesting of arrays and objects in a parsed document, and a JSON path to where it is reached; iterative. */
export function nesting(doc: unknown): { depth: number; path: string } {
  let best = { depth: 0, path: '$' };
  const stack: Array<[unknown, number, string]> = [[doc, 0, '$']];
  while (stack.length) {
    const [x, d, path] = stack.pop()!;
    if (!x || typeof x !== 'object') continue;
    if (d + 1 > best.depth) best = { depth: d + 1, path };
    if (best.depth > MAX_NESTING) break;
    // Paths stop growing after 8 levels: a message names where the deep part starts.
    const at = (seg: string) => (d < 8 ? path + seg : path.endsWith('...') ? path : `${path}...`);
    if (Array.isArray(x)) x.forEach((y, i) => stack.push([y, d + 1, at(`[${i}]`)]));
    else for (const [k, y] of Object.entries(x)) stack.push([y, d + 1, at(/^[A-Za-z_$][\w$]*$/.test(k) ? `.${k}` : `[${JSON.stringify(k)}]`)]);
  }
  return best;
}

/** Issues of `doc` against `specs/<name>.schema.json` (empty when valid). */
export function checkAgainst(name: string, doc: unknown): SchemaIssue[] {
  // The validators recurse: a document nested thousands deep would overflow the stack.
  const n = nesting(doc);
  if (n.depth > MAX_NESTING) return [{ path: n.path, message: `nests more than ${MAX_NESTING} levels deep (docs/limits.md); no spec needs that` }];
  const v = validator(name);
  return v(doc) ? [] : summarise(v.errors ?? []);
}

const bySchema = new Map<string, ValidateFunction>();

/**
 * Issues of `doc` against a schema object (composed at run time, e.g. the run schema with the
 * registered plugins); compiled validators are cached by the schema's text.
 */
export function checkAgainstSchema(schema: Record<string, unknown>, doc: unknown): SchemaIssue[] {
  const key = JSON.stringify(schema);
  let v = bySchema.get(key);
  if (!v) {
    const { $id: _id, ...rest } = schema;
    v = ajv.compile(rest);
    bySchema.set(key, v);
  }
  return v(doc) ? [] : summarise(v.errors ?? []);
}

/** Throws SpecValidationError unless `doc` matches `specs/<name>.schema.json`. */
export function assertValid<T>(name: string, doc: unknown, what = name): T {
  const issues = checkAgainst(name, doc);
  if (issues.length) throw new SpecValidationError(what, issues);
  return doc as T;
}
