// dlmk compare EXPERIMENT.json [--out DIR] [--set PATH=VALUE ...]: trains every kernel of the
// experiment (and the AR reference), evaluates them with one protocol, writes results.json,
// results.md and a self-contained report.html; prints the table and where the report is.
import { readFileSync } from 'node:fs';
import type { Command, CommandContext } from '../command.ts';
import { parseCommand, type CommandDecl } from '../options.ts';
import { formatCount, formatDuration, Progress } from '../progress.ts';
import { userError } from '../errors.ts';
import { makeDir } from '../io.ts';

const decl = {
  name: 'compare',
  summary: 'train and evaluate several kernels with the same model, data and budget; write a table and an HTML report',
  positionals: [{ name: 'EXPERIMENT.json' }],
  options: {
    out: { type: 'string', placeholder: 'DIR', description: 'the experiment folder (default experiments/NAME); finished runs there are reused' },
    set: { type: 'string', multiple: true, placeholder: 'PATH=VALUE', description: 'override a field of the experiment, e.g. base.budget.steps=50 or sampling.steps=[8,32]' },
    quiet: { type: 'boolean', description: 'only the table and the file locations' },
  },
  examples: ['dlmk compare specs/examples/paper.json', 'dlmk compare specs/examples/paper.json --set base.budget.steps=20 --set sampling.steps=[8] --out /tmp/quick'],
} as const satisfies CommandDecl;

const compare: Command = {
  name: 'compare',
  summary: decl.summary,
  decl,
  async run(ctx: CommandContext): Promise<number> {
    const { positionals, options: o } = parseCommand(decl, ctx.argv);
    // A folder that cannot exist (e.g. under /proc, where a recursive mkdir never returns) fails now.
    if (o.out) makeDir(o.out, 'the experiment folder', { probe: true });
    const lib = await import('../../runtime/compare/index.ts');
    const progress = new Progress(process.stderr, 'train', 50);
    const note = (l: string) => (o.quiet ? undefined : progress.note(l));
    const t0 = performance.now();
    try {
      const r = await lib.compare(positionals[0]!, {
        ...(o.out ? { out: o.out } : {}),
        sets: o.set ?? [],
        log: (l) => note(`  ${l}`),
        onPhase: (l) => note(`[${formatDuration((performance.now() - t0) / 1000)}] ${l}`),
        onTrainStep: (run, step, total, loss) => {
          if (!o.quiet) progress.update({ done: step, total, fields: { run: `${run.label} s${run.seed}`, loss: loss.toFixed(3) } });
        },
      });
      progress.done();
      ctx.stdout(readFileSync(r.files.markdown, 'utf8'));
      const tps = r.results.runs.map((x) => `${x.label} ${formatCount(x.tokensPerSec)}`).join(', ');
      ctx.stdout(`training tokens/s: ${tps}\n`);
      ctx.stdout(`results: ${r.files.results}\ntable:   ${r.files.markdown}\nreport:  ${r.files.report}  (one self-contained page; open it in a browser)`);
      return 0;
    } catch (err) {
      progress.done();
      throw userError(err);
    }
  },
};

export default compare;
