// dlmk fmt FILE... [--write | --check]: the canonical layout of .kernel files (comments kept).
// Without a flag the formatted text goes to stdout; --write rewrites changed files in place;
// --check lists files that are not formatted and exits 1 if there are any.
import { writeFileSync } from 'node:fs';
import type { Command, CommandContext } from '../command.ts';
import { UsageError } from '../command.ts';
import { formatKernel, KernelSyntaxError } from '../../compiler/index.ts';
import { parseCommand, type CommandDecl } from '../options.ts';
import { readText } from '../io.ts';

const decl = {
  name: 'fmt',
  summary: 'format .kernel files in the canonical layout (comments kept)',
  positionals: [{ name: 'FILE', variadic: true, missing: 'name a .kernel file' }],
  options: {
    write: { type: 'boolean', description: 'rewrite changed files in place' },
    check: { type: 'boolean', description: 'list the files that are not formatted; exit 1 if there are any' },
  },
  examples: ['dlmk fmt kernels/masking.kernel', 'dlmk fmt --check kernels/*.kernel'],
} as const satisfies CommandDecl;

const fmt: Command = {
  name: 'fmt',
  summary: decl.summary,
  decl,
  async run(ctx: CommandContext): Promise<number> {
    const { positionals: files, options } = parseCommand(decl, ctx.argv);
    const write = options.write === true;
    const check = options.check === true;
    if (write && check) throw new UsageError('give --write or --check, not both');
    if (files.length > 1 && !write && !check) throw new UsageError('formatting several files needs --write (in place) or --check');
    let failed = 0;
    for (const file of files) {
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
