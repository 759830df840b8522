// Posterior difficulty (docs/eval.md, "The three factors"): on a grid of times, for held-out rows
// with x_t ~ q_t(. | x0), the entropy of the model's per-position posterior over x0 and the model's
// loss at t. On real data the model stands in for the unknown posterior, so these are estimates:
//
//   entropy              H of the model's p(x0_i | x_t) = p_hat_i(x0) q_t(x_t^i | x0) normalised
//                        (docs/math.md §2.3's plug-in; p_hat itself for `ce` losses, which train it
//                        to be that posterior);
//   crossEntropy         -log of it at the true x0_i: in expectation an upper bound on the true
//                        conditional entropy H(x0_i | x_t) (Gibbs' inequality);
//   predictionEntropy    H(p_hat_i), p_hat = softmax(logits), the raw x0-prediction, and
//   predictionCrossEntropy  -log p_hat_i(x0_i): for `loss elbo` its target is p(x0_i | x_t^{-i}),
//                        the posterior without position i's own noisy token, and where the loss
//                        does not constrain it (a mask kernel's visible positions) it is arbitrary:
//                        read it over the corrupted positions (`corrupted*`);
//   loss                 the ELBO integrand at t, nats/token: the loss curve over t, whose integral
//                        plus the prior term is the NELBO (runtime/eval/likelihood.ts);
//
// means over valid positions with standard errors across rows, and the entropies over the corrupted
// positions only (x_t != x0). The synthetic source's exact posterior entropy H(x0_i | x_t) and loss
// floor (runtime/eval/synthetic) fill the same columns (entropy, loss) per t.
import type { Recorder } from '../../gpu/index.ts';
import type { KernelRuntime } from '../../kernel/index.ts';
import type { TransformerModel } from '../../nn/models/index.ts';
import { tempTensor } from '../../nn/index.ts';
import { mix } from '../../train/index.ts';
import { elboSums, rowTokens, type ElboPair, type HeldOut } from '../../train/heldout.ts';
import { EvaluationError } from './errors.ts';
import { ratioEstimate } from './stats.ts';

export interface PosteriorPoint {
  t: number;
  /** Fraction of valid positions with x_t != x0. */
  corrupted: number;
  /** Of the model's p(x0_i | x_t), nats: entropy (with its standard error across rows) and cross-entropy at x0. */
  entropy: number;
  entropySe: number;
  crossEntropy: number;
  /** Of the raw prediction p_hat. */
  predictionEntropy: number;
  predictionCrossEntropy: number;
  /** Entropies over the corrupted positions only (null when none was). */
  corruptedEntropy: number | null;
  corruptedPredictionEntropy: number | null;
  /** The ELBO integrand at t, nats/token, and its standard error across rows. */
  loss: number;
  lossSe: number;
}

export interface PosteriorRecord {
  rows: number;
  tokens: number;
  /** What p_hat is trained towards: p(x0_i | x_t^{-i}) (loss elbo) or p(x0_i | x_t) (ce losses). */
  predictionTarget: 'x0 | x_t without position i' | 'x0 | x_t';
  points: PosteriorPoint[];
}

export interface PosteriorOptions {
  /** Times (default the midpoints of 10 equal intervals: 0.05, 0.15, ..., 0.95); the points come in ascending t. */
  times?: readonly number[];
  B?: number;
  seed?: number;
}

/** Entropy H(softmax(l)) and -log softmax(l)[k] of one row of logits, float64 (-Infinity logits are zero probabilities). */
export function softmaxStats(l: ArrayLike<number>, at: number, V: number, k: number): { entropy: number; nll: number } {
  let mx = -Infinity;
  for (let v = 0; v < V; v++) mx = Math.max(mx, l[at + v]!);
  if (!Number.isFinite(mx)) throw new EvaluationError(`a row of logits has no finite maximum (${mx})`);
  let z = 0;
  let zl = 0;
  for (let v = 0; v < V; v++) {
    const d = l[at + v]! - mx;
    if (d === -Infinity) continue;
    const e = Math.exp(d);
    z += e;
    zl += e * d;
  }
  const lz = Math.log(z);
  // H = log Z - E_p[d], with d the logit minus its max.
  return { entropy: lz - zl / z, nll: lz - (l[at + k]! - mx) };
}

/** The same from probabilities `w` (unnormalised, >= 0): entropy of w / sum w and -log of entry k's share. */
export function weightStats(w: ArrayLike<number>, at: number, V: number, k: number): { entropy: number; nll: number } {
  let z = 0;
  for (let v = 0; v < V; v++) z += w[at + v]!;
  if (!(z > 0)) throw new EvaluationError('a posterior with no mass (every weight is 0)');
  let h = 0;
  for (let v = 0; v < V; v++) {
    const p = w[at + v]! / z;
    if (p > 0) h -= p * Math.log(p);
  }
  return { entropy: h, nll: -Math.log(w[at + k]! / z) };
}

export async function measurePosterior(
  ctx: { rec: Recorder; model: TransformerModel; rt: KernelRuntime }, data: HeldOut, o: PosteriorOptions = {},
): Promise<PosteriorRecord> {
  const { rec, model, rt } = ctx;
  // Ascending, so that the pairs are in time order already (elboSums may batch them by time).
  const times = [...(o.times ?? Array.from({ length: 10 }, (_, j) => (j + 0.5) / 10))].sort((a, b) => a - b);
  for (const t of times) if (!(t > 0 && t <= 1)) throw new EvaluationError(`posterior: a time must be in (0, 1], not ${t}`);
  const V = rt.V;
  const L = data.L;
  const R = data.rows;
  const ce = rt.spec.loss.kind !== 'elbo';
  const pairs: ElboPair[] = [];
  for (const t of times) for (let r = 0; r < R; r++) pairs.push({ row: r, t });
  // Per pair (sums over its valid positions): prediction entropy, posterior entropy, their CEs,
  // corrupted positions, and the two entropies over the corrupted ones.
  const acc = Array.from({ length: 7 }, () => new Float64Array(pairs.length));
  const sums = await elboSums(rec, model, rt, data, pairs, {
    B: o.B ?? 16,
    seed: (batch) => mix(o.seed ?? 0x90, batch, 0x91),
    inspect: (v) => {
      const N = v.B * v.L;
      const logits = new Float32Array(N * V);
      const xt = new Uint32Array(N);
      const x0 = new Uint32Array(N);
      v.rec.read(v.logits, logits);
      v.rec.read(v.xt, xt);
      v.rec.read(v.x0, x0);
      const col = ce ? null : new Float32Array(N * V);
      if (col) {
        // q_t(x_t^i | x0) for every x0: the column that turns p(x0_i | x_t^{-i}) into p(x0_i | x_t).
        const out = tempTensor(v.rec, [N, V], 'f32', 'posterior columns');
        rt.encodeRowsOrColumns(v.rec.encoder, 'columns', { B: v.B, L: v.L, t: v.t, tokens: v.xt.buffer, out: out.buffer });
        v.rec.read(out, col);
      }
      return () => {
        const w = new Float64Array(V);
        for (let i = 0; i < v.nb; i++) {
          const q = v.first + i;
          const r = pairs[q]!.row;
          for (let l = 0; l < L; l++) {
            if (data.valid && !data.valid[r * L + l]) continue;
            const p = i * L + l;
            const a = softmaxStats(logits, p * V, V, x0[p]!);
            let b = a;
            if (col) {
              // p_hat(x0) q_t(x_t | x0) in float64, p_hat from the logits less their max.
              let mx = -Infinity;
              for (let k = 0; k < V; k++) mx = Math.max(mx, logits[p * V + k]!);
              for (let k = 0; k < V; k++) w[k] = Math.exp(logits[p * V + k]! - mx) * col[p * V + k]!;
              b = weightStats(w, 0, V, x0[p]!);
            }
            acc[0]![q]! += a.entropy;
            acc[1]![q]! += b.entropy;
            acc[2]![q]! += a.nll;
            acc[3]![q]! += b.nll;
            if (xt[p] !== x0[p]) {
              acc[4]![q]!++;
              acc[5]![q]! += a.entropy;
              acc[6]![q]! += b.entropy;
            }
          }
        }
      };
    },
  });
  const n = rowTokens(data);
  const tokens = n.reduce((x, y) => x + y, 0);
  const points = times.map((t, j): PosteriorPoint => {
    const at = (a: Float64Array) => a.subarray(j * R, (j + 1) * R);
    const H = ratioEstimate(at(acc[1]!), n);
    const loss = ratioEstimate(at(sums), n);
    const nc = at(acc[4]!);
    const corrupted = nc.reduce((x, y) => x + y, 0);
    return {
      t,
      corrupted: corrupted / tokens,
      entropy: H.mean,
      entropySe: H.se,
      crossEntropy: ratioEstimate(at(acc[3]!), n).mean,
      predictionEntropy: ratioEstimate(at(acc[0]!), n).mean,
      predictionCrossEntropy: ratioEstimate(at(acc[2]!), n).mean,
      corruptedEntropy: corrupted > 0 ? ratioEstimate(at(acc[6]!), nc).mean : null,
      corruptedPredictionEntropy: corrupted > 0 ? ratioEstimate(at(acc[5]!), nc).mean : null,
      loss: loss.mean,
      lossSe: loss.se,
    };
  });
  return { rows: R, tokens, predictionTarget: ce ? 'x0 | x_t' : 'x0 | x_t without position i', points };
}
