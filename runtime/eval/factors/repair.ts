// Exposure bias and repair (docs/eval.md, "The three factors"). For held-out rows x0 and a time t:
//
//   repair   m positions of each row (a seeded choice) get x_t ~ q_t(. | x0), the others stay clean;
//            the sampler runs from that state at t down to 0 with the trained denoiser; reported:
//            the fraction of the m positions equal to x0 at the end (and of those q_t changed), and
//            of the clean positions left equal to x0 (a mask kernel never touches them; a uniform or
//            graph kernel may, for better or worse);
//   drift    the same from x_t ~ q_t(. | x0) at every position (a draw of the forward marginal),
//            following each visited x_s with per-position statistics against their expectation
//            under the forward process at s, E f(x_s) = sum_y q_s(y | x0_i) f(y) (rt.rows, exact):
//              masked     1{x_s = [MASK]} (mask kernels; the reverse step's mask law does not
//                         depend on the model, so this one checks the sampler, not the model);
//              frequency  log u(x_s), u the run's unigram law (0 at [MASK]): drift towards frequent
//                         (> 0) or rare (< 0) tokens;
//              differ     1{x_s != x0}.
//            masked and frequency are statistics of x_s alone: when x0 is drawn from the data law
//            and the sampler runs the exact reverse process, x_s has the forward marginal at every s
//            and their drift is zero in expectation, so a trained denoiser's drift is its exposure
//            bias, accumulated along its own trajectory. differ also involves x0: even the exact
//            reverse process, not knowing x0, misses it where the posterior is uncertain, so its
//            drift adds the posterior's irreducible uncertainty to the exposure bias (zero only for a
//            denoiser that knows x0).
//
// The sampler's rules are off (the model's own law), `denoise sample` (the plug-in posterior at the
// last step) unless overridden; padding positions (sentence mode) are clamped and not counted.
import type { KernelRuntime } from '../../kernel/index.ts';
import type { Denoiser } from '../../denoiser/index.ts';
import { mulberry32Words, permutation } from '../../data/index.ts';
import { mix } from '../../train/index.ts';
import { rowTokens, type HeldOut } from '../../train/heldout.ts';
import { sampleTokens, type SamplerOverrides } from '../../sample/index.ts';
import { EvaluationError } from './errors.ts';
import { ratioEstimate } from './stats.ts';

export interface RepairOptions {
  /** Start times (default 0.25, 0.5, 0.75). */
  times?: readonly number[];
  /** Corrupted positions per row for the repair run (default a quarter of L, at least 1). */
  m?: number;
  /** Reverse steps from t to 0 (default 32). */
  steps?: number;
  /** Also the drift run from a full forward draw (default true). */
  drift?: boolean;
  /** Sampler overrides (default: rules off, denoise sample). */
  sampler?: SamplerOverrides;
  seed?: number;
  /** Keep each repair run's start and end tokens in the record (tests; large for big runs). */
  keepTokens?: boolean;
}

export interface RepairPoint {
  t: number;
  m: number;
  /** Fraction of the m corrupted positions that q_t actually changed (x_t != x0). */
  changed: number;
  /** Fraction of the m positions equal to x0 at the end, with its standard error across rows. */
  restored: number;
  restoredSe: number;
  /** The same among the changed positions only (null when none changed). */
  restoredChanged: number | null;
  /** Fraction of the clean positions still equal to x0 at the end (null when m covers the row). */
  keptClean: number | null;
  /** With keepTokens: the start state and the end tokens, [rows * L]. */
  tokens?: { start: number[]; end: number[] };
}

/** One drift statistic per visited time: its row mean, its forward expectation, the paired difference's standard error across rows. */
export interface DriftStat {
  value: number[];
  expected: number[];
  se: number[];
  /** max over s of |value - expected|, and of |value - expected| / se. */
  maxAbs: number;
  maxZ: number;
}

export interface DriftCurve {
  t: number;
  /** The visited times s (the start t first, 0 last). */
  s: number[];
  differ: DriftStat;
  /** Mask kernels only. */
  masked: DriftStat | null;
  /** When the unigram law is known. */
  frequency: DriftStat | null;
  /** Fraction of positions equal to x0 at the end (reconstruction). */
  restored: number;
}

export interface RepairRecord {
  rows: number;
  steps: number;
  repair: RepairPoint[];
  drift: DriftCurve[];
  seconds: number;
}

export interface RepairContext {
  readonly rt: KernelRuntime;
  readonly denoiser: Denoiser;
  /** The unigram law of the data (the drift's frequency statistic); none: no frequency statistic. */
  readonly unigram?: ArrayLike<number>;
}

/** The sampler from `start` at t with a trace; padding clamped. */
async function runFrom(ctx: RepairContext, data: HeldOut, start: Uint32Array, t: number, steps: number, seed: number, over: SamplerOverrides): Promise<Uint32Array[]> {
  const clamp = data.valid ? Int32Array.from(data.valid, (v, i) => (v ? -1 : data.x0[i]!)) : undefined;
  const r = await sampleTokens({ rules: [], denoise: 'sample', ...over, rt: ctx.rt, denoiser: ctx.denoiser, B: data.rows, L: data.L, seed, steps, trace: true, start: { tokens: start, t }, ...(clamp ? { clamp } : {}) });
  return r.trace!;
}

/** The chosen positions of each row: the first m of a seeded permutation of its valid positions. */
export function chosenPositions(data: HeldOut, m: number, seed: number): Uint8Array {
  const chosen = new Uint8Array(data.rows * data.L);
  for (let r = 0; r < data.rows; r++) {
    const valid: number[] = [];
    for (let l = 0; l < data.L; l++) if (!data.valid || data.valid[r * data.L + l]) valid.push(l);
    const perm = permutation(valid.length, mulberry32Words(mix(seed, r, 0xa1)));
    for (let j = 0; j < Math.min(m, valid.length); j++) chosen[r * data.L + valid[perm[j]!]!] = 1;
  }
  return chosen;
}

export async function measureRepair(ctx: RepairContext, data: HeldOut, o: RepairOptions = {}): Promise<RepairRecord> {
  const t0 = performance.now();
  const { rt } = ctx;
  const times = o.times ?? [0.25, 0.5, 0.75];
  const steps = o.steps ?? 32;
  const m = o.m ?? Math.max(1, Math.round(data.L / 4));
  const seed = o.seed ?? 0xa11;
  if (!(Number.isInteger(m) && m >= 1 && m <= data.L)) throw new EvaluationError(`repair: m must be a whole number in 1..${data.L} (L), not ${m}`);
  for (const t of times) if (!(t > 0 && t <= 1)) throw new EvaluationError(`repair: a start time must be in (0, 1], not ${t}`);
  const N = data.rows * data.L;
  const valid = (i: number) => !data.valid || data.valid[i]! > 0;
  const repair: RepairPoint[] = [];
  const drift: DriftCurve[] = [];
  for (const [ti, t] of times.entries()) {
    const xt = await rt.corrupt(data.x0, t, { L: data.L, seed: mix(seed, ti, 0xa2) });
    // Repair: q_t at the m chosen positions only.
    const chosen = chosenPositions(data, m, mix(seed, ti));
    const start = Uint32Array.from(data.x0, (x, i) => (chosen[i] ? xt[i]! : x));
    const trace = await runFrom(ctx, data, start, t, steps, mix(seed, ti, 0xa3), o.sampler ?? {});
    const end = trace[trace.length - 1]!;
    const hit = new Float64Array(data.rows);
    const cnt = new Float64Array(data.rows);
    let changed = 0, restoredChanged = 0, clean = 0, keptClean = 0;
    for (let i = 0; i < N; i++) {
      if (!valid(i)) continue;
      const ok = end[i] === data.x0[i];
      if (chosen[i]) {
        const r = Math.floor(i / data.L);
        cnt[r]!++;
        if (ok) hit[r]!++;
        if (start[i] !== data.x0[i]) {
          changed++;
          if (ok) restoredChanged++;
        }
      } else {
        clean++;
        if (ok) keptClean++;
      }
    }
    const est = ratioEstimate(hit, cnt);
    repair.push({
      t, m, changed: changed / est.tokens, restored: est.mean, restoredSe: est.se,
      restoredChanged: changed > 0 ? restoredChanged / changed : null, keptClean: clean > 0 ? keptClean / clean : null,
      ...(o.keepTokens ? { tokens: { start: Array.from(start), end: Array.from(end) } } : {}),
    });
    if (o.drift ?? true) drift.push(await driftFrom(ctx, data, xt, t, steps, mix(seed, ti, 0xa4), o.sampler ?? {}));
  }
  return { rows: data.rows, steps, repair, drift, seconds: (performance.now() - t0) / 1000 };
}

/** The drift run from a full forward draw `xt` at t. */
async function driftFrom(ctx: RepairContext, data: HeldOut, xt: Uint32Array, t: number, steps: number, seed: number, over: SamplerOverrides): Promise<DriftCurve> {
  const { rt } = ctx;
  const trace = await runFrom(ctx, data, xt, t, steps, seed, over);
  const { L, rows: R } = data;
  const V = rt.V;
  const S = rt.S;
  const n = rowTokens(data);
  const logU = ctx.unigram ? Float64Array.from({ length: S }, (_, y) => (y < V ? Math.log(ctx.unigram![y]!) : 0)) : null;
  // Statistics f(state) as columns: differ needs x0, the others the state only.
  const stats: Array<{ name: 'differ' | 'masked' | 'frequency'; f: (y: number, x0: number) => number }> = [{ name: 'differ', f: (y, x0) => (y !== x0 ? 1 : 0) }];
  if (rt.spec.hasMask) stats.push({ name: 'masked', f: (y) => (y === V ? 1 : 0) });
  if (logU) stats.push({ name: 'frequency', f: (y) => logU[y]! });
  const distinct = [...new Set(data.x0)];
  const idx = new Map(distinct.map((v, j) => [v, j]));
  const out = stats.map(() => ({ value: [] as number[], expected: [] as number[], se: [] as number[], maxAbs: 0, maxZ: 0 }));
  const s: number[] = [];
  // The grid's states only (self_correct's passes after the grid are not on it).
  for (let k = 0; k <= Math.min(steps, trace.length - 1); k++) {
    // The sampler's grid from t: t_k = t (1 - k / steps), the last exactly 0.
    const sk = k === steps ? 0 : t * (1 - k / steps);
    s.push(sk);
    const x = trace[k]!;
    // E f(x_s) per distinct x0 under q_s(. | x0) (at s = 0, q_0 = delta_x0).
    const q = sk > 0 ? await rt.rows(Uint32Array.from(distinct), sk) : null;
    stats.forEach((st, si) => {
      const ev = Float64Array.from(distinct, (x0, j) => {
        if (!q) return st.f(x0, x0);
        let e = 0;
        for (let y = 0; y < S; y++) e += q[j * S + y]! * st.f(y, x0);
        return e;
      });
      const val = new Float64Array(R);
      const exp = new Float64Array(R);
      for (let i = 0; i < R * L; i++) {
        if (data.valid && !data.valid[i]) continue;
        const r = Math.floor(i / L);
        const x0 = data.x0[i]!;
        val[r]! += st.f(x[i]!, x0);
        exp[r]! += ev[idx.get(x0)!]!;
      }
      const v = ratioEstimate(val, n);
      const d = ratioEstimate(Float64Array.from(val, (y, r) => y - exp[r]!), n);
      const o = out[si]!;
      o.value.push(v.mean);
      o.expected.push(v.mean - d.mean);
      o.se.push(d.se);
      o.maxAbs = Math.max(o.maxAbs, Math.abs(d.mean));
      if (d.se > 0) o.maxZ = Math.max(o.maxZ, Math.abs(d.mean) / d.se);
    });
  }
  const end = trace[trace.length - 1]!;
  let ok = 0;
  for (let i = 0; i < R * L; i++) if ((!data.valid || data.valid[i]) && end[i] === data.x0[i]) ok++;
  const pick = (name: string) => {
    const j = stats.findIndex((st) => st.name === name);
    return j < 0 ? null : out[j]!;
  };
  return { t, s, differ: pick('differ')!, masked: pick('masked'), frequency: pick('frequency'), restored: ok / n.reduce((a, b) => a + b, 0) };
}
