// dlmk compile FILE --out DIR [--set name=value ...]: writes DIR/NAME.spec.json, the Kernel IR.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command, CommandContext } from '../command.ts';
import { UsageError } from '../command.ts';
import { checkKernel, formatDiagnostics } from '../../compiler/index.ts';
import { parseArgs, readText } from './check.ts';

const compile: Command = {
  name: 'compile',
  summary: 'compile a .kernel file to its JSON spec (the Kernel IR)',
  usage: 'dlmk compile FILE --out DIR [--set name=value ...]',
  async run(ctx: CommandContext): Promise<number> {
    const args = parseArgs(ctx.argv, { values: ['--out'], sets: true });
    if (args.files.length !== 1) throw new UsageError(`name one .kernel file: ${this.usage}`);
    const out = args.values.get('--out');
    if (!out) throw new UsageError(`say where the spec goes with --out DIR: ${this.usage}`);
    const file = args.files[0]!;
    const text = readText(file);
    const r = checkKernel(text, { path: file, params: args.sets });
    if (r.diagnostics.length) ctx.stderr(formatDiagnostics(r.diagnostics, text));
    if (!r.spec) {
      const n = r.diagnostics.filter((d) => d.severity === 'error').length;
      ctx.stderr(`${file}: ${n} error${n === 1 ? '' : 's'}; nothing written`);
      return 1;
    }
    const target = join(out, `${r.spec.name}.spec.json`);
    try {
      mkdirSync(out, { recursive: true });
      writeFileSync(target, JSON.stringify(r.spec, null, 2) + '\n');
    } catch (err) {
      throw new UsageError(`cannot write '${target}': ${(err as Error).message}`, 1);
    }
    ctx.stdout(`wrote ${target}`);
    return 0;
  },
};

export default compile;
