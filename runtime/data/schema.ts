// Plugin options: the JSON Schema (2020-12) is the one source of truth (STYLE.md). `FromSchema`
// derives the TypeScript type of the options after defaults from the `as const` schema, and
// `resolveOptions` validates a user's object with ajv and fills in the defaults, so calling a
// plugin's create() directly (without the run spec loader) rejects the same inputs with a
// DataError naming the JSON path.
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { DataError } from './errors.ts';

type Mutable<T> = T extends readonly (infer E)[] ? E[] : T;
type RequiredKeys<S> = S extends { required: readonly (infer K)[] } ? K : never;
type DefaultedKeys<P> = { [K in keyof P]: P[K] extends { default: unknown } ? K : never }[keyof P];
type Present<S, P> = RequiredKeys<S> | DefaultedKeys<P>;
type ObjectOf<S, P> = { -readonly [K in keyof P as K extends Present<S, P> ? K : never]: FromSchema<P[K]> } & {
  -readonly [K in keyof P as K extends Present<S, P> ? never : K]?: FromSchema<P[K]>;
};

/** The value type a (const) JSON Schema accepts, with `default`ed properties present. */
export type FromSchema<S> = S extends { const: infer C }
  ? C
  : S extends { enum: readonly (infer E)[] }
    ? E
    : S extends { oneOf: readonly (infer B)[] }
      ? FromSchema<B>
      : S extends { type: 'string' }
        ? string
        : S extends { type: 'integer' | 'number' }
          ? number
          : S extends { type: 'boolean' }
            ? boolean
            : S extends { type: 'array'; items: infer I }
              ? Mutable<readonly FromSchema<I>[]>
              : S extends { type: 'object'; properties: infer P }
                ? ObjectOf<S, P>
                : unknown;

const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true, useDefaults: true });
const compiled = new WeakMap<object, ValidateFunction>();

function jsonPath(instancePath: string): string {
  if (!instancePath) return '$';
  return '$' + instancePath.split('/').slice(1).map((s) => (/^\d+$/.test(s) ? `[${s}]` : `.${s.replace(/~1/g, '/').replace(/~0/g, '~')}`)).join('');
}

function describe(e: ErrorObject): string {
  const p = e.params as Record<string, unknown>;
  if (e.keyword === 'additionalProperties') return `has an unknown property '${String(p.additionalProperty)}'`;
  if (e.keyword === 'required') return `is missing the property '${String(p.missingProperty)}'`;
  if (e.keyword === 'enum') return `must be one of ${(p.allowedValues as unknown[]).map((x) => JSON.stringify(x)).join(', ')}`;
  return e.message ?? 'is invalid';
}

/**
 * Validates `input` against `schema` and returns a copy with the defaults filled in.
 * `what` names the options in the message, e.g. "corpus 'text'".
 */
export function resolveOptions<S extends object>(schema: S, input: unknown, what: string): FromSchema<S> {
  let v = compiled.get(schema);
  if (!v) {
    v = ajv.compile(schema);
    compiled.set(schema, v);
  }
  const copy: unknown = input === undefined ? {} : structuredClone(input);
  if (!v(copy)) {
    // A failed oneOf repeats its branches' errors; the branch errors say more.
    const errs = (v.errors ?? []).filter((e) => e.keyword !== 'oneOf');
    const lines = [...new Set((errs.length ? errs : v.errors ?? []).map((e) => `${jsonPath(e.instancePath)} ${describe(e)}`))];
    throw new DataError(`${what} options are not valid: ${lines.join('; ')}`);
  }
  return copy as FromSchema<S>;
}
