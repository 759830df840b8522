// Run specs (specs/run.base.json, docs/training.md): read, override with --set, validate against
// the schema composed from the registered plugins, fill in defaults, and check what a schema
// cannot say. `dlmk validate`, `dlmk train` and train() all go through validateRunSpec, so they
// reject the same bad input with the same JSON-path message.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkAgainstSchema, jsonErrorWhere, SpecValidationError, type SchemaIssue } from '../../specs/validate.ts';
import type { RunSpec } from '../../specs/types/run.ts';
import { registry as globalRegistry, type JsonSchema, type PluginKind, type Registry } from '../plugins/registry.ts';
import '../plugins/builtin.ts';

export type { RunSpec };

/** The largest run spec file read (a spec is a few hundred bytes; this refuses a wrong file early). */
export const MAX_SPEC_BYTES = 1 << 20;

const PLUGIN_DEFS: Record<string, PluginKind> = { CorpusPlugin: 'corpus', TokenizerPlugin: 'tokenizer', EmbeddingsPlugin: 'embeddings' };

const baseSchema: JsonSchema = JSON.parse(readFileSync(fileURLToPath(new URL('../../specs/run.base.json', import.meta.url)), 'utf8'));

/** The run schema with the plugins of `reg` composed in (what specs/run.schema.json holds for the built-ins). */
export function composeRunSchema(reg: Registry = globalRegistry): JsonSchema {
  const s = structuredClone(baseSchema) as { $defs: Record<string, JsonSchema>; description: string };
  for (const [def, kind] of Object.entries(PLUGIN_DEFS)) s.$defs[def] = reg.schemaOf(kind);
  return s;
}

/** The folder of the shipped kernels (a run may name one by its bare name). */
export const SHIPPED_KERNELS = fileURLToPath(new URL('../../kernels/', import.meta.url));

/** Reads a run spec file: JSON, size-bounded, errors naming the file (and line/column for bad JSON). */
export function readRunSpecFile(path: string): unknown {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    throw new SpecValidationError(path, [{ path: '$', message: `cannot read '${path}': no such file` }]);
  }
  if (size > MAX_SPEC_BYTES) throw new SpecValidationError(path, [{ path: '$', message: `the file has ${size} bytes; a run spec has at most ${MAX_SPEC_BYTES}` }]);
  const text = readFileSync(path, 'utf8');
  try {
    return JSON.parse(text);
  } catch (err) {
    const msg = (err as Error).message;
    throw new SpecValidationError(path, [{ path: '$', message: `not JSON${jsonErrorWhere(text, msg)}: ${msg}` }]);
  }
}

/**
 * Applies `--set PATH=VALUE` overrides to a parsed spec (a copy). PATH is dotted (`optimizer.lr`,
 * `kernel.params.gamma`, `data.tokenizer.size`); VALUE is JSON when it parses as JSON, else a string;
 * `null` removes the field.
 */
export function applySets(doc: unknown, sets: readonly string[], what = 'run spec'): unknown {
  const out = structuredClone(doc) as Record<string, unknown>;
  for (const s of sets) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)=(.*)$/s.exec(s);
    if (!m) throw new SpecValidationError(what, [{ path: '$', message: `--set takes PATH=VALUE with a dotted path, as in --set optimizer.lr=1e-4; got '${s}'` }]);
    const keys = m[1]!.split('.');
    let value: unknown;
    try {
      value = JSON.parse(m[2]!);
    } catch {
      value = m[2]!;
    }
    let node: Record<string, unknown> = out;
    for (let i = 0; i < keys.length - 1; i++) {
      const k = keys[i]!;
      if (k === '__proto__' || k === 'constructor' || k === 'prototype') throw new SpecValidationError(what, [{ path: '$', message: `--set ${s}: '${k}' cannot be set` }]);
      const next = node[k];
      if (next === undefined) node[k] = {};
      else if (typeof next !== 'object' || next === null || Array.isArray(next)) {
        throw new SpecValidationError(what, [{ path: '$.' + keys.slice(0, i + 1).join('.'), message: `--set ${s}: this is ${JSON.stringify(next)}, not an object with fields` }]);
      }
      node = node[k] as Record<string, unknown>;
    }
    const last = keys[keys.length - 1]!;
    if (last === '__proto__' || last === 'constructor' || last === 'prototype') throw new SpecValidationError(what, [{ path: '$', message: `--set ${s}: '${last}' cannot be set` }]);
    // No run spec field takes null: `--set kernel=null` removes the field (e.g. to train the AR twin from a DiT spec).
    if (value === null) delete node[last];
    else node[last] = value;
  }
  return out;
}

/** Fills `default`s of the schema into `doc` (in place): objects, and the chosen branch of a name-discriminated oneOf. */
function fillDefaults(doc: unknown, schema: JsonSchema, root: JsonSchema): void {
  const s = resolveRef(schema, root);
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return;
  const o = doc as Record<string, unknown>;
  if (Array.isArray(s['oneOf']) && s['discriminator']) {
    const branch = (s['oneOf'] as JsonSchema[]).find((b) => ((b['properties'] as Record<string, JsonSchema>)?.['name']?.['const']) === o['name']);
    if (branch) fillDefaults(doc, branch, root);
    return;
  }
  const props = s['properties'] as Record<string, JsonSchema> | undefined;
  if (!props) return;
  for (const [k, ps] of Object.entries(props)) {
    const p = resolveRef(ps, root);
    if (o[k] === undefined && p['default'] !== undefined) o[k] = structuredClone(p['default']);
    if (o[k] !== undefined) fillDefaults(o[k], ps, root);
  }
}

function resolveRef(s: JsonSchema, root: JsonSchema): JsonSchema {
  const ref = s['$ref'];
  if (typeof ref !== 'string' || !ref.startsWith('#/$defs/')) return s;
  const target = (root['$defs'] as Record<string, JsonSchema>)[ref.slice('#/$defs/'.length)];
  return target ? { ...resolveRef(target, root), ...Object.fromEntries(Object.entries(s).filter(([k]) => k !== '$ref')) } : s;
}

/** Resolves a kernel path: absolute, relative to the spec's folder, or a shipped kernel's bare name. */
export function resolveKernelPath(path: string, baseDir: string): string | null {
  const candidates = isAbsolute(path) ? [path] : [resolve(baseDir, path)];
  if (/^[a-z_][a-z0-9_]*$/.test(path)) candidates.push(join(SHIPPED_KERNELS, `${path}.kernel`));
  return candidates.find((c) => existsSync(c) && statSync(c).isFile()) ?? null;
}

/** What the schema cannot say; each issue with its JSON path. */
function semanticIssues(spec: RunSpec, baseDir: string): SchemaIssue[] {
  const out: SchemaIssue[] = [];
  const arch = spec.model.arch ?? 'dit';
  if (arch === 'dit' && !spec.kernel) out.push({ path: '$', message: "is missing the property 'kernel' (a DiT is trained with a kernel; use model.arch = 'ar' for the autoregressive baseline)" });
  if (arch === 'ar' && spec.kernel) out.push({ path: '$.kernel', message: 'an autoregressive model (model.arch = "ar") has no kernel; remove it' });
  if (spec.kernel && resolveKernelPath(spec.kernel.path, baseDir) === null) {
    out.push({ path: '$.kernel.path', message: `no kernel file '${spec.kernel.path}' (looked in ${baseDir}${/^[a-z_][a-z0-9_]*$/.test(spec.kernel.path) ? ' and the shipped kernels' : ''})` });
  }
  const m = spec.model;
  const hidden = m.hidden;
  if (hidden !== undefined && m.heads !== undefined) {
    if (hidden % m.heads) out.push({ path: '$.model.heads', message: `hidden ${hidden} is not divisible by ${m.heads} heads` });
    else if ((hidden / m.heads) % 2) out.push({ path: '$.model.heads', message: `the head size ${hidden / m.heads} must be even (rotary pairs)` });
  }
  if (m.freqDim !== undefined && m.freqDim % 2) out.push({ path: '$.model.freqDim', message: `must be even, got ${m.freqDim}` });
  if (arch === 'ar' && (m.condDim !== undefined || m.freqDim !== undefined || m.timeConditioning !== 'auto')) {
    out.push({ path: '$.model', message: 'condDim, freqDim and timeConditioning belong to the DiT; an AR model has no time input' });
  }
  return out;
}

export interface ValidatedRunSpec {
  /** The spec with every default filled in (what the run records as run.json). */
  spec: RunSpec;
  /** The folder relative paths resolve against. */
  baseDir: string;
}

/**
 * Validates a parsed run spec (after --set): the composed schema, then the semantic checks.
 * Throws SpecValidationError listing every issue with its JSON path.
 */
export function validateRunSpec(doc: unknown, opts: { what?: string; baseDir?: string; registry?: Registry } = {}): ValidatedRunSpec {
  const what = opts.what ?? 'run spec';
  const baseDir = opts.baseDir ?? process.cwd();
  const schema = composeRunSchema(opts.registry);
  const issues = checkAgainstSchema(schema, doc);
  if (issues.length) throw new SpecValidationError(what, issues);
  const spec = structuredClone(doc) as RunSpec;
  fillDefaults(spec, schema, schema);
  const sem = semanticIssues(spec, baseDir);
  if (sem.length) throw new SpecValidationError(what, sem);
  return { spec, baseDir };
}

/** Reads, overrides (--set) and validates a run spec file. */
export function loadRunSpec(path: string, sets: readonly string[] = [], reg?: Registry): ValidatedRunSpec {
  const doc = applySets(readRunSpecFile(path), sets, path);
  return validateRunSpec(doc, { what: path, baseDir: dirname(resolve(path)), ...(reg ? { registry: reg } : {}) });
}
