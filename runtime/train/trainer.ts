// The training loop (docs/training.md): steps, logging, validation, checkpoints, signals and the
// exact resume. The pieces (data, kernel runtime, model, optimiser) come from setup.ts.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CheckpointError, readManifest, writeFileAtomic } from '../io/index.ts';
import { loadModelCheckpoint, saveModelCheckpoint } from '../nn/models/index.ts';
import { allocTensor, Recorder } from '../nn/index.ts';
import type { CheckpointManifest } from '../../specs/types/checkpoint.ts';
import { checkpointDir, listCheckpoints, prune, removeIncomplete } from './checkpoints.ts';
import { NonFiniteError, TrainError } from './errors.ts';
import { arNll, diffusionNelbo, withEma, type HeldOut, type Likelihood } from './heldout.ts';
import { MetricsLog } from './metrics.ts';
import { emaDecayAt, lrAt, mix, sampleTimes, SALT, type LrSchedule } from './schedule.ts';
import type { RunPieces } from './setup.ts';
import { runStep, type MicroBatch, type StepBuffers } from './step.ts';
import type { RunSpec } from './spec.ts';

export interface StepEvent {
  step: number;
  totalSteps: number;
  loss: number;
  lr: number;
  gradNorm: number;
  /** Training tokens per second over the last logging window (validation and checkpoints excluded). */
  tokensPerSec: number;
  tokens: number;
  seconds: number;
}

export interface ValidationEvent {
  step: number;
  val: Likelihood;
}

export interface TrainHooks {
  signal?: AbortSignal;
  onStep?: (e: StepEvent) => void;
  onValidation?: (e: ValidationEvent) => void;
  /** Notices (one line each): where the run is, checkpoints written, resume. */
  log?: (line: string) => void;
}

export interface TrainResult {
  out: string;
  step: number;
  totalSteps: number;
  stopped: 'done' | 'signal';
  /** The newest checkpoint written. */
  checkpoint: string | null;
  /** The last validation (null when the run never validated). */
  validation: Likelihood | null;
  tokens: number;
  seconds: number;
}

/** The parts of a spec a resume must not change (budget, cadences and the name may). */
/** The largest share of a step's positions that may have an unreachable x_t before the loss counts as blown up. */
export const MAX_UNREACHABLE = 0.01;

export function runIdentity(spec: RunSpec): string {
  const { budget: _b, validation: _v, checkpoint: _c, log: _l, name: _n, ...rest } = spec;
  return createHash('sha256').update(JSON.stringify(rest)).digest('hex');
}

export function totalStepsOf(spec: RunSpec): number {
  const b = spec.batchSize! * spec.data.length! * spec.optimizer!.accumulate!;
  return spec.budget.steps ?? Math.ceil(spec.budget.tokens! / b);
}

/** True when `dir` exists and holds anything. */
export function occupied(dir: string): boolean {
  return existsSync(dir) && readdirSync(dir).length > 0;
}

export async function trainLoop(p: RunPieces, out: string, resume: boolean, hooks: TrainHooks = {}): Promise<TrainResult> {
  const { spec, rec, model, opt, ema, rt, data } = p;
  const log = hooks.log ?? (() => {});
  const B = spec.batchSize!;
  const L = spec.data.length!;
  const K = spec.optimizer!.accumulate!;
  const seed = spec.seed!;
  const totalSteps = totalStepsOf(spec);
  const o = spec.optimizer!;
  const sched: LrSchedule = { lr: o.lr!, warmupSteps: o.warmupSteps!, decay: o.decay!, minLrRatio: o.minLrRatio!, totalSteps };
  const metrics = new MetricsLog(join(out, 'metrics.jsonl'));
  const identity = runIdentity(spec);

  let step = 0;
  let tokens = 0;
  let seconds = 0;
  let lastCheckpoint: string | null = null;
  if (resume) {
    for (const d of removeIncomplete(out)) log(`removed an incomplete checkpoint (interrupted write): ${d}`);
    const loaded = await loadNewest(out, model, opt, ema, identity, p.graphHashes, log);
    if (loaded) {
      const m = loaded.manifest;
      data.train.restore(m.trainer!.data);
      step = m.step;
      tokens = m.trainer!.tokens;
      seconds = m.trainer!.seconds;
      lastCheckpoint = loaded.dir;
      await metrics.truncate(step);
      log(`resumed from ${loaded.dir} at step ${step}`);
    } else {
      log(`no complete checkpoint in ${out}: starting from step 0`);
      await metrics.truncate(0);
    }
  }

  const bufs: StepBuffers = {
    x0: allocTensor(rec.pool, [B * L], 'u32', 'x0'),
    aux: allocTensor(rec.pool, [B * L], 'u32', 'xt / targets'),
    weights: allocTensor(rec.pool, [B * L], 'f32', 'position weights'),
    valid: allocTensor(rec.pool, [B * L], 'f32', 'valid positions'),
  };
  const ctx = { rec, model, opt, ema, rt, bufs };

  // Validation records on its own recorder (same pool): the training recorder's estimate of a
  // step's GPU time, which paces its readbacks on software adapters, then stays a training step's.
  const valRec = new Recorder(p.gpu, { pool: rec.pool });
  const validate = async (): Promise<Likelihood> => {
    const v = spec.validation!;
    const r = await withEma(valRec, model, ema, () =>
      rt ? diffusionNelbo(valRec, model, rt, data.validation, { B, grid: v.grid!, seed: v.seed! }) : arNll(valRec, model, data.validation, { B }),
    );
    metrics.append({ step, val: r });
    hooks.onValidation?.({ step, val: r });
    return r;
  };
  const checkpoint = async (): Promise<void> => {
    const dir = checkpointDir(out, step);
    await saveModelCheckpoint(dir, model, { opt, ...(ema ? { ema } : {}) }, {
      step,
      seed,
      kernel: p.kernelRef,
      tokenizer: p.tokenizerRef,
      trainer: { data: data.train.state() as Record<string, unknown>, tokens, seconds, runSha256: identity, ...(p.graphHashes ? { graphs: p.graphHashes } : {}) },
    });
    lastCheckpoint = dir;
    prune(out, spec.checkpoint!.keep!);
    log(`checkpoint ${dir}`);
  };

  let lastVal: Likelihood | null = null;
  let valStep = -1;
  let ckptStep = resume ? step : -1;
  let windowTokens = 0;
  let windowUnreachable = 0;
  let windowSec = 0;
  let stopped: 'done' | 'signal' = 'done';
  while (step < totalSteps) {
    if (hooks.signal?.aborted) {
      stopped = 'signal';
      break;
    }
    const micro: MicroBatch[] = [];
    for (let k = 0; k < K; k++) micro.push(data.train.next());
    const t0 = performance.now();
    const outcome = await runStep(ctx, {
      B,
      L,
      corruptSeeds: micro.map((_, k) => mix(seed, step, k, SALT.corrupt)),
      dropoutSeeds: micro.map((_, k) => mix(seed, step, k, SALT.dropout)),
      times: rt ? micro.map((_, k) => sampleTimes(B, { sampling: spec.time!.sampling!, eps: spec.time!.eps! }, seed, step, k)) : [],
      lr: lrAt(sched, step),
      emaDecay: emaDecayAt(o.emaDecay!, step),
    }, micro);
    const dt = (performance.now() - t0) / 1000;
    const lr = lrAt(sched, step);
    step++;
    // A few unreachable positions (x_t beyond the hop truncation) are expected at a rate below the
    // truncation bound; many mean the loss itself blew up.
    if (!Number.isFinite(outcome.loss) || outcome.unreachable > Math.max(2, MAX_UNREACHABLE * outcome.positions)) throw new NonFiniteError(step, 'loss', lastCheckpoint);
    if (!outcome.finite) throw new NonFiniteError(step, 'gradient', lastCheckpoint);
    windowUnreachable += outcome.unreachable;
    const stepTokens = micro.reduce((a, m) => a + m.x0.length, 0);
    tokens += stepTokens;
    seconds += dt;
    windowTokens += stepTokens;
    windowSec += dt;
    const ev: StepEvent = { step, totalSteps, loss: outcome.loss, lr, gradNorm: outcome.gradNorm, tokensPerSec: windowTokens / Math.max(windowSec, 1e-9), tokens, seconds };
    hooks.onStep?.(ev);
    if (step % spec.log!.every! === 0 || step === totalSteps) {
      metrics.append({ step, loss: outcome.loss, lr, gradNorm: outcome.gradNorm, tokens, tokensPerSec: ev.tokensPerSec, seconds, ...(windowUnreachable ? { unreachable: windowUnreachable } : {}) });
      windowUnreachable = 0;
      windowTokens = 0;
      windowSec = 0;
    }
    const ve = spec.validation!.every!;
    if ((ve > 0 && step % ve === 0) || step === totalSteps) {
      lastVal = await validate();
      valStep = step;
    }
    const ce = spec.checkpoint!.every!;
    if ((ce > 0 && step % ce === 0) || step === totalSteps) {
      await checkpoint();
      ckptStep = step;
    }
  }
  if (stopped === 'signal' && ckptStep !== step && step > 0) {
    await checkpoint();
    log(`stopped by a signal at step ${step}; resume with --resume`);
  }
  if (stopped === 'done' && valStep !== step && step > 0) lastVal = await validate();
  await writeFileAtomic(join(out, 'result.json'), JSON.stringify({ step, totalSteps, stopped, checkpoint: lastCheckpoint, validation: lastVal, tokens, seconds }, null, 2) + '\n');
  return { out, step, totalSteps, stopped, checkpoint: lastCheckpoint, validation: lastVal, tokens, seconds };
}

/**
 * Loads the newest checkpoint that belongs to this run and loads whole; a corrupt one (a file
 * truncated or changed after it was written) is reported and the previous one tried. Refusals that
 * concern the run (other settings, another graph) stop at once.
 */
async function loadNewest(
  out: string, model: RunPieces['model'], opt: RunPieces['opt'], ema: RunPieces['ema'], identity: string, graphs: Record<string, string> | null, log: (l: string) => void,
): Promise<{ dir: string; manifest: CheckpointManifest } | null> {
  const all = listCheckpoints(out).reverse();
  const failures: string[] = [];
  for (const c of all) {
    let m: CheckpointManifest;
    try {
      m = await readManifest(c.dir);
    } catch (err) {
      failures.push((err as Error).message);
      log(`passing over ${c.dir}: ${(err as Error).message}`);
      continue;
    }
    checkResumable(m, identity, graphs, c.dir);
    try {
      await loadModelCheckpoint(c.dir, model, { opt, ...(ema ? { ema } : {}) });
      return { dir: c.dir, manifest: m };
    } catch (err) {
      if (!(err instanceof CheckpointError)) throw err;
      failures.push(`${c.dir}: ${err.message}`);
      log(`passing over ${c.dir}: ${err.message}`);
    }
  }
  if (all.length) throw new TrainError(`no checkpoint of ${out} loads, so the run cannot resume:\n  ${failures.join('\n  ')}`);
  return null;
}

function checkResumable(m: CheckpointManifest, identity: string, graphs: Record<string, string> | null, dir: string): void {
  if (!m.trainer) throw new TrainError(`${dir} was not written by the trainer (its manifest has no trainer state), so the run cannot resume from it`);
  if (m.trainer.runSha256 !== identity) {
    throw new TrainError(
      `${dir} belongs to a run with other settings: the data, model, kernel, optimiser or seed changed since it was written ` +
        '(a resume may change only the budget and the validation, checkpoint and log cadences). Start a new run with another --out instead.',
    );
  }
  for (const [name, hash] of Object.entries(m.trainer.graphs ?? {})) {
    const now = graphs?.[name];
    if (now !== hash) {
      throw new TrainError(
        `the kernel's graph '${name}' changed since ${dir} was written (hash ${hash}, now ${now ?? 'none'}): ` +
          'the embeddings or the graph options differ, so the model would continue on another kernel. Resume with the same embeddings, or start a new run.',
      );
    }
  }
}

/** Creates the output folder of a new run, refusing one that holds anything. */
export function prepareOut(out: string, resume: boolean): void {
  if (resume) {
    if (!existsSync(join(out, 'run.json'))) throw new TrainError(`--resume ${out}: there is no run there (no run.json)`);
    return;
  }
  if (occupied(out)) throw new TrainError(`${out} already holds files; resume that run with --resume ${out}, or choose another output folder with --out (nothing was overwritten)`);
  mkdirSync(out, { recursive: true });
}

export function writeJson(path: string, doc: unknown): void {
  writeFileSync(path, JSON.stringify(doc, null, 2) + '\n');
}
