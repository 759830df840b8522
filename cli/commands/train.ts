// dlmk train RUN.json [--set PATH=VALUE ...] [--out DIR] | dlmk train --resume DIR [--set ...]:
// a thin shell around runtime/train's train(): progress on the terminal, validation lines, and
// SIGINT/SIGTERM turned into "checkpoint, then stop" (a second Ctrl-C stops at once).
import type { Command, CommandContext } from '../command.ts';
import { UsageError } from '../command.ts';
import { makeDir } from '../io.ts';
import { parseCommand, type CommandDecl } from '../options.ts';
import { formatCount, formatDuration, Progress } from '../progress.ts';
import { userError } from '../errors.ts';

const decl = {
  name: 'train',
  summary: 'train a denoiser (or the autoregressive baseline) as a run spec says',
  positionals: [{ name: 'RUN.json', optional: true }],
  options: {
    set: { type: 'string', multiple: true, placeholder: 'PATH=VALUE', description: 'override a field of the run spec, e.g. optimizer.lr=1e-4 or kernel.params.gamma=0.8' },
    out: { type: 'string', placeholder: 'DIR', description: 'the run folder (default runs/NAME); it must not hold files' },
    resume: { type: 'string', placeholder: 'DIR', description: 'continue the run in DIR from its newest checkpoint (only the budget and cadences may change)' },
    quiet: { type: 'boolean', description: 'no progress, only the summary' },
  },
  examples: ['dlmk train specs/examples/tiny.json', 'dlmk train specs/examples/tiny.json --set kernel.path=semdlm_plus --out runs/tiny-plus', 'dlmk train --resume runs/tiny --set budget.steps=2000'],
} as const satisfies CommandDecl;

const train: Command = {
  name: 'train',
  summary: decl.summary,
  decl,
  async run(ctx: CommandContext): Promise<number> {
    const { positionals, options } = parseCommand(decl, ctx.argv);
    const file = positionals[0];
    if (!file && !options.resume) throw new UsageError('name a run spec (RUN.json), or a run to continue with --resume DIR');
    if (file && options.resume) throw new UsageError('give either RUN.json (a new run) or --resume DIR (continue a run), not both');
    if (options.resume && options.out) throw new UsageError('--resume DIR is the run folder; --out does not apply');
    // A folder that cannot exist (e.g. under /proc, where a recursive mkdir never returns) fails now.
    if (options.out) makeDir(options.out, 'the run folder', { probe: true });
    const lib = await import('../../runtime/train/index.ts');
    const progress = new Progress(process.stderr, 'train', 1);
    const note = (l: string) => (options.quiet ? undefined : progress.note(l));
    const ac = new AbortController();
    let signals = 0;
    const onSignal = (sig: string) => {
      signals++;
      if (signals > 1) {
        progress.note(`${sig} again: stopping now, without a checkpoint`);
        process.exit(130);
      }
      progress.note(`${sig}: finishing this step, writing a checkpoint, then stopping (again to stop at once)`);
      ac.abort();
    };
    const onInt = () => onSignal('SIGINT');
    const onTerm = () => onSignal('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
    try {
      const r = await lib.train(file ?? null, {
        ...(options.resume ? { out: options.resume, resume: true } : options.out ? { out: options.out } : {}),
        sets: options.set ?? [],
        signal: ac.signal,
        log: note,
        onStep: (e) => {
          if (options.quiet) return;
          progress.update({
            done: e.step,
            total: e.totalSteps,
            fields: { loss: e.loss.toFixed(4), 'tok/s': formatCount(e.tokensPerSec), lr: e.lr.toExponential(1), '|g|': e.gradNorm.toFixed(2) },
          });
        },
        onValidation: (e) => note(`step ${e.step}: validation ${e.val.nats.toFixed(4)} nats/token (${e.val.bits.toFixed(3)} bits, perplexity ${e.val.diffusion !== undefined ? '<= ' : ''}${e.val.ppl.toFixed(2)})`),
      });
      progress.done();
      const v = r.validation;
      ctx.stdout(
        [
          `${r.stopped === 'done' ? 'trained' : 'stopped'} ${r.step}/${r.totalSteps} steps, ${formatCount(r.tokens)} tokens in ${formatDuration(r.seconds)} (${formatCount(r.tokens / Math.max(r.seconds, 1e-9))} tokens/s)`,
          ...(v ? [`validation: ${v.nats.toFixed(4)} nats/token, ${v.bits.toFixed(3)} bits/token, perplexity ${v.diffusion !== undefined ? '<= ' : ''}${v.ppl.toFixed(2)}`] : []),
          `run folder: ${r.out}`,
          ...(r.checkpoint ? [`checkpoint: ${r.checkpoint}`] : []),
          ...(r.stopped === 'signal' ? [`resume with: dlmk train --resume ${r.out}`] : []),
        ].join('\n'),
      );
      return r.stopped === 'done' ? 0 : 130;
    } catch (err) {
      progress.done();
      throw userError(err);
    } finally {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
    }
  },
};

export default train;
