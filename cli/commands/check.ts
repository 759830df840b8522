// dlmk check FILE... : parse and check kernels; every diagnostic of every file, exit 1 if any
// file has an error. Also home of the small argument helpers the language commands share.
import { readFileSync } from 'node:fs';
import type { Command, CommandContext } from '../command.ts';
import { UsageError } from '../command.ts';
import { checkKernel, formatDiagnostics } from '../../compiler/index.ts';

/** The text of a file, or a one-paragraph error that names the path. */
export function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
    throw new UsageError(`cannot read '${path}': ${why}`, 1);
  }
}

export interface ParsedArgs {
  files: string[];
  flags: Set<string>;
  values: Map<string, string>;
  sets: Record<string, string>;
}

/** FILE... plus the flags a command accepts; `--set name=value` may repeat. */
export function parseArgs(argv: string[], opts: { flags?: string[]; values?: string[]; sets?: boolean }): ParsedArgs {
  const out: ParsedArgs = { files: [], flags: new Set(), values: new Map(), sets: {} };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--set' && opts.sets) {
      const kv = argv[++i];
      const m = kv ? /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(kv) : null;
      if (!m) throw new UsageError(`--set takes name=value, as in --set gamma=0.8${kv ? `; got '${kv}'` : ''}`);
      out.sets[m[1]!] = m[2]!;
    } else if (opts.values?.includes(a)) {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`${a} needs a value`);
      out.values.set(a, v);
    } else if (opts.flags?.includes(a)) {
      out.flags.add(a);
    } else if (a.startsWith('--')) {
      const known = [...(opts.flags ?? []), ...(opts.values ?? []), ...(opts.sets ? ['--set'] : [])];
      throw new UsageError(`unknown option '${a}'${known.length ? `; this command takes ${known.join(', ')}` : ''}`);
    } else out.files.push(a);
  }
  return out;
}

const check: Command = {
  name: 'check',
  summary: 'check .kernel files and print every error with its line and column',
  usage: 'dlmk check FILE... [--set name=value ...]',
  async run(ctx: CommandContext): Promise<number> {
    const args = parseArgs(ctx.argv, { sets: true });
    if (args.files.length === 0) throw new UsageError(`name at least one .kernel file: ${this.usage}`);
    let failed = 0;
    for (const file of args.files) {
      let text: string;
      try {
        text = readText(file);
      } catch (err) {
        ctx.stderr(`dlmk check: ${(err as Error).message}`);
        failed++;
        continue;
      }
      const r = checkKernel(text, { path: file, params: args.sets });
      if (r.diagnostics.length) ctx.stderr(formatDiagnostics(r.diagnostics, text));
      if (r.spec) {
        const ops = r.spec.channels.map((c) => (c.operator.op === 'reset' ? `reset(${c.operator.dist.kind === 'file' ? c.operator.dist.file : c.operator.dist.kind})` : c.operator.op === 'jump' ? `jump(${c.operator.graph})` : 'mask'));
        ctx.stdout(`${file}: ok (kernel ${r.spec.name}: ${ops.join(' + ')}, schedule ${r.spec.schedule.kind}, loss ${r.spec.loss.kind}, sampler ${r.spec.sampler.predictor})`);
      } else {
        const n = r.diagnostics.filter((d) => d.severity === 'error').length;
        ctx.stderr(`${file}: ${n} error${n === 1 ? '' : 's'}`);
        failed++;
      }
    }
    return failed ? 1 : 0;
  },
};

export default check;
