// The run's kernel: compile the .kernel file (or read a compiled spec) with the run's parameter
// overrides, build what it needs for this vocabulary (knn graphs from token embeddings, the
// unigram law, reset(FILE) distributions) and bind it: the bound spec records each graph's hash.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, extname, isAbsolute, join } from 'node:path';
import { compileKernel } from '../../compiler/index.ts';
import type { KernelSpec } from '../../specs/types/kernel.ts';
import type { CheckpointKernel } from '../../specs/types/checkpoint.ts';
import { loadKernelSpecFile } from '../../specs/kernel-check.ts';
import type { Gpu } from '../gpu/index.ts';
import { createKernelRuntime, KernelRuntimeError, type EmbeddingMatrix, type KernelRuntime } from '../kernel/index.ts';
import { loadEmbeddings, parseNpy } from '../data/embeddings.ts';
import { TrainError } from './errors.ts';
import { resolveKernelPath } from './spec.ts';

export interface KernelSetup {
  /** The spec bound to this vocabulary (graph hashes filled in). */
  readonly spec: KernelSpec;
  readonly rt: KernelRuntime;
  readonly ref: CheckpointKernel;
  /** Content hash of each graph, or null when the kernel has none. */
  readonly graphHashes: Record<string, string> | null;
  readonly file: string;
}

/** SHA-256 of a compiled spec as JSON (what checkpoints record). */
export function specSha256(spec: KernelSpec): string {
  return createHash('sha256').update(JSON.stringify(spec)).digest('hex');
}

/** Compiles (or reads) the run's kernel without binding it to a vocabulary. */
export function compileRunKernel(path: string, params: Record<string, number | boolean>, baseDir: string): { spec: KernelSpec; file: string } {
  const file = resolveKernelPath(path, baseDir);
  if (!file) throw new TrainError(`kernel.path: no kernel file '${path}'`);
  if (file.endsWith('.json')) {
    if (Object.keys(params).length) throw new TrainError(`kernel.params: ${file} is a compiled spec, whose parameters are fixed; pass the .kernel file to override them`);
    // Bounded read, parse, schema and the semantic check, as validate and inspect do.
    return { spec: loadKernelSpecFile(file), file };
  }
  return { spec: compileKernel(readFileSync(file, 'utf8'), { path: file, params }), file };
}

/** A reset("FILE") distribution: a JSON array or a 1-D .npy of V non-negative numbers. */
export function loadDistFile(path: string, V: number): Float64Array {
  let xs: Float64Array;
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch {
    throw new TrainError(`cannot read the distribution file '${path}'`);
  }
  if (extname(path).toLowerCase() === '.npy') {
    // A 1-D array (n,) reads as (n, 1).
    const head = buf.subarray(0, Math.min(buf.length, 512)).toString('latin1').replace(/'shape'\s*:\s*\((\d+),\s*\)/, (_m, k: string) => `'shape': (${k}, 1)`);
    try {
      xs = Float64Array.from(parseNpy(Buffer.concat([Buffer.from(head, 'latin1'), buf.subarray(Math.min(buf.length, 512))]), path).data);
    } catch (err) {
      throw new TrainError((err as Error).message);
    }
  } else {
    let doc: unknown;
    try {
      doc = JSON.parse(buf.toString('utf8'));
    } catch (err) {
      throw new TrainError(`${path}: not JSON (${(err as Error).message})`);
    }
    if (!Array.isArray(doc)) throw new TrainError(`${path}: expected a JSON array of ${V} non-negative numbers`);
    xs = Float64Array.from(doc as number[]);
  }
  if (xs.length !== V) throw new TrainError(`${path}: ${xs.length} values, but the vocabulary has ${V} tokens`);
  xs.forEach((x, i) => {
    if (!(Number.isFinite(x) && x >= 0)) throw new TrainError(`${path}: entry ${i} is ${x}; a distribution needs finite non-negative numbers`);
  });
  return xs;
}

/**
 * The largest share of q_t's mass the hop CAP may drop at a training time (docs/training.md). The
 * adaptive rule itself drops at most ~2e-3 (P(Pois(L) > L + 4 sqrt(L)), largest at small L); a cap
 * that binds can drop everything.
 */
export const TRUNCATION_TOL = 1e-2;

/**
 * Refuses a kernel whose hop cap truncates q_t(. | x0) by more than TRUNCATION_TOL somewhere on
 * [0, 1] (docs/math.md §2.2): the ELBO there would not be the kernel's. A jump-only kernel under the
 * mutual-information schedule needs many hops near t = 1 (Lambda grows like a logarithm there).
 */
export function checkTruncation(rt: KernelRuntime, file: string): void {
  if (!rt.jump) return;
  const grid = Array.from({ length: 65 }, (_, i) => i / 64);
  const worst = rt.describe(grid).at!.reduce((a, b) => (b.bound > a.bound ? b : a));
  if (worst.bound <= TRUNCATION_TOL) return;
  const need = rt.exactHops(worst.t, 1e-6);
  throw new TrainError(
    `kernel ${rt.spec.name} (${file}): at t = ${worst.t} the hop truncation H = ${worst.H} leaves out ${(100 * worst.bound).toPrecision(3)}% of q_t's mass ` +
      `(jump amount ${worst.lambdas.reduce((a, b) => a + b, 0).toFixed(1)}), so the ELBO there would not be the kernel's. ` +
      `Raise the cap in the kernel file: hops adaptive(cap = ${need}) keeps the loss within 1e-6 at every t (it costs more only near t = 1).`,
  );
}

export interface KernelInputsForRun {
  readonly V: number;
  readonly unigram: Float64Array;
  /** Token vectors for knn(embeddings, ...) graphs; called only when the kernel has such a graph. */
  readonly embeddings: () => Promise<EmbeddingMatrix>;
  readonly log: (line: string) => void;
}

/** Compiles and binds the run's kernel on `gpu`. */
export async function setupKernel(gpu: Gpu, path: string, params: Record<string, number | boolean>, baseDir: string, inp: KernelInputsForRun): Promise<KernelSetup> {
  const { spec, file } = compileRunKernel(path, params, baseDir);
  const V = inp.V;
  let embeddings: EmbeddingMatrix | undefined;
  const embeddingFiles: Record<string, EmbeddingMatrix> = {};
  for (const g of spec.graphs) {
    if (g.classes !== null) throw new TrainError(`graph '${g.name}' of ${file} picks neighbours within classes '${g.classes}'; class partitions are not supported by run specs yet (use a graph without classes)`);
    if (g.source === 'embeddings') {
      embeddings ??= await inp.embeddings();
    } else {
      const f = isAbsolute(g.source.file) ? g.source.file : join(dirname(file), g.source.file);
      try {
        const e = loadEmbeddings(f);
        embeddingFiles[g.source.file] = { data: e.data, d: e.d };
      } catch (err) {
        throw new TrainError((err as Error).message);
      }
    }
  }
  const dists: Record<string, Float64Array> = {};
  for (const c of spec.channels) {
    if (c.operator.op === 'reset' && c.operator.dist.kind === 'file') {
      const f = c.operator.dist.file;
      dists[f] = loadDistFile(isAbsolute(f) ? f : join(dirname(file), f), V);
    }
  }
  let rt: KernelRuntime;
  try {
    rt = await createKernelRuntime(gpu, spec, { V, unigram: inp.unigram, dists, ...(embeddings ? { embeddings } : {}), embeddingFiles });
  } catch (err) {
    if (err instanceof KernelRuntimeError) throw new TrainError(`kernel ${spec.name} (${file}) with a vocabulary of ${V} tokens: ${err.message}`);
    throw err;
  }
  checkTruncation(rt, file);
  const bound = rt.boundSpec();
  const graphHashes = bound.graphs.length ? Object.fromEntries(bound.graphs.map((g) => [g.name, g.hash ?? ''])) : null;
  for (const [name, b] of Object.entries(rt.builtGraphs)) inp.log(`graph ${name}: ${b.report.candidates} candidates, built on the GPU in ${b.report.seconds.toFixed(1)} s, hash ${b.hash.slice(0, 12)}`);
  return { spec: bound, rt, ref: { name: bound.name, specSha256: specSha256(bound) }, graphHashes, file };
}
