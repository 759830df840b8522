// `dlmk demo`: the main job. For now: check and compile every shipped kernel, validate each
// spec against its schema, and print a summary of each (README quick start).
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from '../command.ts';
import { checkKernel, formatDiagnostics } from '../../compiler/index.ts';
import { describeKernel } from '../../compiler/describe.ts';
import { checkAgainst } from '../../specs/validate.ts';

const kernelsDir = fileURLToPath(new URL('../../kernels/', import.meta.url));

const demo: Command = {
  name: 'demo',
  summary: 'the main job: check, compile and summarise the shipped kernels',
  usage: 'dlmk demo [--kernels DIR]',
  async run(ctx) {
    const i = ctx.argv.indexOf('--kernels');
    const dir = i >= 0 && ctx.argv[i + 1] ? ctx.argv[i + 1]! : kernelsDir;
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
    return failed ? 1 : 0;
  },
};

export default demo;
