// One optimiser step as few GPU submits as the runtime allows (one per micro-batch): upload x0,
// corrupt it with the compiled kernel (diffusion) or shift it into targets (AR), the denoiser's
// forward pass, the loss with its gradient w.r.t. the logits, backward, then clipping + AdamW and
// the EMA after the last micro-batch; one readback of the per-position losses and [grad norm, clip coef, ok].
//
// Losses (the kernel's `loss` line, docs/language.md):
//   elbo         the continuous-time ELBO integrand of every position and its gradient (docs/math.md §2.4);
//   ce           softmax cross-entropy of the x0 prediction at every position;
//   weighted_ce  the same, weighted by the expression w(t) of the sequence's time.
// The step's loss is the mean over (valid) positions of the micro-batches; gradients are scaled to match.
// Positions whose x_t the hop truncation cannot reach from x0 (docs/math.md §2.2: probability at
// most the truncation bound, ~1e-4) get a NaN loss and a zero gradient from the kernel runtime:
// they carry no loss here and are counted (`unreachable`), so one rare draw does not stop a run.
import type { KernelSpec } from '../../specs/types/kernel.ts';
import { evalExpr } from '../../compiler/expr/eval.ts';
import type { Recorder } from '../gpu/index.ts';
import type { KernelRuntime } from '../kernel/index.ts';
import { crossEntropy, positionMask, tempTensor, type AdamWOptimizer, type EmaWeights, type Tensor } from '../nn/index.ts';
import { NO_TARGET, type TransformerModel } from '../nn/models/index.ts';
import { modelTimes } from '../denoiser/index.ts';

/** GPU buffers a run keeps for its whole life (sized for one micro-batch). */
export interface StepBuffers {
  /** u32 [B*L]: clean tokens. */
  readonly x0: Tensor;
  /** u32 [B*L]: x_t (diffusion) or next-token targets (AR). */
  readonly aux: Tensor;
  /** f32 [B*L]: per-position loss weight (CE losses; 1 / 0 for padding). */
  readonly weights: Tensor;
  /** f32 [B*L]: 1 real, 0 padding (sentence mode: the attention's key mask and the ELBO's position mask). */
  readonly valid: Tensor;
}

export interface MicroBatch {
  readonly x0: Uint32Array;
  /** 1 for a real position, 0 for padding (sentence mode), or null (packed: all real). */
  readonly valid: Float32Array | null;
}

export interface StepPlan {
  readonly B: number;
  readonly L: number;
  /** Seeds of this step's GPU draws, per micro-batch. */
  readonly corruptSeeds: readonly number[];
  readonly dropoutSeeds: readonly number[];
  /** Times per micro-batch (diffusion). */
  readonly times: readonly Float64Array[];
  readonly lr: number;
  readonly emaDecay: number;
}

export interface StepOutcome {
  loss: number;
  gradNorm: number;
  /** False when a gradient was not finite (AdamW left the parameters untouched). */
  finite: boolean;
  /** Positions whose loss was not finite (x_t beyond the hop truncation): left out of the loss. */
  unreachable: number;
  /** Positions that carried loss. */
  positions: number;
}

/** Positions that carry loss in a micro-batch (all, or the valid ones). */
function realCount(m: MicroBatch): number {
  if (!m.valid) return m.x0.length;
  let n = 0;
  for (const v of m.valid) n += v;
  return n;
}

/** Per-position CE weights: the kernel's w(t) of the sequence (1 for `ce`) times validity. */
function ceWeights(spec: KernelSpec | null, t: Float64Array | null, B: number, L: number, valid: Float32Array | null): Float32Array {
  const w = new Float32Array(B * L);
  for (let b = 0; b < B; b++) {
    let wb = 1;
    if (spec?.loss.kind === 'weighted_ce') {
      const params: Record<string, number | boolean> = {};
      for (const p of spec.params) params[p.name] = typeof p.value === 'boolean' ? p.value : Number(p.value);
      wb = evalExpr(spec.loss.weight, { t: t![b]!, params });
    }
    for (let l = 0; l < L; l++) w[b * L + l] = wb * (valid ? valid[b * L + l]! : 1);
  }
  return w;
}

export interface StepContext {
  readonly rec: Recorder;
  readonly model: TransformerModel;
  readonly opt: AdamWOptimizer;
  readonly ema: EmaWeights | null;
  /** The kernel runtime (DiT); null for the AR model. */
  readonly rt: KernelRuntime | null;
  readonly bufs: StepBuffers;
}

/**
 * Records and runs one optimiser step over `micro` (its micro-batches) and reads back the loss,
 * gradient norm and finiteness.
 */
export async function runStep(ctx: StepContext, plan: StepPlan, micro: readonly MicroBatch[]): Promise<StepOutcome> {
  const { rec, model, opt, ema, rt, bufs } = ctx;
  const { B, L } = plan;
  const N = B * L;
  const V = model.cfg.vocabSize;
  const total = micro.reduce((a, m) => a + (rt ? realCount(m) : arTargets(m, B, L)), 0);
  if (total === 0) throw new Error('a step without any real token (every position is padding)');
  const scale = 1 / total;
  model.registry.zeroGrads(rec);
  const rowsHost: Float32Array[] = [];
  for (let k = 0; k < micro.length; k++) {
    const mb = micro[k]!;
    rec.upload(bufs.x0, mb.x0);
    const x0 = bufs.x0;
    if (mb.valid) rec.upload(bufs.valid, mb.valid);
    const keyMask = mb.valid ? { keyMask: bufs.valid } : {};
    let logits: Tensor;
    let fwd;
    let rows: Tensor;
    let dlogits: Tensor;
    if (rt) {
      const t = plan.times[k]!;
      rt.encodeCorrupt(rec.encoder, { B, L, t, x0: x0.buffer, out: bufs.aux.buffer, seed: plan.corruptSeeds[k]! });
      fwd = model.forward(rec, { B, L, ids: bufs.aux, time: modelTimes(rt, t), dropoutSeed: plan.dropoutSeeds[k]!, ...keyMask });
      logits = fwd.logits;
      rows = tempTensor(rec, [N], 'f32', 'loss rows');
      const kind = rt.spec.loss.kind;
      if (kind === 'elbo') {
        dlogits = tempTensor(rec, [N, V], 'f32', 'dlogits');
        rt.encodeElbo(rec.encoder, { B, L, t, logits: logits.buffer, x0: x0.buffer, xt: bufs.aux.buffer, loss: rows.buffer, dlogits: dlogits.buffer, gradScale: scale });
        if (mb.valid) positionMask(rec, { mask: bufs.valid, loss: rows, grad: dlogits });
      } else {
        rec.upload(bufs.weights, ceWeights(rt.spec, t, B, L, mb.valid));
        crossEntropy(rec, { logits, targets: x0, weights: bufs.weights, loss: rows, dlogits: logits, scale });
        dlogits = logits;
      }
    } else {
      // AR: targets[b, l] = x0[b, l + 1]; the last position and padding have none.
      const tg = new Uint32Array(N);
      for (let b = 0; b < B; b++) {
        for (let l = 0; l < L; l++) {
          const i = b * L + l;
          const ok = l < L - 1 && (!mb.valid || mb.valid[i + 1]! > 0);
          tg[i] = ok ? mb.x0[i + 1]! : NO_TARGET;
        }
      }
      rec.upload(bufs.aux, tg);
      fwd = model.forward(rec, { B, L, ids: x0, dropoutSeed: plan.dropoutSeeds[k]!, ...keyMask });
      logits = fwd.logits;
      rows = tempTensor(rec, [N], 'f32', 'loss rows');
      crossEntropy(rec, { logits, targets: bufs.aux, loss: rows, dlogits: logits, scale, ignoreIndex: NO_TARGET });
      dlogits = logits;
    }
    const host = new Float32Array(N);
    rowsHost.push(host);
    rec.read(rows, host);
    model.backward(rec, fwd, dlogits);
    if (k < micro.length - 1) await rec.submit();
  }
  opt.encodeStep(rec, { lr: plan.lr });
  ema?.encodeUpdate(rec, plan.emaDecay);
  const stats = new Float32Array(3);
  rec.read(opt.stats, stats);
  await rec.submit();
  // The loss in float64 on the host: padding rows are 0, unreachable rows are left out and counted.
  let sum = 0;
  let unreachable = 0;
  for (const h of rowsHost) {
    for (const x of h) {
      if (Number.isFinite(x)) sum += x;
      else unreachable++;
    }
  }
  return { loss: sum * scale, gradNorm: stats[0]!, finite: stats[2] !== 0, unreachable, positions: total };
}

/** The number of real positions of an AR micro-batch that carry a target (for the AR loss mean). */
export function arTargets(m: MicroBatch, B: number, L: number): number {
  let n = 0;
  for (let b = 0; b < B; b++) for (let l = 0; l < L - 1; l++) if (!m.valid || m.valid[b * L + l + 1]! > 0) n++;
  return n;
}
