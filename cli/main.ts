// dlmk command-line entry. Every command is a call of the library (cli/commands/*.ts).
// Errors print as one clear paragraph; the stack trace only with --debug.
import type { Command, CommandContext } from './command.ts';
import { UsageError } from './command.ts';
import { userError } from './errors.ts';

type Loader = () => Promise<{ default: Command }>;

/** Lazily loaded so that `dlmk check` never pays for WebGPU start-up. */
const commands: Record<string, { summary: string; load: Loader }> = {
  // Each command file registers one line here.
  check: { summary: 'check .kernel files and print every error with its line and column', load: () => import('./commands/check.ts') },
  compile: { summary: 'compile a .kernel file to its JSON spec (the Kernel IR)', load: () => import('./commands/compile.ts') },
  validate: { summary: 'check a compiled spec (JSON) against its schema', load: () => import('./commands/validate.ts') },
  fmt: { summary: 'format .kernel files in the canonical layout', load: () => import('./commands/fmt.ts') },
  demo: { summary: 'the main job: check, compile and summarise the shipped kernels', load: () => import('./commands/demo.ts') },
  inspect: { summary: 'print a kernel\'s row, column, posterior, reverse step and ELBO (with gradient) for one position', load: () => import('./commands/inspect.ts') },
  diagrams: { summary: 'print the syntax diagrams of the .kernel grammar as HTML', load: () => import('./commands/diagrams.ts') },
  embed: { summary: 'compute token vectors for knn(embeddings) graphs and write them (.npy, .safetensors)', load: () => import('./commands/embed.ts') },
  neighbours: { summary: "print a token's graph neighbours in an embeddings file", load: () => import('./commands/neighbours.ts') },
  eval: { summary: 'evaluate a trained run: test likelihood, the three factors, sample quality', load: () => import('./commands/eval.ts') },
  compare: { summary: 'train and evaluate several kernels with one model, data and budget; a table and an HTML report', load: () => import('./commands/compare.ts') },
  sample: { summary: 'sample text from a trained run', load: () => import('./commands/sample.ts') },
  train: { summary: 'train a denoiser (or the autoregressive baseline) as a run spec says', load: () => import('./commands/train.ts') },
};

function help(): string {
  const width = Math.max(...Object.keys(commands).map((k) => k.length));
  return [
    'usage: dlmk COMMAND [options]   (dlmk COMMAND --help for a command\'s options)',
    '',
    'commands:',
    ...Object.entries(commands).map(([k, c]) => `  ${k.padEnd(width)}  ${c.summary}`),
    '',
    'global options: --debug (print stack traces)',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const debug = argv.includes('--debug');
  const args = argv.filter((a) => a !== '--debug');
  const ctx: CommandContext = {
    argv: args.slice(1),
    debug,
    stdout: (s) => process.stdout.write(s.endsWith('\n') ? s : s + '\n'),
    stderr: (s) => process.stderr.write(s.endsWith('\n') ? s : s + '\n'),
  };
  const name = args[0];
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    ctx.stdout(help());
    return name ? 0 : 2;
  }
  const entry = commands[name];
  if (!entry) {
    const near = Object.keys(commands).find((k) => k.startsWith(name.slice(0, 2)));
    ctx.stderr(`dlmk: unknown command '${name}'.${near ? ` Did you mean '${near}'?` : ''}\n\n${help()}`);
    return 2;
  }
  try {
    const cmd = (await entry.load()).default;
    if (ctx.argv.includes('--help') || ctx.argv.includes('-h')) {
      ctx.stdout((await import('./options.ts')).helpOf(cmd.decl));
      return 0;
    }
    return await cmd.run(ctx);
  } catch (caught) {
    // A library's value error (bad input, with its location) prints as its message alone.
    const err = userError(caught);
    const e = err as Error;
    if (err instanceof UsageError) {
      ctx.stderr(`dlmk ${name}: ${e.message}`);
      return err.code;
    }
    ctx.stderr(`dlmk ${name}: ${e?.name && e.name !== 'Error' ? `${e.name}: ` : ''}${e?.message ?? String(err)}`);
    if (debug) ctx.stderr(e?.stack ?? '');
    else ctx.stderr('(run with --debug for the stack trace)');
    return 1;
  }
}

const code = await main(process.argv.slice(2));
process.exitCode = code;
// A GPU device keeps the event loop alive; exit once output is flushed.
process.stdout.write('', () => process.exit(code));
