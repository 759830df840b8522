// Validation during training (docs/training.md, "Validation"): the NELBO of held-out rows on a
// fixed grid of times with fixed corruption seeds, so that passes at different steps are
// comparable, summed in float64 on the host. For a DiT:
//
//   NELBO/token ~= (1/G) sum_j mean over positions of L(x0, x_{t_j}, t_j)  +  mean KL(q_1(. | x0) || p_1),
//
// t_j the midpoints of G equal intervals of (0, 1] (a midpoint rule for the time integral; one draw
// of x_t per row and time), L the kernel's ELBO integrand (docs/math.md §2.4) and the prior term of
// §2.6. For the AR twin: the exact next-token NLL per predicted token. Both with the EMA weights
// when the run keeps an EMA, dropout off.
//
// elboSums (the integrand summed per (row, time) pair) and arRowNll (the NLL per row) are the
// building blocks: validation sums them, and runtime/eval/likelihood.ts uses the per-row sums for
// its quadrature and Monte Carlo estimates with error bars.
import type { Recorder } from '../gpu/index.ts';
import type { KernelRuntime } from '../kernel/index.ts';
import { allocTensor, crossEntropy, freeTensor, tempTensor, type EmaWeights, type Tensor } from '../nn/index.ts';
import { NO_TARGET, type TransformerModel } from '../nn/models/index.ts';
import { modelTimes } from '../denoiser/index.ts';
import { midpointGrid, mix, SALT } from './schedule.ts';

export interface HeldOut {
  /** u32 rows [R * L], in order. */
  readonly x0: Uint32Array;
  /** 1/0 per position (sentence mode) or null. */
  readonly valid: Float32Array | null;
  readonly rows: number;
  readonly L: number;
}

export interface Likelihood {
  /** Nats per token: the bound (diffusion part + prior), or the AR NLL. */
  nats: number;
  bits: number;
  /** exp(nats): a perplexity bound (DiT) or the perplexity (AR). */
  ppl: number;
  /** DiT: the time integral part and the prior part (nats/token). */
  diffusion?: number;
  prior?: number;
  /** Tokens scored. */
  tokens: number;
}

/** Copies the EMA into the parameters for `fn`, then restores them (bit for bit). */
export async function withEma<T>(rec: Recorder, model: TransformerModel, ema: EmaWeights | null, fn: () => Promise<T>): Promise<T> {
  if (!ema) return fn();
  const reg = model.registry;
  const backup = allocTensor(rec.pool, [reg.size], 'f32', 'params backup');
  rec.copy(reg.params, backup, reg.size);
  rec.copy(ema.values, reg.params, reg.size);
  await rec.submit();
  try {
    return await fn();
  } finally {
    rec.copy(backup, reg.params, reg.size);
    await rec.submit({ wait: true });
    freeTensor(rec.pool, backup);
  }
}

/** The prior term of each held-out token, KL(q_1(. | x0) || p_1), cached per runtime. */
const priorCache = new WeakMap<KernelRuntime, Map<Uint32Array, Float64Array>>();
async function priorTerms(rt: KernelRuntime, x0: Uint32Array): Promise<Float64Array> {
  let m = priorCache.get(rt);
  if (!m) priorCache.set(rt, (m = new Map()));
  let p = m.get(x0);
  if (!p) {
    // KL depends on x0 only: compute once per distinct token.
    const distinct = [...new Set(x0)];
    const kl = await rt.priorKL(Uint32Array.from(distinct));
    const byTok = new Map(distinct.map((v, i) => [v, kl[i]!]));
    p = Float64Array.from(x0, (v) => byTok.get(v)!);
    m.set(x0, p);
  }
  return p;
}

/** One evaluation of the ELBO integrand: a held-out row at a time t (one draw of x_t per pair). */
export interface ElboPair {
  readonly row: number;
  readonly t: number;
}

/** What an `inspect` hook of elboSums sees of a batch: record reads into `rec`; the returned function runs after the submit. */
export interface ElboBatchView {
  readonly rec: Recorder;
  /** Batch shape (sequences B, the first `nb` real) and the pairs' index of sequence 0. */
  readonly B: number;
  readonly L: number;
  readonly nb: number;
  readonly first: number;
  readonly t: Float64Array;
  readonly logits: Tensor;
  readonly x0: Tensor;
  readonly xt: Tensor;
}

/** Real (valid) positions of each held-out row. */
export function rowTokens(data: HeldOut): Float64Array {
  const n = new Float64Array(data.rows);
  for (let r = 0; r < data.rows; r++) {
    if (!data.valid) {
      n[r] = data.L;
      continue;
    }
    for (let l = 0; l < data.L; l++) n[r]! += data.valid[r * data.L + l]! ? 1 : 0;
  }
  return n;
}

/** The truncation bound of held-out scoring (docs/math.md §2.2): the hops are exact to this. */
export const HELD_OUT_TOL = 1e-12;

/**
 * The ELBO integrand L(x0, x_t, t) (docs/math.md §2.4) summed over the valid positions of each
 * pair's row, with x_t ~ q_t(. | x0) drawn on the GPU: pairs in batches of B sequences in order of
 * their times (a stable sort, so that a batch spans few times), batch k corrupted with seed
 * `seed(k)` (a draw is fixed by the seed, B and the pairs). Float64 host sums of the f32 integrand.
 *
 * Held-out scoring is exact in the hops: each batch runs with H = the smallest hop count whose
 * truncation bound is below HELD_OUT_TOL at its latest time (docs/math.md §2.2), not the kernel's
 * adaptive rule, so no drawn x_t lies beyond the truncation (the exact path simulation can reach
 * any state) and the bound is the kernel's. `inspect` may read the batch's logits and x_t.
 */
export async function elboSums(
  rec: Recorder, model: TransformerModel, rt: KernelRuntime, data: HeldOut, pairs: readonly ElboPair[],
  o: { B: number; seed: (batch: number) => number; inspect?: (v: ElboBatchView) => () => void },
): Promise<Float64Array> {
  const { L } = data;
  const V = model.cfg.vocabSize;
  const B = o.B;
  const N = B * L;
  const out = new Float64Array(pairs.length);
  const order = Array.from(pairs.keys()).sort((a, b) => pairs[a]!.t - pairs[b]!.t || a - b);
  const x0T = allocTensor(rec.pool, [N], 'u32', 'val x0');
  const xtT = allocTensor(rec.pool, [N], 'u32', 'val xt');
  const validT = allocTensor(rec.pool, [N], 'f32', 'val valid');
  const host = new Float32Array(N);
  try {
    for (let q0 = 0, batch = 0; q0 < pairs.length; q0 += B, batch++) {
      const nb = Math.min(B, pairs.length - q0);
      const x0 = new Uint32Array(N);
      const valid = data.valid ? new Float32Array(N).fill(1) : null;
      // Padding sequences take the batch's first time: no extra time slot for the kernel to plan.
      const t = new Float64Array(B).fill(pairs[order[q0]!]!.t);
      for (let i = 0; i < nb; i++) {
        const { row: r, t: ti } = pairs[order[q0 + i]!]!;
        if (!(Number.isInteger(r) && r >= 0 && r < data.rows)) throw new RangeError(`pair ${order[q0 + i]}: row ${r} is not a held-out row (0..${data.rows - 1})`);
        x0.set(data.x0.subarray(r * L, (r + 1) * L), i * L);
        valid?.set(data.valid!.subarray(r * L, (r + 1) * L), i * L);
        t[i] = ti;
      }
      rec.upload(x0T, x0);
      if (valid) rec.upload(validT, valid);
      rt.encodeCorrupt(rec.encoder, { B, L, t, x0: x0T.buffer, out: xtT.buffer, seed: o.seed(batch) });
      const fwd = model.forward(rec, { B, L, ids: xtT, time: modelTimes(rt, t), ...(valid ? { keyMask: validT } : {}) });
      const loss = tempTensor(rec, [N], 'f32', 'val loss');
      const dl = tempTensor(rec, [N, V], 'f32', 'val dlogits');
      const H = rt.jump ? rt.exactHops(Math.max(...t), HELD_OUT_TOL) : undefined;
      rt.encodeElbo(rec.encoder, { B, L, t, logits: fwd.logits.buffer, x0: x0T.buffer, xt: xtT.buffer, loss: loss.buffer, dlogits: dl.buffer, ...(H !== undefined ? { H } : {}) });
      rec.read(loss, host);
      const after = o.inspect?.({ rec, B, L, nb, first: q0, t, logits: fwd.logits, x0: x0T, xt: xtT });
      await rec.submit();
      after?.();
      for (let i = 0; i < nb; i++) {
        const r = pairs[order[q0 + i]!]!.row;
        let sum = 0;
        for (let l = 0; l < L; l++) {
          const w = data.valid ? data.valid[r * L + l]! : 1;
          if (w) sum += host[i * L + l]!;
        }
        out[order[q0 + i]!] = sum;
      }
    }
  } finally {
    freeTensor(rec.pool, x0T);
    freeTensor(rec.pool, xtT);
    freeTensor(rec.pool, validT);
  }
  return out;
}

/** The prior term KL(q_1(. | x0) || p_1) of every held-out position (docs/math.md §2.6), cached per runtime and rows. */
export async function priorTermsOf(rt: KernelRuntime, data: HeldOut): Promise<Float64Array> {
  return priorTerms(rt, data.x0);
}

/** The DiT's NELBO on the held-out rows, in batches of B sequences (each a (row, time) pair). */
export async function diffusionNelbo(
  rec: Recorder, model: TransformerModel, rt: KernelRuntime, data: HeldOut, o: { B: number; grid: number; seed: number },
): Promise<Likelihood> {
  const { L, rows } = data;
  const grid = midpointGrid(o.grid);
  const pairs: ElboPair[] = [];
  for (let r = 0; r < rows; r++) for (let j = 0; j < o.grid; j++) pairs.push({ row: r, t: grid[j]! });
  const sums = await elboSums(rec, model, rt, data, pairs, { B: o.B, seed: (batch) => mix(o.seed, batch, SALT.validation) });
  let sum = 0;
  for (const s of sums) sum += s;
  const kl = await priorTerms(rt, data.x0);
  let prior = 0;
  let tokens = 0;
  for (let i = 0; i < rows * L; i++) {
    const w = data.valid ? data.valid[i]! : 1;
    if (!w) continue;
    prior += kl[i]!;
    tokens++;
  }
  const diffusion = sum / o.grid / tokens;
  const priorPer = prior / tokens;
  return finish(diffusion + priorPer, tokens, { diffusion, prior: priorPer });
}

/**
 * The AR model's next-token NLL of each held-out row (summed over its predicted tokens) and the
 * number of predicted tokens per row.
 */
export async function arRowNll(rec: Recorder, model: TransformerModel, data: HeldOut, o: { B: number }): Promise<{ nll: Float64Array; tokens: Float64Array }> {
  const { L, rows } = data;
  const B = o.B;
  const N = B * L;
  const x0T = allocTensor(rec.pool, [N], 'u32', 'val x0');
  const tgT = allocTensor(rec.pool, [N], 'u32', 'val targets');
  const validT = allocTensor(rec.pool, [N], 'f32', 'val valid');
  const host = new Float32Array(N);
  const nll = new Float64Array(rows);
  const tokens = new Float64Array(rows);
  try {
    for (let r0 = 0; r0 < rows; r0 += B) {
      const nb = Math.min(B, rows - r0);
      const x0 = new Uint32Array(N);
      const tg = new Uint32Array(N).fill(NO_TARGET);
      x0.set(data.x0.subarray(r0 * L, (r0 + nb) * L));
      for (let i = 0; i < nb * L; i++) {
        const l = i % L;
        const ok = l < L - 1 && (!data.valid || data.valid[r0 * L + i + 1]! > 0);
        if (ok) tg[i] = x0[i + 1]!;
      }
      rec.upload(x0T, x0);
      rec.upload(tgT, tg);
      if (data.valid) {
        const valid = new Float32Array(N).fill(1);
        valid.set(data.valid.subarray(r0 * L, (r0 + nb) * L));
        rec.upload(validT, valid);
      }
      const fwd = model.forward(rec, { B, L, ids: x0T, ...(data.valid ? { keyMask: validT } : {}) });
      const loss = tempTensor(rec, [N], 'f32', 'val loss');
      crossEntropy(rec, { logits: fwd.logits, targets: tgT, loss, ignoreIndex: NO_TARGET });
      rec.read(loss, host);
      await rec.submit();
      for (let i = 0; i < nb * L; i++) {
        if (tg[i] === NO_TARGET) continue;
        const r = r0 + Math.floor(i / L);
        nll[r]! += host[i]!;
        tokens[r]!++;
      }
    }
  } finally {
    freeTensor(rec.pool, x0T);
    freeTensor(rec.pool, tgT);
    freeTensor(rec.pool, validT);
  }
  return { nll, tokens };
}

/** The AR model's next-token NLL on the held-out rows (predicted tokens only). */
export async function arNll(rec: Recorder, model: TransformerModel, data: HeldOut, o: { B: number }): Promise<Likelihood> {
  const { nll, tokens } = await arRowNll(rec, model, data, o);
  let sum = 0;
  let n = 0;
  for (let r = 0; r < data.rows; r++) {
    sum += nll[r]!;
    n += tokens[r]!;
  }
  return finish(sum / n, n, {});
}

function finish(nats: number, tokens: number, parts: { diffusion?: number; prior?: number }): Likelihood {
  return { nats, bits: nats / Math.LN2, ppl: Math.exp(nats), ...parts, tokens };
}

export type { Tensor };
