// dlmk compile FILE --out DIR [--set name=value ...] [--embeddings FILE [--tensor NAME] [--classes ...]]:
// writes DIR/NAME.spec.json, the Kernel IR; with embeddings, bound to that vocabulary: each knn
// graph is built (on the GPU) and its content hash recorded in the spec (docs/ir.md).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import type { KernelSpec } from '../../specs/types/kernel.ts';
import type { Command, CommandContext } from '../command.ts';
import { UsageError } from '../command.ts';
import { checkKernel, formatDiagnostics } from '../../compiler/index.ts';
import { parseArgs, readText } from './check.ts';

const compile: Command = {
  name: 'compile',
  summary: 'compile a .kernel file to its JSON spec (the Kernel IR)',
  usage: 'dlmk compile FILE --out DIR [--set name=value ...] [--embeddings FILE [--tensor NAME] [--classes [NAME=]FILE,...]]',
  async run(ctx: CommandContext): Promise<number> {
    const args = parseArgs(ctx.argv, { values: ['--out', '--embeddings', '--tensor', '--classes'], sets: true });
    if (args.files.length !== 1) throw new UsageError(`name one .kernel file: ${this.usage}`);
    const out = args.values.get('--out');
    if (!out) throw new UsageError(`say where the spec goes with --out DIR: ${this.usage}`);
    const file = args.files[0]!;
    const text = readText(file);
    const r = checkKernel(text, { path: file, params: args.sets });
    if (r.diagnostics.length) ctx.stderr(formatDiagnostics(r.diagnostics, text));
    if (!r.spec) {
      const n = r.diagnostics.filter((d) => d.severity === 'error').length;
      ctx.stderr(`${file}: ${n} error${n === 1 ? '' : 's'}; nothing written`);
      return 1;
    }
    const emb = args.values.get('--embeddings');
    if (emb) await bindGraphs(r.spec, file, emb, args.values.get('--tensor'), args.values.get('--classes'), ctx);
    else if (args.values.get('--tensor') || args.values.get('--classes')) throw new UsageError('--tensor and --classes go with --embeddings');
    const target = join(out, `${r.spec.name}.spec.json`);
    try {
      mkdirSync(out, { recursive: true });
      writeFileSync(target, JSON.stringify(r.spec, null, 2) + '\n');
    } catch (err) {
      throw new UsageError(`cannot write '${target}': ${(err as Error).message}`, 1);
    }
    ctx.stdout(`wrote ${target}`);
    return 0;
  },
};

/**
 * Builds every knn graph of `spec` on the GPU (`graph g = knn(embeddings, ...)` from `embFile`; a
 * graph with its own file from that file, relative to the kernel's folder) and records its hash.
 */
async function bindGraphs(spec: KernelSpec, kernelFile: string, embFile: string, tensor: string | undefined, classesArg: string | undefined, ctx: CommandContext): Promise<void> {
  const { loadEmbeddings } = await import('../../runtime/data/embeddings.ts');
  const { buildKnnGraphGpu } = await import('../../runtime/kernel/knn.ts');
  const { getGpu } = await import('../../runtime/gpu/index.ts');
  const { readClasses } = await import('./inspect.ts');
  const load = (f: string) => {
    try {
      return loadEmbeddings(f, { tensor });
    } catch (err) {
      throw new UsageError((err as Error).message, 1);
    }
  };
  const main = load(embFile);
  const classes = readClasses(spec, classesArg, main.V);
  if (!spec.graphs.length) ctx.stderr(`${kernelFile}: the kernel has no graph; --embeddings changes nothing`);
  const gpu = spec.graphs.length ? await getGpu() : null;
  for (const g of spec.graphs) {
    const e = g.source === 'embeddings' ? main : load(isAbsolute(g.source.file) ? g.source.file : join(dirname(kernelFile), g.source.file));
    if (e.V !== main.V) throw new UsageError(`graph '${g.name}': its embeddings have ${e.V} rows, '${embFile}' has ${main.V}`, 1);
    const r = await buildKnnGraphGpu(gpu!, e.data, e.V, e.d, { k: g.k, bandwidth: g.bandwidth, symmetric: g.symmetric, classes: g.classes === null ? null : classes[g.classes]! });
    g.hash = r.hash;
    ctx.stdout(`graph ${g.name}: ${e.V} tokens, ${r.graph.rowPtr[e.V]} edges, hash ${r.hash}`);
  }
}

export default compile;
