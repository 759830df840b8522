// The CLI's one option layer: a command declares its positionals and options once, and parsing,
// `--help`, unknown and repeated options, types and ranges all come from that declaration
// (Node's util.parseArgs does the tokenising). Every failure is a UsageError naming the option.
import { parseArgs as nodeParseArgs } from 'node:util';
import { UsageError } from './command.ts';

export interface OptionDecl {
  readonly type: 'string' | 'number' | 'integer' | 'boolean';
  readonly description: string;
  /** Shown in help after the flag, e.g. 'DIR'. */
  readonly placeholder?: string;
  readonly short?: string;
  /** The option may repeat; its value is then an array. */
  readonly multiple?: boolean;
  /** Inclusive bounds for number/integer options. */
  readonly min?: number;
  readonly max?: number;
  /** Allowed values for string options. */
  readonly choices?: readonly string[];
}

export interface CommandDecl {
  readonly name: string;
  readonly summary: string;
  /** Positionals, e.g. [{ name: 'RUN.json' }]; `variadic` takes the rest. */
  readonly positionals: readonly { name: string; optional?: boolean; variadic?: boolean; /** The message when it is missing (before ': usage'), e.g. 'name at least one .kernel file'. */ missing?: string }[];
  readonly options: Readonly<Record<string, OptionDecl>>;
  /** Example lines for help. */
  readonly examples?: readonly string[];
}

type ValueOf<D extends OptionDecl> = D['type'] extends 'boolean' ? boolean : D['type'] extends 'string' ? string : number;
export type ParsedOptions<O extends Record<string, OptionDecl>> = {
  [K in keyof O]?: O[K]['multiple'] extends true ? ValueOf<O[K]>[] : ValueOf<O[K]>;
};

export interface Parsed<O extends Record<string, OptionDecl>> {
  positionals: string[];
  options: ParsedOptions<O>;
}

/** The one-line usage: `dlmk train RUN.json [--set PATH=VALUE ...] [--out DIR]`. */
export function usageOf(decl: CommandDecl): string {
  const pos = decl.positionals.map((p) => (p.optional ? `[${p.name}${p.variadic ? '...' : ''}]` : `${p.name}${p.variadic ? '...' : ''}`));
  const opts = Object.entries(decl.options).map(([k, o]) => {
    const flag = o.type === 'boolean' ? `--${k}` : `--${k} ${o.placeholder ?? o.type.toUpperCase()}`;
    return `[${flag}${o.multiple ? ' ...' : ''}]`;
  });
  return ['dlmk', decl.name, ...pos, ...opts].join(' ');
}

/** The full help text of a command. */
export function helpOf(decl: CommandDecl): string {
  const rows = Object.entries(decl.options).map(([k, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : ''}--${k}${o.type === 'boolean' ? '' : ` ${o.placeholder ?? o.type.toUpperCase()}`}`;
    const range = o.choices ? ` (one of ${o.choices.join(', ')})` : o.min !== undefined || o.max !== undefined ? ` (${o.min ?? '-inf'} to ${o.max ?? 'inf'})` : '';
    return [flag, `${o.description}${range}${o.multiple ? '; may repeat' : ''}`] as const;
  });
  const w = Math.max(0, ...rows.map((r) => r[0].length));
  return [
    decl.summary,
    '',
    `usage: ${usageOf(decl)}`,
    ...(rows.length ? ['', 'options:', ...rows.map(([f, d]) => `  ${f.padEnd(w)}  ${d}`)] : []),
    '  --debug' + ' '.repeat(Math.max(1, w - 5)) + 'print stack traces of unexpected errors',
    ...(decl.examples?.length ? ['', 'examples:', ...decl.examples.map((e) => `  ${e}`)] : []),
  ].join('\n');
}

function convert(name: string, o: OptionDecl, raw: string): string | number {
  if (o.type === 'string') {
    if (o.choices && !o.choices.includes(raw)) throw new UsageError(`--${name} must be one of ${o.choices.join(', ')}; got '${raw}'`);
    return raw;
  }
  const x = raw.trim() === '' ? NaN : Number(raw);
  if (!Number.isFinite(x)) throw new UsageError(`--${name} takes a ${o.type === 'integer' ? 'whole ' : ''}number; got '${raw}'`);
  if (o.type === 'integer' && !Number.isInteger(x)) throw new UsageError(`--${name} takes a whole number; got '${raw}'`);
  if (o.min !== undefined && x < o.min) throw new UsageError(`--${name} must be >= ${o.min}; got ${raw}`);
  if (o.max !== undefined && x > o.max) throw new UsageError(`--${name} must be <= ${o.max}; got ${raw}`);
  return x;
}

/** Parses argv against the declaration; throws UsageError with the command's usage on any problem. */
export function parseCommand<O extends Record<string, OptionDecl>>(decl: CommandDecl & { options: O }, argv: readonly string[]): Parsed<O> {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {};
  for (const [k, o] of Object.entries(decl.options)) {
    options[k] = { type: o.type === 'boolean' ? 'boolean' : 'string', ...(o.short ? { short: o.short } : {}), multiple: true };
  }
  // `--step -1`: util.parseArgs calls a value that starts with a dash ambiguous; for a declared
  // number it is the value, so join it (`--step=-1`) and let the range check speak.
  const args = [...argv];
  for (let i = 0; i + 1 < args.length; i++) {
    const o = args[i]!.startsWith('--') ? decl.options[args[i]!.slice(2)] : undefined;
    if (o && (o.type === 'number' || o.type === 'integer') && /^-(\d|\.\d|inf)/i.test(args[i + 1]!)) args.splice(i, 2, `${args[i]}=${args[i + 1]}`);
  }
  let parsed: ReturnType<typeof nodeParseArgs>;
  try {
    parsed = nodeParseArgs({ args, options, allowPositionals: true, strict: true, tokens: false });
  } catch (err) {
    const e = err as { code?: string; message: string };
    const m = /'(-{1,2}[^']*)'/.exec(e.message);
    if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      const known = Object.keys(decl.options).map((k) => `--${k}`).join(', ');
      throw new UsageError(`unknown option ${m ? `'${m[1]}'` : ''}; this command takes ${known || 'no options'}\nusage: ${usageOf(decl)}`);
    }
    if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') throw new UsageError(`${m ? m[1] : 'an option'} needs a value\nusage: ${usageOf(decl)}`);
    throw new UsageError(`${e.message}\nusage: ${usageOf(decl)}`);
  }
  const out: Record<string, unknown> = {};
  for (const [k, o] of Object.entries(decl.options)) {
    const raw = (parsed.values as Record<string, (string | boolean)[] | undefined>)[k];
    if (raw === undefined) continue;
    if (!o.multiple && raw.length > 1) throw new UsageError(`--${k} is given ${raw.length} times; give it once`);
    if (o.type === 'boolean') {
      out[k] = true;
      continue;
    }
    for (const r of raw) if (typeof r === 'string' && r.startsWith('--')) throw new UsageError(`--${k} needs a value; got the option '${r}'`);
    const vals = raw.map((r) => convert(k, o, String(r)));
    out[k] = o.multiple ? vals : vals[0];
  }
  const pos = parsed.positionals;
  const required = decl.positionals.filter((p) => !p.optional).length;
  const variadic = decl.positionals.some((p) => p.variadic);
  if (pos.length < required) {
    const p = decl.positionals[pos.length]!;
    throw new UsageError(p.missing ? `${p.missing}: ${usageOf(decl)}` : `missing ${p.name}\nusage: ${usageOf(decl)}`);
  }
  if (!variadic && pos.length > decl.positionals.length) throw new UsageError(`unexpected argument '${pos[decl.positionals.length]}'\nusage: ${usageOf(decl)}`);
  return { positionals: pos, options: out as ParsedOptions<O> };
}
