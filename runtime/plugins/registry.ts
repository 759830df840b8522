// The plugin registry: everything a run spec names by `name` (corpora, tokenizers, embedding
// sources, predictors, metrics) is a plugin { kind, name, summary, options, create }. `options` is
// the JSON Schema (2020-12) of the fields the spec object carries beside `name`; the run schema
// (specs/run.schema.json, composeRunSchema) is composed from the registered plugins, so that
// `dlmk validate`, `dlmk train` and the library reject the same bad input with the same JSON-path
// message. Users register their own from Node:
//
//   import { registry } from 'dlmk';
//   registry.register({ kind: 'corpus', name: 'mine', summary: '...', options: { type: 'object', properties: {...} }, create: (o, ctx) => ... });
//
// Built-in plugins register themselves when their module is imported (runtime/plugins/builtin.ts).

export type PluginKind = 'corpus' | 'tokenizer' | 'embeddings' | 'predictor' | 'metric';

export const PLUGIN_KINDS: readonly PluginKind[] = ['corpus', 'tokenizer', 'embeddings', 'predictor', 'metric'];

/** A JSON Schema object (2020-12). */
export type JsonSchema = Record<string, unknown>;

/** What a plugin's create() may use. */
export interface PluginContext {
  /** Folder against which relative paths in the spec resolve (the spec file's folder; the cwd for API calls). */
  readonly baseDir: string;
  /** Folder for caches (token files, vocabularies, corpus embeddings). */
  readonly cacheDir: string;
  /** Progress and notices for the user (one line each). */
  readonly log: (line: string) => void;
}

export interface Plugin<O = Record<string, unknown>, R = unknown> {
  readonly kind: PluginKind;
  readonly name: string;
  /** One line for `--help` and the docs. */
  readonly summary: string;
  /**
   * JSON Schema of the options object: `{ type: 'object', properties: {...}, required?: [...] }`
   * (without `name`, which the registry adds). Defaults (`default`) are filled in by the run spec loader.
   */
  readonly options: JsonSchema;
  create(options: O, ctx: PluginContext): R | Promise<R>;
}

/** A plugin that does not exist, or a registration that clashes. */
export class PluginError extends Error {
  override readonly name = 'PluginError';
}

const NAME = /^[a-z][a-z0-9_.-]*$/;

export class Registry {
  private readonly byKind = new Map<PluginKind, Map<string, Plugin<any, any>>>();

  /** Adds a plugin; a second one with the same kind and name is an error unless `replace`. */
  register<O, R>(p: Plugin<O, R>, opts: { replace?: boolean } = {}): void {
    if (!PLUGIN_KINDS.includes(p.kind)) throw new PluginError(`unknown plugin kind '${p.kind}': one of ${PLUGIN_KINDS.join(', ')}`);
    if (!NAME.test(p.name)) throw new PluginError(`plugin name '${p.name}' must match ${NAME} (lower case, digits, _ . -)`);
    const o = p.options as { type?: unknown; properties?: Record<string, unknown> };
    if (o.type !== 'object') throw new PluginError(`${p.kind} '${p.name}': options must be a JSON Schema with type 'object'`);
    if (o.properties && 'name' in o.properties) throw new PluginError(`${p.kind} '${p.name}': 'name' is reserved for the plugin's name`);
    let m = this.byKind.get(p.kind);
    if (!m) this.byKind.set(p.kind, (m = new Map()));
    if (m.has(p.name) && !opts.replace) throw new PluginError(`a ${p.kind} plugin named '${p.name}' is already registered (pass { replace: true } to replace it)`);
    m.set(p.name, p as Plugin<any, any>);
  }

  /** The plugin, or a PluginError that lists the known names of the kind. */
  get<O = Record<string, unknown>, R = unknown>(kind: PluginKind, name: string): Plugin<O, R> {
    const p = this.byKind.get(kind)?.get(name);
    if (!p) {
      const known = this.names(kind);
      throw new PluginError(`no ${kind} plugin named '${name}'${known.length ? `; known: ${known.join(', ')}` : ''}`);
    }
    return p as Plugin<O, R>;
  }

  has(kind: PluginKind, name: string): boolean {
    return this.byKind.get(kind)?.has(name) ?? false;
  }

  names(kind: PluginKind): string[] {
    return [...(this.byKind.get(kind)?.keys() ?? [])].sort();
  }

  list(kind: PluginKind): Plugin<any, any>[] {
    return this.names(kind).map((n) => this.byKind.get(kind)!.get(n)!);
  }

  /**
   * The JSON Schema of a `{ name, ...options }` object of this kind: a oneOf over the registered
   * plugins, discriminated by `name` (ajv's discriminator, so an error names the right branch).
   */
  schemaOf(kind: PluginKind): JsonSchema {
    const branches = this.list(kind).map((p) => {
      const o = p.options as { properties?: Record<string, unknown>; required?: string[]; [k: string]: unknown };
      return {
        ...o,
        type: 'object',
        description: p.summary,
        properties: { name: { const: p.name }, ...(o.properties ?? {}) },
        required: ['name', ...(o.required ?? [])],
        additionalProperties: false,
      };
    });
    if (!branches.length) return { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] };
    return {
      type: 'object',
      required: ['name'],
      properties: { name: { enum: this.names(kind), description: `the ${kind} plugin` } },
      discriminator: { propertyName: 'name' },
      oneOf: branches,
    };
  }
}

/** The process-wide registry (the built-ins plus whatever user code registers). */
export const registry = new Registry();
