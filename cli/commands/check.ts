// dlmk check FILE... : parse and check kernels; every diagnostic of every file, exit 1 if any
// file has an error. Loads the compiler only (no WebGPU): `dlmk check` starts fast.
import type { Command, CommandContext } from '../command.ts';
import { checkKernel, formatDiagnostics } from '../../compiler/index.ts';
import { parseCommand, type CommandDecl } from '../options.ts';
import { parseSets, readText, SET_OPTION } from '../io.ts';

const decl = {
  name: 'check',
  summary: 'check .kernel files and print every error with its line and column',
  positionals: [{ name: 'FILE', variadic: true, missing: 'name at least one .kernel file' }],
  options: { set: SET_OPTION },
  examples: ['dlmk check kernels/*.kernel', 'dlmk check kernels/semdlm_plus.kernel --set k=4'],
} as const satisfies CommandDecl;

const check: Command = {
  name: 'check',
  summary: decl.summary,
  decl,
  async run(ctx: CommandContext): Promise<number> {
    const { positionals: files, options } = parseCommand(decl, ctx.argv);
    const sets = parseSets(options.set);
    let failed = 0;
    for (const file of files) {
      let text: string;
      try {
        text = readText(file);
      } catch (err) {
        ctx.stderr(`dlmk check: ${(err as Error).message}`);
        failed++;
        continue;
      }
      const r = checkKernel(text, { path: file, params: sets });
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
