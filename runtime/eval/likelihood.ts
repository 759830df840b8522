// Test likelihood (docs/eval.md, "Likelihood"): the NELBO of held-out rows with the prior term,
//
//   NELBO(x0) = integral_0^1 E_{x_t ~ q_t(. | x0)} [ sum_i L(x0, x_t, t)_i ] dt  +  sum_i KL(q_1(. | x0_i) || p_1)
//
// (docs/math.md §2.4, §2.6), by one protocol for every kernel so that numbers are comparable. The
// time integral is taken in v = sqrt(t) (t = v^2, dt = 2 v dv): a position is corrupted near t = 0
// with probability ~ Lambda(t) ~ t and then scores ~ 1/t, so in t a draw's second moment grows like
// 1/t (a Monte Carlo estimate in t has infinite variance, and the first quadrature nodes carry huge
// noise); the weight 2v makes it bounded, and puts more nodes near t = 0, where the integrand of a
// uniform or graph kernel has its log singularity. Two estimators, each from per-row float64 sums:
//
//   quadrature    Gauss-Legendre with G nodes in v, D draws of x_t per (row, node) with fixed seeds;
//   monteCarlo    stratified in v: for each row, K strata v_k = (k + U_rk) / K, one x_t each.
//
// Error bars: the standard error across rows of the ratio (row totals / row tokens). The Monte Carlo
// estimate is unbiased; the quadrature adds a discretisation bias that the paired difference
// (same rows, `agreement`) exposes. The AR twin: the exact next-token NLL per predicted token.
import type { Recorder } from '../gpu/index.ts';
import { Recorder as GpuRecorder } from '../gpu/index.ts';
import type { KernelRuntime } from '../kernel/index.ts';
import type { TransformerModel } from '../nn/models/index.ts';
import { Batcher, mulberry32, tokenizeCorpus } from '../data/index.ts';
import { cacheDirOf, mix } from '../train/index.ts';
import { arRowNll, elboSums, priorTermsOf, rowTokens, type ElboBatchView, type ElboPair, type HeldOut } from '../train/heldout.ts';
import type { LoadedRun } from '../train/load.ts';
import { EvaluationError } from './factors/errors.ts';
import { gaussLegendreOn, ratioEstimate } from './factors/stats.ts';

/** Salts of the protocol's streams (distinct from the trainer's). */
const SALT = { quadrature: 0x71, monteCarlo: 0x72, strata: 0x73 } as const;

export type TimeVariable = 'sqrt' | 't';

export interface LikelihoodOptions {
  /** Gauss-Legendre nodes (default 16) and x_t draws per (row, node) (default 1). */
  nodes?: number;
  draws?: number;
  /** Monte Carlo strata per row (default 16). */
  strata?: number;
  /** The integration variable: 'sqrt' (v = sqrt(t), default) or 't'. */
  variable?: TimeVariable;
  /** Which estimators to run (default both). */
  estimators?: readonly ('quadrature' | 'monteCarlo')[];
  /** Sequences per GPU batch (default 16). */
  B?: number;
  seed?: number;
}

export interface LikelihoodEstimate {
  /** Nats per token (diffusion part + prior) and its standard error across rows. */
  nats: number;
  se: number;
  bits: number;
  seBits: number;
  /** exp(nats): a perplexity bound (DiT) or the perplexity (AR); and exp(nats -/+ 2 se). */
  ppl: number;
  pplInterval: [number, number];
  /** DiT: the time integral and the prior term, nats/token. */
  diffusion?: number;
  prior?: number;
  /** (row, time) evaluations of the integrand. */
  evaluations?: number;
}

export interface LikelihoodRecord {
  model: 'dit' | 'ar';
  split: 'test' | 'validation';
  rows: number;
  tokens: number;
  protocol: { variable: TimeVariable; nodes: number; draws: number; strata: number; seed: number; B: number } | null;
  quadrature: LikelihoodEstimate | null;
  monteCarlo: LikelihoodEstimate | null;
  /** quadrature - monteCarlo on the same rows: the difference (nats/token), its paired standard error, and z. */
  agreement: { difference: number; se: number; z: number } | null;
  /** The mean integrand (nats/token) at each quadrature node: the loss curve over t. */
  curve: { t: number[]; weight: number[]; integrand: number[] } | null;
  /** AR: the exact NLL. */
  exact: LikelihoodEstimate | null;
}

export const LIKELIHOOD_DEFAULTS = { nodes: 16, draws: 1, strata: 16, variable: 'sqrt' as TimeVariable, B: 16, seed: 0x1ce };

/** Nodes t_j and weights W_j of the time integral (integral f(t) dt ~= sum_j W_j f(t_j)) in `variable`. */
export function timeRule(nodes: number, variable: TimeVariable): { t: Float64Array; w: Float64Array } {
  const r = gaussLegendreOn(nodes, 0, 1);
  if (variable === 't') return { t: r.x, w: r.w };
  return { t: Float64Array.from(r.x, (v) => v * v), w: Float64Array.from(r.x, (v, j) => 2 * v * r.w[j]!) };
}

/** Time and weight of a point v in [0, 1] of `variable` (the Jacobian dt/dv). */
function fromVariable(v: number, variable: TimeVariable): { t: number; w: number } {
  return variable === 't' ? { t: v, w: 1 } : { t: v * v, w: 2 * v };
}

export function estimate(y: Float64Array, n: Float64Array, parts?: { diffusion: number; prior: number; evaluations: number }): LikelihoodEstimate {
  const e = ratioEstimate(y, n);
  return {
    nats: e.mean,
    se: e.se,
    bits: e.mean / Math.LN2,
    seBits: e.se / Math.LN2,
    ppl: Math.exp(e.mean),
    pplInterval: [Math.exp(e.mean - 2 * e.se), Math.exp(e.mean + 2 * e.se)],
    ...(parts ?? {}),
  };
}

export interface DiffusionContext {
  readonly rec: Recorder;
  readonly model: TransformerModel;
  readonly rt: KernelRuntime;
}

/** Both estimators of the DiT's NELBO on `data`. */
export async function diffusionLikelihood(ctx: DiffusionContext, data: HeldOut, o: LikelihoodOptions = {}): Promise<Omit<LikelihoodRecord, 'split' | 'exact'>> {
  const { rec, model, rt } = ctx;
  const p = { ...LIKELIHOOD_DEFAULTS, ...definedOf(o) };
  const est = new Set(o.estimators ?? ['quadrature', 'monteCarlo']);
  for (const [k, v] of [['nodes', p.nodes], ['draws', p.draws], ['strata', p.strata], ['B', p.B]] as const) {
    if (!(Number.isInteger(v) && v >= 1)) throw new EvaluationError(`likelihood: ${k} must be a whole number >= 1, not ${v}`);
  }
  if (p.variable !== 'sqrt' && p.variable !== 't') throw new EvaluationError(`likelihood: variable is 'sqrt' or 't', not '${String(p.variable)}'`);
  const n = rowTokens(data);
  const R = data.rows;
  const kl = await priorTermsOf(rt, data);
  const prior = new Float64Array(R);
  for (let r = 0; r < R; r++) for (let l = 0; l < data.L; l++) if (!data.valid || data.valid[r * data.L + l]) prior[r]! += kl[r * data.L + l]!;
  const sums = (pairs: ElboPair[], salt: number) =>
    elboSums(rec, model, rt, data, pairs, { B: p.B, seed: (batch) => mix(p.seed, batch, salt) }).then((s) => checkFinite(s, pairs));
  const totalTokens = n.reduce((a, b) => a + b, 0);
  const priorPer = prior.reduce((a, b) => a + b, 0) / totalTokens;

  let quad: LikelihoodEstimate | null = null;
  let yq: Float64Array | null = null;
  let curve: LikelihoodRecord['curve'] = null;
  if (est.has('quadrature')) {
    const rule = timeRule(p.nodes, p.variable);
    // Node-major: a batch holds one or two times.
    const pairs: ElboPair[] = [];
    for (let j = 0; j < p.nodes; j++) for (let d = 0; d < p.draws; d++) for (let r = 0; r < R; r++) pairs.push({ row: r, t: rule.t[j]! });
    const s = await sums(pairs, SALT.quadrature);
    yq = Float64Array.from(prior);
    const atNode = new Float64Array(p.nodes);
    pairs.forEach((q, i) => {
      const j = Math.floor(i / (R * p.draws));
      yq![q.row]! += (rule.w[j]! / p.draws) * s[i]!;
      atNode[j]! += s[i]!;
    });
    const diffusion = Array.from(atNode).reduce((a, x, j) => a + (rule.w[j]! * x) / p.draws, 0) / totalTokens;
    quad = estimate(yq, n, { diffusion, prior: priorPer, evaluations: pairs.length });
    curve = { t: Array.from(rule.t), weight: Array.from(rule.w), integrand: Array.from(atNode, (x) => x / p.draws / totalTokens) };
  }

  let mc: LikelihoodEstimate | null = null;
  let ym: Float64Array | null = null;
  if (est.has('monteCarlo')) {
    const K = p.strata;
    const pairs: ElboPair[] = [];
    const weight: number[] = [];
    for (let k = 0; k < K; k++) {
      for (let r = 0; r < R; r++) {
        // One uniform per (row, stratum), in (0, 1): t = 0 exactly is never drawn.
        const u = mulberry32(mix(p.seed, r, k, SALT.strata), { open: true })();
        const { t, w } = fromVariable((k + u) / K, p.variable);
        pairs.push({ row: r, t });
        weight.push(w / K);
      }
    }
    const s = await sums(pairs, SALT.monteCarlo);
    ym = Float64Array.from(prior);
    let diff = 0;
    pairs.forEach((q, i) => {
      ym![q.row]! += weight[i]! * s[i]!;
      diff += weight[i]! * s[i]!;
    });
    mc = estimate(ym, n, { diffusion: diff / totalTokens, prior: priorPer, evaluations: pairs.length });
  }

  let agreement: LikelihoodRecord['agreement'] = null;
  if (yq && ym) {
    const d = ratioEstimate(Float64Array.from(yq, (y, r) => y - ym![r]!), n);
    agreement = { difference: d.mean, se: d.se, z: d.se > 0 ? d.mean / d.se : 0 };
  }
  return {
    model: 'dit',
    rows: R,
    tokens: totalTokens,
    protocol: { variable: p.variable, nodes: p.nodes, draws: p.draws, strata: p.strata, seed: p.seed, B: p.B },
    quadrature: quad,
    monteCarlo: mc,
    agreement,
    curve,
  };
}

/** The AR twin's exact NLL per predicted token, with its standard error across rows. */
export async function arLikelihood(ctx: { rec: Recorder; model: TransformerModel }, data: HeldOut, o: { B?: number } = {}): Promise<{ exact: LikelihoodEstimate; tokens: number }> {
  const { nll, tokens } = await arRowNll(ctx.rec, ctx.model, data, { B: o.B ?? LIKELIHOOD_DEFAULTS.B });
  return { exact: estimate(nll, tokens), tokens: tokens.reduce((a, b) => a + b, 0) };
}

/**
 * `rows` held-out rows of a run's split, in order (the first rows of the split, as validation
 * takes them). 'test' falls back to 'validation' when the corpus has no test split (the record says which).
 */
export async function heldOutRows(run: LoadedRun, split: 'test' | 'validation', rows: number, log: (l: string) => void = () => {}): Promise<{ data: HeldOut; split: 'test' | 'validation' }> {
  const { spec, baseDir, data } = run;
  const L = spec.data.length!;
  const take = async (s: 'test' | 'validation') => {
    const tf = await tokenizeCorpus(data.corpus, data.tokenizer, s, { cacheDir: cacheDirOf(spec, baseDir), log });
    const b = new Batcher(tf, { B: 1, L, mode: spec.data.mode!, seed: spec.seed!, eos: data.tokenizer.eos, pad: data.tokenizer.pad });
    const e = b.evalRows(rows);
    return { x0: e.x0, valid: e.valid, rows: e.rows, L };
  };
  if (split === 'validation') return { data: await take('validation'), split };
  try {
    return { data: await take('test'), split: 'test' };
  } catch (err) {
    log(`no test rows (${(err as Error).message}); scoring the validation split instead`);
    return { data: await take('validation'), split: 'validation' };
  }
}

/** The likelihood record of a loaded run: both estimators for a DiT, the exact NLL for the AR twin. */
export async function runLikelihood(
  run: LoadedRun, o: LikelihoodOptions & { split?: 'test' | 'validation'; rows?: number; rec?: Recorder; log?: (l: string) => void } = {},
): Promise<LikelihoodRecord> {
  const rows = o.rows ?? 32;
  const { data, split } = await heldOutRows(run, o.split ?? 'test', rows, o.log);
  const rec = o.rec ?? new GpuRecorder(run.gpu);
  const B = o.B ?? LIKELIHOOD_DEFAULTS.B;
  if (!run.rt) {
    const { exact, tokens } = await arLikelihood({ rec, model: run.model }, data, { B });
    return { model: 'ar', split, rows: data.rows, tokens, protocol: null, quadrature: null, monteCarlo: null, agreement: null, curve: null, exact };
  }
  return { ...(await diffusionLikelihood({ rec, model: run.model, rt: run.rt }, data, { ...o, B })), split, exact: null };
}

function checkFinite(s: Float64Array, pairs: readonly ElboPair[]): Float64Array {
  const bad = s.findIndex((x) => !Number.isFinite(x));
  if (bad >= 0) {
    const q = pairs[bad]!;
    throw new EvaluationError(
      `held-out row ${q.row} at t = ${q.t}: the ELBO integrand is not finite (${s[bad]}): some x_t is unreachable from its x0 under the kernel's hop truncation, or the model's logits overflow`,
    );
  }
  return s;
}

function definedOf<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export type { ElboBatchView, HeldOut };
