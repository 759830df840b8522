// Exact laws of whole sequences for the oracle tests (docs/sampling.md, "What the tests show"):
//
// * the law of the exact reverse process started from the kernel's prior,
//     law(x0) = sum_{x1} prior(x1) p(x0 | x1),   p(x0 | x1) = p_data(x0) q_1(x1 | x0) / q_1(x1),
//   with prior(x1) = prod_i p_1(x1^i) (docs/math.md §2.6); it equals the data law only where q_1
//   forgets x0;
// * the law of the ideal (float64) ancestral or tau-leaping sampler driven by the oracle on the
//   same grid as the GPU sampler: a distribution over the S^L states propagated step by step, each
//   position moving independently given the whole sequence (the factorisation the sampler makes).
import type { KernelSpec } from '../../specs/types/kernel.ts';
import type { SparseGraph } from '../kernel/index.ts';
import { applyRules } from '../kernel/rules.ts';
import { Oracle, OracleError, seqIndex, seqOf } from './oracle.ts';
import { eulerLaw, gridTime } from './steps.ts';

/** prod_i prior(x^i) over S^L (index base S). */
export function productLaw(prior: ArrayLike<number>, L: number): Float64Array {
  const S = prior.length;
  const out = new Float64Array(S ** L);
  for (let k = 0; k < out.length; k++) {
    const x = seqOf(k, S, L);
    let p = 1;
    for (let i = 0; i < L; i++) p *= prior[x[i]!]!;
    out[k] = p;
  }
  return out;
}

/** The law over V^L of x0 drawn by the exact reverse process from x1 ~ prod_i prior (over S per position). */
export function exactReverseLaw(oracle: Oracle, prior: ArrayLike<number>): Float64Array {
  const { V, L, S } = oracle;
  if (prior.length !== S) throw new OracleError(`the prior has ${prior.length} entries, the kernel ${S} states`);
  const start = productLaw(prior, L);
  const out = new Float64Array(V ** L);
  const seqs = oracle.law.seqs;
  for (let k = 0; k < start.length; k++) {
    const p1 = start[k]!;
    if (p1 === 0) continue;
    const w = oracle.weights(1, seqOf(k, S, L));
    for (let j = 0; j < w.length; j++) out[seqIndex(seqs[j]!, V)]! += p1 * w[j]!;
  }
  return out;
}

/** A law over S^L split into its real part over V^L and the mass on sequences with a [MASK]. */
export function realPart(law: ArrayLike<number>, S: number, V: number, L: number): { law: Float64Array; masked: number } {
  const out = new Float64Array(V ** L);
  let masked = 0;
  for (let k = 0; k < law.length; k++) {
    const p = law[k]!;
    if (p === 0) continue;
    const x = seqOf(k, S, L);
    if (x.some((v) => v >= V)) masked += p;
    else out[seqIndex(x, V)]! += p;
  }
  return { law: out, masked };
}

export interface SamplerLawOptions {
  predictor: 'ancestral' | 'tau_leap';
  steps: number;
  /** 'sample': the last step is the plug-in reverse step to s = 0 whatever the predictor; 'none': the predictor's own step. */
  denoise?: 'none' | 'sample';
  /** The oracle's denoiser (Oracle.denoiser): 'elbo' (default) or 'posterior'. */
  target?: 'elbo' | 'posterior';
  /** Apply these sampler rules to the oracle's logits (log p) before every step, count[v] from the current sequence. */
  rules?: { spec: KernelSpec; graphs?: Record<string, SparseGraph> };
}

function softmaxInPlace(l: Float64Array): Float64Array {
  let mx = -Infinity;
  for (const x of l) mx = Math.max(mx, x);
  let z = 0;
  for (let i = 0; i < l.length; i++) {
    l[i] = Math.exp(l[i]! - mx);
    z += l[i]!;
  }
  for (let i = 0; i < l.length; i++) l[i] = l[i]! / z;
  return l;
}

/**
 * The law over S^L (index base S) of the ideal sampler after `steps` steps on the grid
 * t_k = 1 - k / steps from x1 ~ prod_i prior: per step, every position moves independently by the
 * plug-in reverse step p(x_s^i | x_t) (ancestral, docs/math.md §2.3) or the Euler step on the
 * reverse rates (tau_leap, §2.5), with p_hat the oracle's denoiser (by default the ELBO's minimiser,
 * Oracle.elboOptimal, for which both steps are exact per position).
 */
export function samplerLaw(oracle: Oracle, prior: ArrayLike<number>, o: SamplerLawOptions): Float64Array {
  const { V, L, S, ref } = oracle;
  if (!(Number.isInteger(o.steps) && o.steps >= 1)) throw new OracleError(`steps must be a whole number >= 1, got ${o.steps}`);
  let cur = productLaw(prior, L);
  const probs = new Float64Array(V);
  const law = new Float64Array(S);
  const lists: Array<{ y: Int32Array; p: Float64Array; n: number }> = Array.from({ length: L }, () => ({ y: new Int32Array(S), p: new Float64Array(S), n: 0 }));
  for (let k = 0; k < o.steps; k++) {
    const t = gridTime(k, o.steps);
    const s = gridTime(k + 1, o.steps);
    const kind = k === o.steps - 1 && o.denoise === 'sample' ? 'ancestral' : o.predictor;
    // Per-step tables: rows q_s(. | v) (resp. q_t) and P_{s->t}(x_s, x_t) (resp. the generator).
    const rowTime = kind === 'ancestral' ? s : t;
    const Q = Array.from({ length: V }, (_, v) => ref.row(rowTime, v));
    const T = kind === 'ancestral' ? Array.from({ length: S }, (_, xs) => ref.transitionRow(s, t, xs)) : null;
    const G = kind === 'tau_leap' ? ref.denseGenerator(t) : null;
    const rates = new Float64Array(S);
    const b = new Float64Array(S);
    const next = new Float64Array(cur.length);
    for (let idx = 0; idx < cur.length; idx++) {
      const mass = cur[idx]!;
      if (mass === 0) continue;
      const x = seqOf(idx, S, L);
      const post = oracle.denoiser(o.target ?? 'elbo', t, x);
      for (let i = 0; i < L; i++) {
        for (let v = 0; v < V; v++) probs[v] = post[i * V + v]!;
        if (o.rules) {
          const logits = Float64Array.from(probs, Math.log);
          probs.set(softmaxInPlace(applyRules(o.rules.spec, logits, x, { t, s, step: k, graphs: o.rules.graphs })));
        }
        b.fill(0);
        for (let v = 0; v < V; v++) {
          const pv = probs[v]!;
          if (pv === 0) continue;
          const q = Q[v]!;
          for (let y = 0; y < S; y++) b[y]! += pv * q[y]!;
        }
        const z = x[i]!;
        if (kind === 'ancestral') {
          let tot = 0;
          for (let y = 0; y < S; y++) {
            law[y] = b[y]! * T![y]![z]!;
            tot += law[y]!;
          }
          for (let y = 0; y < S; y++) law[y] = law[y]! / tot;
        } else {
          let out = 0;
          for (let y = 0; y < S; y++) {
            if (y === z) continue;
            const q = G![y * S + z]!;
            rates[y] = q === 0 ? 0 : (q * b[y]!) / b[z]!;
            out += rates[y]!;
          }
          rates[z] = -out;
          law.set(eulerLaw(rates, z, t - s));
        }
        const li = lists[i]!;
        li.n = 0;
        for (let y = 0; y < S; y++) {
          if (law[y]! > 0) {
            li.y[li.n] = y;
            li.p[li.n++] = law[y]!;
          }
        }
      }
      spread(next, lists, 0, 0, mass, S);
    }
    cur = next;
  }
  return cur;
}

/** Adds mass * prod_i p_i(y^i) to out[y] for every y in the product of the lists. */
function spread(out: Float64Array, lists: ReadonlyArray<{ y: Int32Array; p: Float64Array; n: number }>, i: number, at: number, mass: number, S: number): void {
  const li = lists[i]!;
  const last = i === lists.length - 1;
  for (let j = 0; j < li.n; j++) {
    const m = mass * li.p[j]!;
    const k = at * S + li.y[j]!;
    if (last) out[k]! += m;
    else spread(out, lists, i + 1, k, m, S);
  }
}
