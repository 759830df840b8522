// Public face of training (docs/training.md):
//
//   const r = await train('specs/examples/tiny.json', { out: 'runs/tiny', sets: ['optimizer.lr=1e-3'], onStep, signal });
//
// A run writes its output folder: run.json (the resolved spec), kernel.spec.json (the kernel bound
// to the vocabulary), metrics.jsonl, checkpoints/step-NNNNNNNN/ and, when it ends, result.json.
import { join, resolve } from 'node:path';
import { SpecValidationError } from '../../specs/validate.ts';
import { KernelCheckError, KernelSyntaxError } from '../../compiler/index.ts';
import { existsSync, readFileSync } from 'node:fs';
import { dlmkVersion, writeFileAtomic } from '../io/index.ts';
import type { Registry } from '../plugins/registry.ts';
import type { EmbeddingMatrix } from '../kernel/index.ts';
import { TrainError } from './errors.ts';
import { compileRunKernel } from './kernel.ts';
import { setupRun } from './setup.ts';
import { applySets, loadRunSpec, readRunSpecFile, validateRunSpec, type RunSpec, type ValidatedRunSpec } from './spec.ts';
import { prepareOut, runIdentity, trainLoop, totalStepsOf, type TrainHooks, type TrainResult } from './trainer.ts';

export { TrainError, NonFiniteError } from './errors.ts';
export { composeRunSchema, validateRunSpec, loadRunSpec, applySets, readRunSpecFile, resolveKernelPath, type RunSpec, type ValidatedRunSpec } from './spec.ts';
export { lrAt, emaDecayAt, sampleTimes, midpointGrid, mix } from './schedule.ts';
export { listCheckpoints, latestCheckpoint, checkpointDir } from './checkpoints.ts';
export { MetricsLog, type MetricLine } from './metrics.ts';
export { setupData, setupRun, modelConfigOf, cacheDirOf, graphVectors, unigramLaw, type RunData, type RunPieces } from './setup.ts';
export { loadRun, locateCheckpoint, type LoadedRun } from './load.ts';
export { setupKernel, compileRunKernel, specSha256, loadDistFile, type KernelSetup } from './kernel.ts';
export { diffusionNelbo, arNll, withEma, elboSums, arRowNll, rowTokens, priorTermsOf, HELD_OUT_TOL, type Likelihood, type HeldOut } from './heldout.ts';
export { runStep, type StepBuffers, type MicroBatch, type StepOutcome } from './step.ts';
export { runIdentity, totalStepsOf, type StepEvent, type ValidationEvent, type TrainHooks, type TrainResult } from './trainer.ts';

export interface TrainOptions extends TrainHooks {
  /** Output folder (default runs/NAME, NAME the spec's name or the kernel's). */
  out?: string;
  /** Continue the run in `out` from its newest checkpoint (the spec is `out`/run.json; `sets` may change the budget and cadences). */
  resume?: boolean;
  /** --set PATH=VALUE overrides, applied before validation. */
  sets?: readonly string[];
  /** Where relative paths of an object spec resolve (default: the cwd). */
  baseDir?: string;
  registry?: Registry;
  /** Test hook: token vectors used for knn(embeddings) graphs instead of the spec's source. */
  embeddings?: EmbeddingMatrix;
}

function defaultName(spec: RunSpec): string {
  if (spec.name) return spec.name;
  if (spec.model.arch === 'ar') return 'ar';
  const p = spec.kernel?.path ?? 'run';
  return p.replace(/^.*[\\/]/, '').replace(/\.(kernel|spec\.json)$/, '') || 'run';
}

/**
 * Trains a model as a run spec says: `spec` is a path to a JSON file or a parsed object. With
 * `resume`, continues the run in `out` exactly where its newest checkpoint left it.
 */
export async function train(spec: string | object | null, opts: TrainOptions = {}): Promise<TrainResult> {
  const log = opts.log ?? (() => {});
  let v: ValidatedRunSpec;
  let out: string;
  if (opts.resume) {
    if (!opts.out) throw new TrainError('resume needs the run folder (out)');
    out = resolve(opts.out);
    prepareOut(out, true);
    const path = join(out, 'run.json');
    v = validateRunSpec(applySets(readRunSpecFile(path), opts.sets ?? [], path), { what: path, baseDir: baseDirOf(out), ...reg(opts) });
  } else {
    if (spec === null) throw new TrainError('no run spec given');
    v = typeof spec === 'string'
      ? loadRunSpec(spec, opts.sets ?? [], opts.registry)
      : validateRunSpec(applySets(spec, opts.sets ?? []), { baseDir: opts.baseDir ?? process.cwd(), ...reg(opts) });
    out = resolve(opts.out ?? join('runs', defaultName(v.spec)));
    prepareOut(out, false);
  }
  const pieces = await setupRun(v.spec, v.baseDir, { log, ...reg(opts), ...(opts.embeddings ? { embeddings: opts.embeddings } : {}) });
  if (!opts.resume) {
    // run.json records the resolved spec; run.meta.json where its relative paths resolve.
    await writeFileAtomic(join(out, 'run.json'), JSON.stringify(v.spec, null, 2) + '\n');
    await writeFileAtomic(join(out, 'run.meta.json'), JSON.stringify({ baseDir: v.baseDir, dlmkVersion: dlmkVersion(), created: new Date().toISOString() }, null, 2) + '\n');
    if (pieces.kernelSpec) await writeFileAtomic(join(out, 'kernel.spec.json'), JSON.stringify(pieces.kernelSpec, null, 2) + '\n');
  }
  log(`run ${out}: ${totalStepsOf(v.spec)} steps of ${v.spec.batchSize} x ${v.spec.data.length} tokens${opts.resume ? ' (resuming)' : ''}`);
  try {
    return await trainLoop(pieces, out, !!opts.resume, opts);
  } finally {
    pieces.model.destroy();
  }
}

/**
 * Trains `spec` into `out`, or continues: a finished run there (result.json at its full budget) is
 * returned as it is, an unfinished one is resumed. For experiments that are rerun (dlmk compare, the
 * demo). A folder that holds another run is refused, as by a resume.
 */
export async function trainOrReuse(spec: object, opts: TrainOptions & { out: string }): Promise<TrainResult & { reused: boolean }> {
  const out = resolve(opts.out);
  if (!existsSync(join(out, 'run.json'))) return { ...(await train(spec, opts)), reused: false };
  const want = validateRunSpec(applySets(spec, opts.sets ?? []), { baseDir: opts.baseDir ?? process.cwd(), ...reg(opts) }).spec;
  const have = validateRunSpec(readRunSpecFile(join(out, 'run.json')), { baseDir: baseDirOf(out), ...reg(opts) }).spec;
  if (runIdentity(want) !== runIdentity(have)) throw new TrainError(`${out} holds a run with other settings; remove it or choose another folder`);
  const done = join(out, 'result.json');
  if (existsSync(done)) {
    const r = JSON.parse(readFileSync(done, 'utf8')) as Omit<TrainResult, 'out'>;
    if (r.stopped === 'done' && r.step >= totalStepsOf(want)) return { ...r, out, reused: true };
  }
  // Unfinished (or a larger budget now): resume with this spec's budget.
  const { sets: _s, ...rest } = opts;
  return { ...(await train(null, { ...rest, out, resume: true, sets: [`budget=${JSON.stringify(want.budget)}`] })), reused: false };
}

function reg(o: TrainOptions): { registry?: Registry } {
  return o.registry ? { registry: o.registry } : {};
}

/** The folder a run's relative paths resolve against, as recorded in run.meta.json. */
function baseDirOf(out: string): string {
  try {
    const doc = JSON.parse(readFileSync(join(out, 'run.meta.json'), 'utf8')) as { baseDir?: unknown };
    if (typeof doc.baseDir === 'string') return doc.baseDir;
  } catch {
    // Written by hand or damaged: relative paths then resolve against the run folder.
  }
  return out;
}

/** `dlmk validate` for a run spec document: the same checks as train(), plus the kernel compiled. */
export function checkRunDoc(doc: unknown, file: string, registry?: Registry): { ok: true; summary: string } | { ok: false; message: string } {
  try {
    const { spec, baseDir } = validateRunSpec(doc, { what: file, baseDir: resolve(file, '..'), ...(registry ? { registry } : {}) });
    let kernel = 'no kernel (autoregressive)';
    if (spec.kernel) kernel = `kernel ${compileRunKernel(spec.kernel.path, (spec.kernel.params ?? {}) as Record<string, number | boolean>, baseDir).spec.name}`;
    return { ok: true, summary: `${spec.model.arch} ${spec.model.size}, ${kernel}, ${totalStepsOf(spec)} steps` };
  } catch (err) {
    if (err instanceof SpecValidationError || err instanceof TrainError || err instanceof KernelSyntaxError || err instanceof KernelCheckError) return { ok: false, message: err.message };
    throw err;
  }
}
