// dlmk sample RUN_OR_CHECKPOINT --n N [--steps S] [--predictor P] [--set name=value] [--prefix TEXT]
// [--length L] [--seed N] [--out FILE] [--trace FILE]: decoded samples from a trained run, with the
// kernel's sampler block (overridable), EMA weights unless --raw.
import { writeFileSync } from 'node:fs';
import type { Command, CommandContext } from '../command.ts';
import { UsageError } from '../command.ts';
import { parseCommand, type CommandDecl } from '../options.ts';
import { formatDuration, Progress } from '../progress.ts';
import { userError } from '../errors.ts';

const decl = {
  name: 'sample',
  summary: 'sample text from a trained run (its newest checkpoint, or a checkpoint folder inside it)',
  positionals: [{ name: 'RUN' }],
  options: {
    n: { type: 'integer', min: 1, max: 1 << 20, description: 'samples (default 4)' },
    steps: { type: 'integer', min: 1, max: 1 << 20, description: "grid steps (default: the kernel's sampler block)" },
    predictor: { type: 'string', choices: ['ancestral', 'tau_leap', 'remask', 'confidence', 'self_correct'], description: "the predictor (default: the kernel's)" },
    option: { type: 'string', multiple: true, placeholder: 'NAME=VALUE', description: "a predictor option, e.g. eta=0.05, block=16" },
    set: { type: 'string', multiple: true, placeholder: 'NAME=VALUE', description: 'a param the sampler rules read, e.g. gamma=0.8' },
    denoise: { type: 'string', choices: ['argmax', 'sample', 'none'], description: 'the final step at t -> 0' },
    'no-rules': { type: 'boolean', description: "drop the kernel's sampler rules (sample the model's own law)" },
    'no-cache': { type: 'boolean', description: 'call the model every step even when the cache rule allows reuse' },
    prefix: { type: 'string', placeholder: 'TEXT', description: 'text the samples continue (clamped at the start)' },
    'prefix-ids': { type: 'string', placeholder: 'N,N,...', description: 'a prefix as token ids' },
    clamp: { type: 'string', multiple: true, placeholder: 'POS=TOKEN', description: 'hold a position at a token (a word, or #ID): infilling' },
    length: { type: 'integer', min: 1, max: 65536, description: "tokens per sample (default the run's data.length)" },
    seed: { type: 'integer', min: 0, description: 'the seed (default 0): the same seed gives the same text' },
    batch: { type: 'integer', min: 1, max: 65536, description: 'sequences per GPU batch (default 64, or fewer where one model call cannot take 64 on this adapter: docs/sampling.md)' },
    raw: { type: 'boolean', description: 'the raw weights instead of the EMA' },
    out: { type: 'string', placeholder: 'FILE', description: 'write JSONL: ids, text, steps, NFE, seconds, settings' },
    trace: { type: 'string', placeholder: 'FILE', description: "write each step's sequences (JSONL) for replaying the denoising" },
    quiet: { type: 'boolean', description: 'no progress' },
  },
  examples: ['dlmk sample runs/tiny --n 4', 'dlmk sample runs/tiny --n 8 --steps 256 --prefix "the congress" --out samples.jsonl', 'dlmk sample runs/tiny-plus --set gamma=1.5 --predictor tau_leap'],
} as const satisfies CommandDecl;

function pairs(flag: string, xs: readonly string[] | undefined): [string, string][] {
  return (xs ?? []).map((s) => {
    const m = /^([^=]+)=(.*)$/.exec(s);
    if (!m) throw new UsageError(`--${flag} takes NAME=VALUE; got '${s}'`);
    return [m[1]!.trim(), m[2]!];
  });
}

function num(flag: string, k: string, v: string): number {
  const x = Number(v);
  if (v.trim() === '' || !Number.isFinite(x)) throw new UsageError(`--${flag} ${k}=${v}: the value must be a number`);
  return x;
}

const sample: Command = {
  name: 'sample',
  summary: decl.summary,
  decl,
  async run(ctx: CommandContext): Promise<number> {
    const { positionals, options: o } = parseCommand(decl, ctx.argv);
    if (o.prefix !== undefined && o['prefix-ids'] !== undefined) throw new UsageError('give --prefix TEXT or --prefix-ids, not both');
    const opts = Object.fromEntries(pairs('option', o.option).map(([k, v]) => [k, num('option', k, v)]));
    const params = Object.fromEntries(pairs('set', o.set).map(([k, v]) => [k, v === 'true' ? true : v === 'false' ? false : num('set', k, v)]));
    const clamp: Record<number, string | number> = {};
    for (const [k, v] of pairs('clamp', o.clamp)) {
      const pos = Number(k);
      if (!Number.isInteger(pos) || pos < 0) throw new UsageError(`--clamp ${k}=${v}: the position must be a whole number >= 0`);
      clamp[pos] = /^#\d+$/.test(v) ? Number(v.slice(1)) : v;
    }
    const prefixIds = o['prefix-ids']?.split(',').map((x) => {
      const id = Number(x.trim());
      if (!Number.isInteger(id) || id < 0) throw new UsageError(`--prefix-ids: '${x}' is not a token id`);
      return id;
    });
    const { sample: run } = await import('../../runtime/sample/generate.ts');
    const progress = new Progress(process.stderr, 'sample', 50);
    try {
      const r = await run(positionals[0]!, {
        n: o.n ?? 4,
        ...(o.steps !== undefined ? { steps: o.steps } : {}),
        ...(o.predictor ? { predictor: o.predictor as never } : {}),
        ...(Object.keys(opts).length ? { options: opts } : {}),
        ...(Object.keys(params).length ? { params } : {}),
        ...(o.denoise ? { denoise: o.denoise as never } : {}),
        ...(o['no-rules'] ? { rules: [] } : {}),
        ...(o['no-cache'] ? { cache: false } : {}),
        ...(o.prefix !== undefined ? { prefix: o.prefix } : prefixIds ? { prefix: prefixIds } : {}),
        ...(Object.keys(clamp).length ? { clamp } : {}),
        ...(o.length !== undefined ? { length: o.length } : {}),
        ...(o.seed !== undefined ? { seed: o.seed } : {}),
        ...(o.batch !== undefined ? { batch: o.batch } : {}),
        ...(o.raw ? { raw: true } : {}),
        ...(o.trace ? { trace: true } : {}),
        log: (l) => (o.quiet ? undefined : progress.note(l)),
        onStep: (i) => {
          if (!o.quiet) progress.update({ done: i.batch * i.steps + i.step, total: i.batches * i.steps, fields: { phase: i.phase, NFE: String(i.nfe) } });
        },
      });
      progress.done();
      const s = r.settings;
      ctx.stdout(
        `${r.samples.length} samples of ${r.length} tokens from ${r.checkpoint} (${r.weights} weights): ${s.predictor}, ${r.steps} steps, ` +
          `NFE ${r.nfe}, ${formatDuration(r.seconds)}, seed ${r.seed}\n`,
      );
      r.samples.forEach((x, i) => ctx.stdout(`[${i}] ${x.text}\n`));
      if (o.out) {
        const lines = r.samples.map((x, i) =>
          JSON.stringify({ index: i, ids: x.ids, text: x.text, steps: r.steps, nfe: r.nfe / r.samples.length, seconds: r.seconds / r.samples.length, seed: r.seed, checkpoint: r.checkpoint, weights: r.weights, settings: s }),
        );
        writeFileSync(o.out, lines.join('\n') + '\n');
        ctx.stdout(`wrote ${o.out}`);
      }
      if (o.trace && r.trace) {
        writeFileSync(o.trace, r.trace.map((ids, step) => JSON.stringify({ step, ids })).join('\n') + '\n');
        ctx.stdout(`wrote ${o.trace} (${r.trace.length} states)`);
      }
      return 0;
    } catch (err) {
      progress.done();
      throw userError(err);
    }
  },
};

export default sample;
