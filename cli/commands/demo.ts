// `dlmk demo` (npm start): the main job on the embedded corpus. Checks and compiles the shipped
// kernels, then runs the kernel comparison of specs/examples/paper.json (dlmk compare): masking,
// uniform, SemDLM and SemDLM+ with the same model, data and budget, the AR reference, likelihood,
// the three factors, samples scored for quality and diversity, the decomposition on the synthetic
// source; prints the validation curves, the table and where the report is. Finished runs in the
// output folder are reused, unfinished ones resumed.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command, CommandContext } from '../command.ts';
import { checkKernel, formatDiagnostics } from '../../compiler/index.ts';
import { describeKernel } from '../../compiler/describe.ts';
import { checkAgainst } from '../../specs/validate.ts';
import { parseCommand, type CommandDecl } from '../options.ts';
import { asciiChart } from '../chart.ts';
import { formatDuration, Progress } from '../progress.ts';
import { userError } from '../errors.ts';

const kernelsDir = fileURLToPath(new URL('../../kernels/', import.meta.url));
const paperSpec = fileURLToPath(new URL('../../specs/examples/paper.json', import.meta.url));

const decl = {
  name: 'demo',
  summary: 'the main job: check the shipped kernels, then compare masking, uniform, SemDLM and SemDLM+ on the embedded corpus (specs/examples/paper.json)',
  positionals: [],
  options: {
    kernels: { type: 'string', placeholder: 'DIR', description: 'the folder of kernels to check (default: the shipped ones)' },
    out: { type: 'string', placeholder: 'DIR', description: 'the experiment folder (default experiments/paper)' },
    set: { type: 'string', multiple: true, placeholder: 'PATH=VALUE', description: 'override a field of the experiment (as dlmk compare --set), e.g. base.budget.steps=50' },
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
  decl,
  async run(ctx) {
    const { options } = parseCommand(decl, ctx.argv);
    const failed = checkShipped(ctx, options.kernels ?? kernelsDir);
    if (failed || options['check-only']) return failed ? 1 : 0;
    const { compare } = await import('../../runtime/compare/index.ts');
    const out = options.out ?? join('experiments', 'paper');
    ctx.stdout(`\nThe comparison of ${paperSpec}: masking, uniform, SemDLM and SemDLM+ with one model, data and budget, an AR reference, the evaluation protocol and the synthetic decomposition; everything in ${out}/ (a rerun reuses finished runs)\n`);
    const progress = new Progress(process.stderr, 'train', 25);
    const t0 = performance.now();
    try {
      const r = await compare(paperSpec, {
        out,
        sets: options.set ?? [],
        log: () => undefined,
        onPhase: (l) => progress.note(`[${formatDuration((performance.now() - t0) / 1000)}] ${l}`),
        onTrainStep: (run, step, total, loss) => progress.update({ done: step, total, fields: { run: run.label, loss: loss.toFixed(3) } }),
      });
      progress.done();
      const curves = r.results.runs.filter((x) => x.label !== 'ar').map((x) => ({ name: x.label, points: x.curve.val }));
      ctx.stdout('\nValidation NELBO (nats/token, lower is better) against training steps:\n');
      ctx.stdout(asciiChart(curves, { width: 60, height: 12, xLabel: 'steps' }));
      ctx.stdout('\n' + readFileSync(r.files.markdown, 'utf8'));
      ctx.stdout(`Done in ${formatDuration(r.results.seconds)}.\nresults: ${r.files.results}\ntable:   ${r.files.markdown}\nreport:  ${r.files.report}  (one self-contained page: open it in a browser)`);
      return 0;
    } catch (err) {
      progress.done();
      throw userError(err);
    }
  },
};

export default demo;
