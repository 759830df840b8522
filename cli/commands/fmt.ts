// dlmk fmt FILE... [--write | --check]: the canonical layout of .kernel files (comments kept).
// Without a flag the formatted text goes to stdout; --write rewrites changed files in place;
// --check lists files that are not formatted and exits 1 if there are any.
import { writeFileSync } from 'node:fs';
import type { Command, CommandContext } from '../command.ts';
import { UsageError } from '../command.ts';
import { formatKernel, KernelSyntaxError } from '../../compiler/index.ts';
import { parseArgs, readText } from './check.ts';

const fmt: Command = {
  name: 'fmt',
  summary: 'format .kernel files in the canonical layout (comments kept)',
  usage: 'dlmk fmt FILE... [--write | --check]',
  async run(ctx: CommandContext): Promise<number> {
    const args = parseArgs(ctx.argv, { flags: ['--write', '--check'] });
    const write = args.flags.has('--write');
    const check = args.flags.has('--check');
    if (write && check) throw new UsageError('give --write or --check, not both');
    if (args.files.length === 0) throw new UsageError(`name a .kernel file: ${this.usage}`);
    if (args.files.length > 1 && !write && !check) throw new UsageError('formatting several files needs --write (in place) or --check');
    let failed = 0;
    for (const file of args.files) {
      const text = readText(file);
      let out: string;
      try {
        out = formatKernel(text, file);
      } catch (err) {
        if (!(err instanceof KernelSyntaxError)) throw err;
        ctx.stderr(err.format());
        ctx.stderr(`${file}: not formatted, because it does not parse`);
        failed++;
        continue;
      }
      if (check) {
        if (out !== text) {
          ctx.stdout(`${file}: not formatted (dlmk fmt --write ${file})`);
          failed++;
        }
      } else if (write) {
        if (out !== text) {
          writeFileSync(file, out);
          ctx.stdout(`formatted ${file}`);
        }
      } else ctx.stdout(out);
    }
    return failed ? 1 : 0;
  },
};

export default fmt;
