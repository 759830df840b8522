// dlmk compile FILE --out DIR [--set name=value ...] [--embeddings FILE [--tensor NAME] [--classes ...]]
// [--wgsl DIR [--vocab V] [--lanes N]]: writes DIR/NAME.spec.json, the Kernel IR; with embeddings,
// bound to that vocabulary: each knn graph is built (on the GPU) and its content hash recorded in
// the spec (docs/ir.md). --wgsl writes the WGSL programs the GPU runtime generates for the kernel,
// one file per program with a header saying what it computes (cli/codegen.ts, docs/codegen.md).
import { writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import type { KernelSpec } from '../../specs/types/kernel.ts';
import type { Command, CommandContext } from '../command.ts';
import { UsageError } from '../command.ts';
import { checkKernel, formatDiagnostics } from '../../compiler/index.ts';
import { parseCommand, usageOf, type CommandDecl } from '../options.ts';
import { makeDir, parseSets, readText, SET_OPTION } from '../io.ts';
import { MAX_VOCAB } from '../../compiler/limits.ts';


const decl = {
  name: 'compile',
  summary: 'compile a .kernel file to its JSON spec (the Kernel IR), and optionally to the WGSL programs it becomes',
  positionals: [{ name: 'FILE', missing: 'name one .kernel file' }],
  options: {
    out: { type: 'string', placeholder: 'DIR', description: 'write DIR/NAME.spec.json' },
    embeddings: { type: 'string', placeholder: 'FILE', description: "bind the spec to this vocabulary: build each knn graph from these token vectors (on the GPU) and record its hash" },
    tensor: { type: 'string', placeholder: 'NAME', description: 'the tensor of a .safetensors embeddings file' },
    classes: { type: 'string', placeholder: '[NAME=]FILE,...', description: 'class partitions for graphs built within classes (a class id per token, .json or .npy)' },
    set: SET_OPTION,
    wgsl: { type: 'string', placeholder: 'DIR', description: 'write the WGSL programs of every quantity to DIR/*.wgsl (docs/codegen.md)' },
    vocab: { type: 'integer', placeholder: 'V', min: 2, max: MAX_VOCAB, description: 'the vocabulary size the WGSL is generated for (default 1024; with --embeddings, theirs)' },
    lanes: { type: 'integer', placeholder: 'N', min: 8, max: 256, description: 'workgroup lanes of the WGSL, a power of 2 (default 64, the software adapter; 256 on a GPU)' },
  },
  examples: ['dlmk compile kernels/semdlm_plus.kernel --out out/ --set gamma=0.8', 'dlmk compile kernels/semdlm.kernel --wgsl out/wgsl --vocab 30522'],
} as const satisfies CommandDecl;

const compile: Command = {
  name: 'compile',
  summary: decl.summary,
  decl,
  async run(ctx: CommandContext): Promise<number> {
    const { positionals, options } = parseCommand(decl, ctx.argv);
    const out = options.out;
    const wgsl = options.wgsl;
    if (!out && !wgsl) throw new UsageError(`say where the spec goes with --out DIR (or the WGSL with --wgsl DIR): ${usageOf(decl)}`);
    if ((options.vocab !== undefined || options.lanes !== undefined) && !wgsl) throw new UsageError('--vocab and --lanes go with --wgsl');
    const lanes = options.lanes;
    if (lanes !== undefined && (lanes & (lanes - 1)) !== 0) throw new UsageError(`--lanes must be a power of 2 (8 to 256); got ${lanes}`);
    const file = positionals[0]!;
    const text = readText(file);
    const r = checkKernel(text, { path: file, params: parseSets(options.set) });
    if (r.diagnostics.length) ctx.stderr(formatDiagnostics(r.diagnostics, text));
    if (!r.spec) {
      const n = r.diagnostics.filter((d) => d.severity === 'error').length;
      ctx.stderr(`${file}: ${n} error${n === 1 ? '' : 's'}; nothing written`);
      return 1;
    }
    // Output folders first: a folder that cannot exist fails before any GPU work (and nothing is
    // created until there is something to write).
    if (out) makeDir(out, 'the output folder', { probe: true });
    if (wgsl) makeDir(wgsl, 'the WGSL folder', { probe: true });
    const emb = options.embeddings;
    let V = options.vocab;
    if (emb) {
      const bound = await bindGraphs(r.spec, file, emb, options.tensor, options.classes, ctx);
      if (V !== undefined && V !== bound) throw new UsageError(`--vocab ${V}, but the embeddings have ${bound} rows`);
      V = bound;
    } else if (options.tensor || options.classes) throw new UsageError('--tensor and --classes go with --embeddings');
    if (out) {
      const target = join(out, `${r.spec.name}.spec.json`);
      makeDir(out);
      try {
        writeFileSync(target, JSON.stringify(r.spec, null, 2) + '\n');
      } catch (err) {
        throw new UsageError(`cannot write '${target}': ${(err as Error).message}`, 1);
      }
      ctx.stdout(`wrote ${target}`);
    }
    if (wgsl) {
      const { kernelWgsl, wgslFileText } = await import('../codegen.ts');
      const o = { V: V ?? 1024, lanes: lanes ?? 64 };
      const files = kernelWgsl(r.spec, o);
      makeDir(wgsl, 'the WGSL folder');
      for (const f of files) {
        const target = join(wgsl, f.file);
        try {
          writeFileSync(target, wgslFileText(r.spec, f, o));
        } catch (err) {
          throw new UsageError(`cannot write '${target}': ${(err as Error).message}`, 1);
        }
      }
      ctx.stdout(`wrote ${files.length} WGSL programs of kernel ${r.spec.name} (V = ${o.V}, ${o.lanes} lanes) to ${wgsl}: ${files.map((f) => f.file).join(', ')}`);
    }
    return 0;
  },
};

/**
 * Builds every knn graph of `spec` on the GPU (`graph g = knn(embeddings, ...)` from `embFile`; a
 * graph with its own file from that file, relative to the kernel's folder) and records its hash.
 */
async function bindGraphs(spec: KernelSpec, kernelFile: string, embFile: string, tensor: string | undefined, classesArg: string | undefined, ctx: CommandContext): Promise<number> {
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
  return main.V;
}

export default compile;
