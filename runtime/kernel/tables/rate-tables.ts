// buildRateTables (kernel-contract.md): Lambda_c(t) and sigma_c(t) of every channel as host float64
// functions, tabulated where the Kernel IR has none (docs/math.md §3):
//   - a closed-form channel evaluates its IR expressions;
//   - under a mutual_info schedule, Lambda(t) is the mutual-information table and each channel is
//     its constant share of it (sigma from the monotone interpolant's derivative);
//   - a channel with sigma_c but no Lambda_c is integrated by adaptive Gauss-Kronrod on a uniform
//     grid and interpolated by a monotone cubic Hermite with the exact slopes sigma_c at the nodes.
// Tables are cached per key (spec source, parameter values, inputs, options).
import { createHash } from 'node:crypto';
import type { Expr, KernelSpec } from '../../../specs/types/kernel.ts';
import { evalExpr, num } from '../../../compiler/expr/eval.ts';
import type { SparseGraph } from './graph.ts';
import { integrate } from './integrate.ts';
import { monotoneCubic } from './monotone.ts';
import { mutualInfoSchedule, MutualInfoError, scheduleCurve, type ShareKernel } from './mutual-info.ts';
import type { MutualInfoReport, RateTables, RateTablesInputs, RateTablesOptions } from './types.ts';
import { MAX_VOCAB } from '../../../compiler/limits.ts';
import { checkGraphShape } from './graph.ts';

export { MutualInfoError };

export class RateTablesError extends Error {
  override readonly name = 'RateTablesError';
}

const DEFAULTS: Required<RateTablesOptions> = {
  miIntervals: 128,
  quadIntervals: 256,
  exactMaxV: 512,
  polishMaxV: 64,
  samples: 32,
  seed: 0x5eed,
  maxLambda: 512,
};

/** Absolute tolerance of each grid interval's quadrature. */
const QUAD_TOL = 1e-14;
/** Interpolation tolerance of a quadrature-tabulated channel between its nodes (relative to max(1, Lambda)). */
const TABLE_TOL = 1e-11;

const cache = new Map<string, RateTables>();

function usesT(e: Expr): boolean {
  switch (e.k) {
    case 'var':
      return e.name === 't';
    case 'num':
    case 'param':
      return false;
    case 'unary':
      return usesT(e.a);
    case 'binary':
      return usesT(e.a) || usesT(e.b);
    case 'call':
      return e.args.some(usesT);
    case 'if':
      return usesT(e.cond) || usesT(e.then) || usesT(e.else);
    default:
      return true;
  }
}

function hashArray(h: ReturnType<typeof createHash>, a: Float64Array | undefined): void {
  if (a) h.update(Buffer.from(a.buffer, a.byteOffset, a.byteLength));
  h.update('|');
}

function tablesKey(spec: KernelSpec, inputs: RateTablesInputs, o: Required<RateTablesOptions>): string {
  const h = createHash('sha256');
  h.update(JSON.stringify({ source: spec.source.sha256, name: spec.name, params: spec.params.map((p) => [p.name, p.value]), channels: spec.channels, schedule: spec.schedule, V: inputs.V, o }));
  hashArray(h, inputs.unigram);
  for (const name of Object.keys(inputs.graphs ?? {}).sort()) {
    const g = inputs.graphs![name]!;
    h.update(name);
    h.update(Buffer.from(g.rowPtr.buffer, g.rowPtr.byteOffset, g.rowPtr.byteLength));
    h.update(Buffer.from(g.col.buffer, g.col.byteOffset, g.col.byteLength));
    hashArray(h, g.w);
  }
  for (const name of Object.keys(inputs.dists ?? {}).sort()) {
    h.update(name);
    hashArray(h, inputs.dists![name]);
  }
  return h.digest('hex');
}

function mixGraphs(parts: Array<[SparseGraph, number]>): SparseGraph {
  const V = parts[0]![0].V;
  const rows = Array.from({ length: V }, () => new Map<number, number>());
  for (const [A, c] of parts) for (let i = 0; i < V; i++) for (let j = A.rowPtr[i]!; j < A.rowPtr[i + 1]!; j++) rows[i]!.set(A.col[j]!, (rows[i]!.get(A.col[j]!) ?? 0) + c * A.w[j]!);
  const rowPtr = new Int32Array(V + 1);
  rows.forEach((r, i) => (rowPtr[i + 1] = rowPtr[i]! + r.size));
  const col = new Int32Array(rowPtr[V]!);
  const w = new Float64Array(rowPtr[V]!);
  rows.forEach((r, i) => {
    let p = rowPtr[i]!;
    for (const [u, x] of [...r.entries()].sort((a, b) => a[0] - b[0])) {
      col[p] = u;
      w[p++] = x;
    }
  });
  return { V, rowPtr, col, w };
}

/**
 * A law over V tokens: V finite non-negative entries summing to 1. Refused otherwise, naming the
 * first bad entry (a sum that overflowed to inf, or was normalised from one, shows as such).
 */
export function checkLaw(p: ArrayLike<number>, V: number, what: string): void {
  if (p.length !== V) throw new RateTablesError(`${what} has ${p.length} entries, the vocabulary ${V} tokens`);
  let s = 0;
  for (let i = 0; i < V; i++) {
    const x = p[i]!;
    if (!(x >= 0 && x < Infinity)) throw new RateTablesError(`${what}: entry ${i} is ${x}; a probability is finite and >= 0`);
    s += x;
  }
  if (!(Math.abs(s - 1) <= 1e-4)) {
    throw new RateTablesError(`${what} sums to ${s}, not 1${s === 0 ? ' (no token has mass: were its values so large that their sum overflowed before normalising?)' : ''}`);
  }
}

/**
 * Non-negative weights (e.g. unigram counts from a file) as a law: entries checked (finite, >= 0,
 * named by index), scaled by their largest before summing so that values near 1e308 do not
 * overflow the sum. `what` names the source in messages (e.g. "'unigram.json' (the unigram law)").
 */
export function normaliseLaw(xs: ArrayLike<number>, what: string): Float64Array {
  let max = 0;
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i]!;
    if (!(x >= 0 && x < Infinity)) throw new RateTablesError(`${what}: entry ${i} is ${x}; weights must be finite and >= 0`);
    if (x > max) max = x;
  }
  if (!(max > 0)) throw new RateTablesError(`${what}: every entry is 0; a law needs a token with mass`);
  const out = Float64Array.from(xs, (x) => x / max);
  const z = out.reduce((a, b) => a + b, 0);
  for (let i = 0; i < out.length; i++) out[i]! /= z;
  return out;
}

export function buildRateTables(spec: KernelSpec, inputs: RateTablesInputs): RateTables {
  const o = { ...DEFAULTS, ...inputs.options };
  // Graphs checked before the key hashes them or a table loops over them.
  if (!(Number.isInteger(inputs.V) && inputs.V >= 1 && inputs.V <= MAX_VOCAB)) throw new RateTablesError(`the vocabulary V = ${inputs.V} is not a whole number in [1, ${MAX_VOCAB}] (docs/limits.md)`);
  for (const [name, g] of Object.entries(inputs.graphs ?? {})) checkGraphShape(g, inputs.V, `graph '${name}'`);
  if (inputs.unigram) checkLaw(inputs.unigram, inputs.V, 'the unigram law');
  for (const [name, p] of Object.entries(inputs.dists ?? {})) checkLaw(p, inputs.V, `the distribution '${name}'`);
  const key = tablesKey(spec, inputs, o);
  const hit = cache.get(key);
  if (hit) return hit;
  const params = Object.fromEntries(spec.params.map((p) => [p.name, typeof p.value === 'boolean' ? p.value : num(p.value)]));
  const ev = (e: Expr, t: number) => evalExpr(e, { t, params });
  const nC = spec.channels.length;
  const V = inputs.V;

  // The schedule: closed form, or the mutual-information table.
  let schedLambda: (t: number) => number;
  let schedSigma: (t: number) => number;
  let mi: MutualInfoReport | null = null;
  let miCurve: { t: Float64Array; Lambda: Float64Array; sigma: Float64Array } | null = null;
  if (spec.schedule.kind === 'mutual_info' || spec.schedule.Lambda === null) {
    if (spec.schedule.kind !== 'mutual_info') throw new RateTablesError(`schedule '${spec.schedule.kind}' has no Lambda(t) and is not mutual_info`);
    const t0 = performance.now();
    const shareKernel = toShareKernel(spec, inputs, ev);
    const p = inputs.unigram ?? new Float64Array(V).fill(1 / V);
    const eps = spec.schedule.args.eps ?? 1e-3;
    const tab = mutualInfoSchedule(shareKernel, p, {
      eps,
      intervals: o.miIntervals,
      exactMaxV: o.exactMaxV,
      polishMaxV: o.polishMaxV,
      samples: o.samples,
      seed: o.seed,
      maxLambda: o.maxLambda,
    });
    const curve = scheduleCurve(eps, tab.t, tab.Lambda);
    miCurve = { t: tab.t, Lambda: tab.Lambda, sigma: tab.t.map((x) => curve.slope(x)) };
    let maxAbsError = 0;
    tab.nmi.forEach((y, i) => (maxAbsError = Math.max(maxAbsError, Math.abs(y - (1 - (1 - eps) * tab.t[i]!)))));
    mi = {
      method: tab.method,
      samples: tab.samples,
      entropy: tab.entropy,
      t: tab.t,
      Lambda: tab.Lambda,
      nmi: tab.nmi,
      stdErr: tab.stdErr,
      maxAbsError,
      polished: tab.polished,
      seconds: (performance.now() - t0) / 1000,
    };
    schedLambda = (t) => curve.value(t);
    schedSigma = (t) => curve.slope(t);
  } else {
    const L = spec.schedule.Lambda;
    const s = spec.schedule.sigma;
    schedLambda = (t) => ev(L, t);
    schedSigma = (t) => {
      if (!s) throw new RateTablesError('the schedule has Lambda(t) but no sigma(t)');
      return ev(s, t);
    };
  }

  const tabulated: boolean[] = [];
  const grids: Array<{ t: Float64Array; Lambda: Float64Array; sigma: Float64Array } | null> = [];
  const Lfun: Array<(t: number) => number> = [];
  const Sfun: Array<(t: number) => number> = [];
  spec.channels.forEach((ch, c) => {
    const share = ch.share;
    if (ch.Lambda) {
      const L = ch.Lambda;
      Lfun.push((t) => ev(L, t));
      const s = ch.sigma;
      Sfun.push(s ? (t) => ev(s, t) : (t) => numericSlope((x) => ev(L, x), t));
      tabulated.push(false);
      grids.push(null);
      return;
    }
    if (miCurve && share && !usesT(share)) {
      const k = ev(share, 0);
      Lfun.push((t) => k * schedLambda(t));
      Sfun.push((t) => k * schedSigma(t));
      tabulated.push(true);
      const g = miCurve;
      grids.push({ t: g.t, Lambda: g.Lambda.map((x) => k * x), sigma: g.sigma.map((x) => k * x) });
      return;
    }
    // Quadrature of sigma_c on an adaptive grid.
    const sigma: (t: number) => number = ch.sigma
      ? ((e: Expr) => (t: number) => ev(e, t))(ch.sigma)
      : share && miCurve
        ? ((e: Expr) => (t: number) => ev(e, t) * schedSigma(t))(share)
        : (() => {
            throw new RateTablesError(`channel ${c} has neither Lambda_c nor sigma_c`);
          })();
    const L0 = share && spec.schedule.Lambda ? ev(share, 0) * schedLambda(0) : 0;
    const { ts, Ls, ss } = adaptiveTable(sigma, L0, o.quadIntervals, c);
    const m = monotoneCubic(ts, Ls, ss);
    Lfun.push((t) => m.value(clamp01(t)));
    Sfun.push(ch.sigma ? sigma : (t) => m.slope(clamp01(t)));
    tabulated.push(true);
    grids.push({ t: ts, Lambda: Ls, sigma: ss });
  });

  const check = (c: number) => {
    if (!Number.isInteger(c) || c < 0 || c >= nC) throw new RangeError(`channel index ${c} is outside 0..${nC - 1}`);
  };
  const tables: RateTables = {
    key,
    channels: nC,
    Lambda: (c, t) => (check(c), Lfun[c]!(t)),
    sigma: (c, t) => (check(c), Sfun[c]!(t)),
    scheduleLambda: schedLambda,
    scheduleSigma: schedSigma,
    tabulated,
    grid: (c) => (check(c), grids[c]!),
    mutualInfo: mi,
  };
  cache.set(key, tables);
  return tables;
}

/**
 * Nodes for a channel tabulated by quadrature: start from `intervals` uniform steps and halve a step
 * while the cubic Hermite (exact slopes sigma at the nodes) misses the quadrature value at its midpoint
 * by more than TABLE_TOL (relative to max(1, Lambda)); so a rate that blows up near t = 1 gets fine steps.
 */
function adaptiveTable(sigma: (t: number) => number, L0: number, intervals: number, c: number): { ts: Float64Array; Ls: Float64Array; ss: Float64Array } {
  const ts: number[] = [0];
  const Ls: number[] = [L0];
  const ss: number[] = [sigma(0)];
  const hermiteMid = (h: number, y0: number, y1: number, d0: number, d1: number) => 0.5 * (y0 + y1) + (h * (d0 - d1)) / 8;
  for (let i = 0; i < intervals; i++) {
    const stack: Array<[number, number, number]> = [[i / intervals, (i + 1) / intervals, 0]];
    while (stack.length) {
      const [a, b, depth] = stack.pop()!;
      const ya = Ls[Ls.length - 1]!;
      const sa = ss[ss.length - 1]!;
      const m = 0.5 * (a + b);
      const ym = ya + integrate(sigma, a, m, QUAD_TOL);
      const yb = ym + integrate(sigma, m, b, QUAD_TOL);
      const sb = sigma(b);
      if (Math.abs(hermiteMid(b - a, ya, yb, sa, sb) - ym) > TABLE_TOL * Math.max(1, Math.abs(yb)) && depth < 30) {
        stack.push([m, b, depth + 1], [a, m, depth + 1]);
        continue;
      }
      ts.push(b);
      Ls.push(yb);
      ss.push(sb);
    }
  }
  ss.forEach((x, i) => {
    if (!(x >= 0)) throw new RateTablesError(`channel ${c} has a negative rate ${x} at t = ${ts[i]}`);
  });
  return { ts: Float64Array.from(ts), Ls: Float64Array.from(Ls), ss: Float64Array.from(ss) };
}

function clamp01(t: number): number {
  return Math.min(1, Math.max(0, t));
}

/** Central difference, only for a channel whose IR has Lambda_c but lacks sigma_c (a malformed spec). */
function numericSlope(f: (t: number) => number, t: number): number {
  const h = 1e-6;
  const a = Math.max(0, t - h), b = Math.min(1, t + h);
  return (f(b) - f(a)) / (b - a);
}

/** The kernel as constant shares of the schedule, which mutual_info needs (docs/math.md §3.2). */
function toShareKernel(spec: KernelSpec, inputs: RateTablesInputs, ev: (e: Expr, t: number) => number): ShareKernel {
  const V = inputs.V;
  let sm = 0;
  let sa = 0;
  const resets: ShareKernel['resets'] = [];
  const jumps: Array<[SparseGraph, number]> = [];
  spec.channels.forEach((ch, c) => {
    if (!ch.share) throw new RateTablesError(`mutual_info: channel ${c} has its own rate; every channel must be a share of the schedule`);
    if (usesT(ch.share)) throw new RateTablesError(`mutual_info: channel ${c}'s weight changes with t; mutual_info needs constant weights`);
    const s = ev(ch.share, 0);
    const op = ch.operator;
    if (op.op === 'mask') sm += s;
    else if (op.op === 'reset') {
      const d = op.dist;
      const pi = d.kind === 'uniform' ? new Float64Array(V).fill(1 / V) : d.kind === 'unigram' ? inputs.unigram : inputs.dists?.[d.file];
      if (!pi) throw new RateTablesError(`mutual_info: channel ${c} resets to ${d.kind === 'file' ? `'${d.file}'` : 'the unigram'}, which was not given`);
      resets.push({ share: s, pi });
    } else {
      const g = inputs.graphs?.[op.graph];
      if (!g) throw new RateTablesError(`mutual_info: graph '${op.graph}' was not given`);
      sa += s;
      jumps.push([g, s]);
    }
  });
  const A = jumps.length === 0 || sa === 0 ? null : jumps.length === 1 ? jumps[0]![0] : mixGraphs(jumps.map(([g, s]) => [g, s / sa]));
  return { V, sm, resets, sa, A };
}
