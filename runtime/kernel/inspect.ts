// Every kernel quantity for one position, computed on the GPU (`dlmk inspect`, docs/inspect.md).
import { KernelRuntimeError } from './errors.ts';
import type { KernelRuntime } from './runtime.ts';
import { MAX_HOPS } from '../../compiler/limits.ts';

export interface InspectRequest {
  t: number;
  s: number;
  x0: number;
  /** A state: a token, or V for [MASK]. */
  xt: number;
  /** Model logits over the V tokens. */
  logits: Float32Array;
  /** Hop truncation for every quantity (default: the spec's rule at each time). */
  H?: number;
  /** Apply the sampler's rules to the logits before the reverse step: the sequence's current tokens (for count[v]) and the step. */
  rules?: { tokens: number[]; step: number };
}

/** The JSON `dlmk inspect` prints (docs/inspect.md). Arrays over states have the mask state last when the kernel has one. */
export interface InspectResult {
  kernel: string;
  V: number;
  S: number;
  hasMask: boolean;
  t: number;
  s: number;
  x0: number;
  xt: number;
  /** Hops of the row at t and the contract's truncation bound e^{-L_m - L_u} P(Pois(L_a) > H). */
  H: number;
  truncationBound: number;
  /** Hops of P_s and of P_{s->t} used by the reverse step. */
  Hs: number;
  Hst: number;
  lambdas: number[];
  row: number[];
  column: number[];
  posterior: number[];
  reverse: number[];
  /** With rules: p_hat after the sampler's rules, over V (the law the reverse step uses); else null. */
  ruled: number[] | null;
  mixture: { stay: number; walk: number; reset: number; unmask: number };
  rates: number[];
  elbo: { value: number; byChannel: number[] } | null;
  grad: number[] | null;
  prior: number[];
  priorKL: number;
  notes: string[];
}

/** softmax over the V logits (an -inf logit has probability 0). */
function softmax(l: ArrayLike<number>): number[] {
  let mx = -Infinity;
  for (let i = 0; i < l.length; i++) mx = Math.max(mx, l[i]!);
  const e = Array.from(l, (x) => Math.exp(x - mx));
  const z = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / z);
}

function fromMixture(V: number, S: number, xt: number, w: ArrayLike<number>, walk: ArrayLike<number>, b: ArrayLike<number>): number[] {
  const out = new Array<number>(S).fill(0);
  for (let y = 0; y < V; y++) out[y] = w[1]! * walk[y]! + (w[2]! + w[3]!) * b[y]!;
  out[xt] = out[xt]! + w[0]!;
  return out;
}

export async function inspectGpu(rt: KernelRuntime, q: InspectRequest): Promise<InspectResult> {
  const { V, S } = rt;
  const notes: string[] = [];
  for (const [name, b] of Object.entries(rt.builtGraphs)) for (const n of b.report.notes ?? []) notes.push(`graph '${name}': ${n}`);
  if (!(Number.isInteger(q.x0) && q.x0 >= 0 && q.x0 < V)) throw new KernelRuntimeError(`x0 = ${q.x0} is not a token (0..${V - 1})`);
  if (!(Number.isInteger(q.xt) && q.xt >= 0 && q.xt < S)) throw new KernelRuntimeError(`xt = ${q.xt} is not a state (0..${S - 1})`);
  if (!(q.s >= 0 && q.s <= q.t && q.t <= 1)) throw new KernelRuntimeError(`times must satisfy 0 <= s <= t <= 1, got s = ${q.s}, t = ${q.t}`);
  if (q.logits.length !== V) throw new KernelRuntimeError(`logits have ${q.logits.length} values, the vocabulary ${V}`);
  if (q.H !== undefined && !(Number.isInteger(q.H) && q.H >= 0 && q.H <= MAX_HOPS)) throw new KernelRuntimeError(`the hop truncation H = ${q.H} must be a whole number in [0, ${MAX_HOPS}] (docs/limits.md; inspect's --H)`);
  const co = rt.transition(0, q.t, q.H);
  const row = Array.from(await rt.rows([q.x0], q.t, { H: q.H }));
  const column = Array.from(await rt.columns([q.xt], q.t, { H: q.H }));
  if (rt.st.hasMask) column.push(q.xt === V ? 1 : 0);
  const onehot = new Float32Array(V).fill(-1e30);
  onehot[q.x0] = 0;
  const post = await rt.reverseMixture(onehot, [q.xt], q.t, q.s, { H: q.H });
  // The reverse step samples from the logits after the sampler's rules when asked (the ELBO and
  // the rates, training quantities, read the model's logits as they are).
  let revLogits = q.logits;
  let ruled: number[] | null = null;
  if (q.rules) {
    const L = Math.max(1, q.rules.tokens.length);
    const tiled = new Float32Array(L * V);
    for (let i = 0; i < L; i++) tiled.set(q.logits, i * V);
    revLogits = (await rt.applyRules(tiled, q.rules.tokens.length ? q.rules.tokens : [q.xt], { L, t: q.t, s: q.s, step: q.rules.step })).slice(0, V);
    ruled = softmax(revLogits);
    notes.push(`the reverse step uses the logits after the sampler's rules (count[v] from ${q.rules.tokens.length ? `${q.rules.tokens.length} tokens` : 'x_t alone'}, step ${q.rules.step})`);
  }
  const mix = await rt.reverseMixture(revLogits, [q.xt], q.t, q.s, { H: q.H });
  const rates = Array.from(await rt.rates(q.logits, [q.xt], q.t, { H: q.H }));
  let elbo: InspectResult['elbo'] = null;
  let grad: number[] | null = null;
  if (row[q.xt]! > 0) {
    const e = await rt.elbo(q.logits, [q.x0], [q.xt], q.t, { H: q.H });
    elbo = { value: e.loss[0]!, byChannel: byChannel(rt, q.t, q.xt, e.parts) };
    grad = Array.from(e.grad);
  } else notes.push(`x_t = ${q.xt} has probability 0 under q_t(. | x0 = ${q.x0}): the ELBO integrand is undefined there`);
  const prior = Array.from(await rt.prior());
  const [kl] = await rt.priorKL([q.x0]);
  return {
    kernel: rt.spec.name,
    V,
    S,
    hasMask: rt.st.hasMask,
    t: q.t,
    s: q.s,
    x0: q.x0,
    xt: q.xt,
    H: co.H,
    truncationBound: co.bound,
    Hs: rt.transition(0, q.s, q.H).H,
    Hst: rt.transition(q.s, q.t, q.H, false).H,
    lambdas: Array.from(rt.co.lambdas(q.t)),
    row,
    column,
    posterior: fromMixture(V, S, q.xt, post.weights, post.walk, post.b),
    reverse: fromMixture(V, S, q.xt, mix.weights, mix.walk, mix.b),
    ruled,
    mixture: { stay: mix.weights[0]!, walk: mix.weights[1]!, reset: mix.weights[2]!, unmask: mix.weights[3]! },
    rates,
    elbo,
    grad,
    prior,
    priorKL: kl!,
    notes,
  };
}

/**
 * The ELBO's (mask, reset, jump) parts split over channels: mask channels by their rate, reset
 * channels by sigma_c pi_c(x_t), jump channels by their rate (exact when they share one graph).
 */
export function byChannel(rt: KernelRuntime, t: number, xt: number, parts: ArrayLike<number>): number[] {
  const st = rt.st;
  const out = new Array<number>(st.spec.channels.length).fill(0);
  const sig = st.spec.channels.map((_, c) => rt.co.rates.sigma(c, t));
  const split = (cs: readonly number[], part: number, weight: (c: number) => number) => {
    const tot = cs.reduce((a, c) => a + weight(c), 0);
    if (tot > 0) for (const c of cs) out[c] = (part * weight(c)) / tot;
  };
  split(st.maskChannels, parts[0]!, (c) => sig[c]!);
  if (xt < rt.V) {
    split(st.resetChannels, parts[1]!, (c) => {
      const gi = st.resets.findIndex((g) => g.channels.includes(c));
      return sig[c]! * rt.resetDists[gi]![xt]!;
    });
  }
  split(st.jumpChannels, parts[2]!, (c) => sig[c]!);
  return out;
}
