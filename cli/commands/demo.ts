// `dlmk demo` (npm start): the main job on the embedded corpus. Checks and compiles the shipped
// kernels, then trains the masking and SemDLM+ kernels with the same model, data and budget
// (specs/examples/tiny.json), prints their validation ELBO curves and where the runs are. A run
// already finished in the output folder is reused, an unfinished one resumed.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command, CommandContext } from '../command.ts';
import { checkKernel, formatDiagnostics } from '../../compiler/index.ts';
import { describeKernel } from '../../compiler/describe.ts';
import { checkAgainst } from '../../specs/validate.ts';
import { parseCommand, type CommandDecl } from '../options.ts';
import { asciiChart } from '../chart.ts';
import { formatCount, formatDuration, Progress } from '../progress.ts';
import { userError } from '../errors.ts';

const kernelsDir = fileURLToPath(new URL('../../kernels/', import.meta.url));
const tinySpec = fileURLToPath(new URL('../../specs/examples/tiny.json', import.meta.url));

const decl = {
  name: 'demo',
  summary: 'the main job: check the shipped kernels, train masking and SemDLM+ on the embedded corpus, print their validation curves',
  positionals: [],
  options: {
    kernels: { type: 'string', placeholder: 'DIR', description: 'the folder of kernels to check (default: the shipped ones)' },
    out: { type: 'string', placeholder: 'DIR', description: 'where the runs go (default runs/demo)' },
    steps: { type: 'integer', min: 1, max: 1000000, description: 'training steps per kernel (default: the spec\'s, 300)' },
    'check-only': { type: 'boolean', description: 'only check and compile the kernels' },
  },
} as const satisfies CommandDecl;

function checkShipped(ctx: CommandContext, dir: string): number {
  const files = readdirSync(dir).filter((f) => f.endsWith('.kernel')).sort();
  let failed = 0;
  ctx.stdout(`dlmk demo: ${files.length} kernels in ${dir}\n`);
  for (const f of files) {
    const path = join(dir, f);
    const text = readFileSync(path, 'utf8');
    const r = checkKernel(text, { path });
    if (!r.spec) {
      failed++;
      ctx.stdout(`✗ ${f}\n${formatDiagnostics(r.diagnostics, text)}\n`);
      continue;
    }
    const issues = checkAgainst('kernel', r.spec);
    if (issues.length) {
      failed++;
      ctx.stdout(`✗ ${f}: the compiled spec does not match specs/kernel.schema.json:\n${issues.map((x) => `  ${x.path}: ${x.message}`).join('\n')}\n`);
      continue;
    }
    const s = describeKernel(r.spec);
    ctx.stdout(
      [
        `✓ ${s.name} — ${s.doc}`,
        `    states    ${s.states}`,
        `    schedule  ${s.schedule}`,
        ...s.channels.map((c, k) => `    ${k === 0 ? 'channels ' : '         '} ${c}`),
        ...(s.params.length ? [`    params    ${s.params.join(', ')}`] : []),
        `    loss      ${s.loss}`,
        `    sampler   ${s.sampler}`,
        `    hops      ${s.hops}`,
        '',
      ].join('\n'),
    );
  }
  ctx.stdout(`${files.length - failed} of ${files.length} kernels checked, compiled and validated.`);
  return failed;
}

const demo: Command = {
  name: 'demo',
  summary: decl.summary,
  usage: 'dlmk demo [--out DIR] [--steps N] [--check-only]',
  decl,
  async run(ctx) {
    const { options } = parseCommand(decl, ctx.argv);
    const failed = checkShipped(ctx, options.kernels ?? kernelsDir);
    if (failed || options['check-only']) return failed ? 1 : 0;
    const { trainOrReuse, readRunSpecFile } = await import('../../runtime/train/index.ts');
    const out = options.out ?? join('runs', 'demo');
    const base = readRunSpecFile(tinySpec) as Record<string, unknown>;
    const curves: { name: string; points: [number, number][] }[] = [];
    const rows: string[] = [];
    ctx.stdout(`\nTraining masking and SemDLM+ with the same tiny DiT, data and budget (${tinySpec}); runs in ${out}/\n`);
    for (const kernel of ['masking', 'semdlm_plus']) {
      const progress = new Progress(process.stderr, kernel.padEnd(11), 25);
      try {
        const r = await trainOrReuse(base, {
          out: join(out, kernel),
          baseDir: join(tinySpec, '..'),
          sets: [`kernel.path=${kernel}`, `name=${kernel}`, 'validation.every=50', ...(options.steps ? [`budget.steps=${options.steps}`] : [])],
          log: (l) => progress.note(`  ${l}`),
          onStep: (e) => progress.update({ done: e.step, total: e.totalSteps, fields: { loss: e.loss.toFixed(3), 'tok/s': formatCount(e.tokensPerSec) } }),
          onValidation: (e) => progress.note(`  ${kernel} step ${e.step}: ${e.val.nats.toFixed(3)} nats/token`),
        });
        progress.done();
        const lines = readFileSync(join(r.out, 'metrics.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { step: number; val?: { nats: number } });
        curves.push({ name: kernel, points: lines.filter((l) => l.val).map((l) => [l.step, l.val!.nats]) });
        const v = r.validation;
        rows.push(
          `  ${kernel.padEnd(12)} ${v ? `${v.nats.toFixed(3)} nats/token (${v.bits.toFixed(2)} bits, perplexity <= ${v.ppl.toFixed(1)})` : 'no validation'}` +
            `  ${r.step} steps in ${formatDuration(r.seconds)}${r.reused ? ' (reused)' : ''}  ${r.out}`,
        );
      } catch (err) {
        progress.done();
        throw userError(err);
      }
    }
    ctx.stdout('\nValidation NELBO (nats/token, lower is better) against training steps:\n');
    ctx.stdout(asciiChart(curves, { width: 60, height: 12, xLabel: 'steps' }));
    ctx.stdout(`\nAfter training:\n${rows.join('\n')}`);
    ctx.stdout('\nEach run folder holds run.json, metrics.jsonl, kernel.spec.json and checkpoints/ (docs/training.md).');
    return 0;
  },
};

export default demo;
