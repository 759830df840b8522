// A compiled spec resolved against its inputs: channels grouped by operator, Lambda_c(t) and
// sigma_c(t) evaluated from the IR (or the rate tables), and the two structural facts the closed
// forms rest on (docs/math.md §1.4): whether the jump channels act through one fixed mixture graph
// (hop expansion), and whether the non-mask channels advance in fixed proportions (closed-form reset
// weights).
import type { KernelSpec } from '../../specs/types/kernel.ts';
import { evalExpr, num } from '../../compiler/expr/eval.ts';
import type { SparseGraph } from '../../runtime/kernel/tables/graph.ts';
import type { RateTables } from '../../runtime/kernel/tables/types.ts';
import { transposeGraph } from '../graph/transpose.ts';
import type { KernelInputs } from './types.ts';
import { ReferenceKernelError } from './errors.ts';
import { MAX_VOCAB } from '../../compiler/limits.ts';
import { checkGraphShape } from '../../runtime/kernel/tables/graph.ts';

export interface ResetChannel {
  c: number;
  pi: Float64Array;
}

export interface JumpChannel {
  c: number;
  graph: string;
  A: SparseGraph;
  AT: SparseGraph;
}

/** Relative tolerance of the proportionality checks on the t grid. */
const RATIO_TOL = 1e-12;
const CHECK_GRID = 64;

export class Structure {
  readonly V: number;
  readonly S: number;
  readonly hasMask: boolean;
  /** Index of [MASK] (= V) when hasMask. */
  readonly m: number;
  readonly nC: number;
  readonly mask: number[] = [];
  readonly resets: ResetChannel[] = [];
  readonly jumps: JumpChannel[] = [];
  /** The jump channels act through Abar = sum_g kappa_g A_g at all times (docs/math.md §1.4). */
  readonly hopExpansion: boolean;
  readonly Abar: SparseGraph | null;
  readonly AbarT: SparseGraph | null;
  /** Non-mask channels advance in fixed proportions: reset weights in closed form (docs/math.md §1.5). */
  readonly coProportional: boolean;
  /** The unigram (or uniform) law of x0, for the prior's starting point. */
  readonly p0: Float64Array;
  private readonly params: Record<string, number | boolean>;
  private readonly tables: RateTables | undefined;

  constructor(readonly spec: KernelSpec, inputs: KernelInputs) {
    const V = inputs.V;
    if (!Number.isInteger(V) || V < 1) throw new ReferenceKernelError(`V must be a positive integer, got ${V}`);
    if (V > MAX_VOCAB) throw new ReferenceKernelError(`the vocabulary V = ${V} is more than the limit ${MAX_VOCAB} (docs/limits.md)`);
    for (const [name, g] of Object.entries(inputs.graphs ?? {})) checkGraphShape(g, V, `graph '${name}'`);
    this.V = V;
    this.hasMask = spec.channels.some((c) => c.operator.op === 'mask');
    if (this.hasMask !== spec.hasMask) throw new ReferenceKernelError(`spec.hasMask is ${spec.hasMask} but the channels say ${this.hasMask}`);
    this.S = this.hasMask ? V + 1 : V;
    this.m = V;
    this.nC = spec.channels.length;
    this.params = Object.fromEntries(spec.params.map((p) => [p.name, typeof p.value === 'boolean' ? p.value : num(p.value)]));
    this.tables = inputs.tables;
    const checkDist = (what: string, p: Float64Array | undefined): Float64Array => {
      if (!p) throw new ReferenceKernelError(`${what} is needed by a reset channel but was not given`);
      if (p.length !== V) throw new ReferenceKernelError(`${what} has ${p.length} entries, expected V = ${V}`);
      let s = 0;
      for (let i = 0; i < V; i++) {
        if (!(p[i]! >= 0)) throw new ReferenceKernelError(`${what}[${i}] = ${p[i]} is not a probability`);
        s += p[i]!;
      }
      if (Math.abs(s - 1) > 1e-9) throw new ReferenceKernelError(`${what} sums to ${s}, not 1`);
      return p;
    };
    const transposes = new Map<string, SparseGraph>();
    spec.channels.forEach((ch, c) => {
      const op = ch.operator;
      if (op.op === 'mask') this.mask.push(c);
      else if (op.op === 'reset') {
        const d = op.dist;
        const pi =
          d.kind === 'uniform'
            ? new Float64Array(V).fill(1 / V)
            : d.kind === 'unigram'
              ? checkDist('the unigram distribution', inputs.unigram)
              : checkDist(`distribution '${d.file}'`, inputs.dists?.[d.file]);
        this.resets.push({ c, pi });
      } else {
        const A = inputs.graphs?.[op.graph];
        if (!A) throw new ReferenceKernelError(`graph '${op.graph}' is used by channel ${c} but was not given`);
        if (A.V !== V) throw new ReferenceKernelError(`graph '${op.graph}' has V = ${A.V}, expected ${V}`);
        if (!transposes.has(op.graph)) transposes.set(op.graph, transposeGraph(A));
        this.jumps.push({ c, graph: op.graph, A, AT: transposes.get(op.graph)! });
      }
    });
    this.p0 = inputs.unigram ? checkDist('the unigram distribution', inputs.unigram) : new Float64Array(V).fill(1 / V);

    // Jump mixture: one graph, or several whose cumulative rates keep fixed ratios.
    const names = [...new Set(this.jumps.map((j) => j.graph))];
    const kappa = this.fixedRatios(names.map((n) => this.jumps.filter((j) => j.graph === n).map((j) => j.c)));
    this.hopExpansion = names.length <= 1 || kappa !== null;
    if (names.length === 0) {
      this.Abar = null;
      this.AbarT = null;
    } else if (names.length === 1) {
      this.Abar = this.jumps[0]!.A;
      this.AbarT = this.jumps[0]!.AT;
    } else if (kappa) {
      this.Abar = mixGraphs(names.map((n, i) => [this.jumps.find((j) => j.graph === n)!.A, kappa[i]!] as const));
      this.AbarT = transposeGraph(this.Abar);
    } else {
      this.Abar = null;
      this.AbarT = null;
    }
    // Closed-form reset weights: every reset channel and the jump total in fixed ratios.
    const groups = [...this.resets.map((r) => [r.c]), this.jumps.map((j) => j.c)].filter((g) => g.length > 0);
    this.coProportional = spec.proportional || groups.length <= 1 || this.fixedRatios(groups) !== null;
  }

  private env(t: number) {
    return { t, params: this.params };
  }

  /** Lambda_c(t) for every channel. */
  lambdas(t: number): Float64Array {
    const out = new Float64Array(this.nC);
    this.spec.channels.forEach((ch, c) => {
      out[c] = ch.Lambda ? evalExpr(ch.Lambda, this.env(t)) : this.table('Lambda', c).Lambda(c, t);
    });
    return out;
  }

  /** sigma_c(t) for every channel. */
  sigmas(t: number): Float64Array {
    const out = new Float64Array(this.nC);
    this.spec.channels.forEach((ch, c) => {
      out[c] = ch.sigma ? evalExpr(ch.sigma, this.env(t)) : this.table('sigma', c).sigma(c, t);
    });
    return out;
  }

  private table(what: string, c: number): RateTables {
    if (!this.tables) throw new ReferenceKernelError(`channel ${c} has no closed-form ${what}; pass tables from buildRateTables`);
    return this.tables;
  }

  /** Totals over the mask, reset and jump channels of a per-channel vector. */
  totals(x: Float64Array): { m: number; u: number; a: number } {
    let m = 0, u = 0, a = 0;
    for (const c of this.mask) m += x[c]!;
    for (const r of this.resets) u += x[r.c]!;
    for (const j of this.jumps) a += x[j.c]!;
    return { m, u, a };
  }

  /**
   * Fixed ratios between groups of channels: kappa_i = Lambda_{G_i}(t) / sum_k Lambda_{G_k}(t) and
   * the same for sigma, constant on a grid of t (relative 1e-12); null when they vary. A proportional
   * spec has them by construction.
   */
  private fixedRatios(groups: number[][]): number[] | null {
    if (groups.length <= 1) return groups.map(() => 1);
    const ratioAt = (x: Float64Array): number[] | null => {
      const g = groups.map((idx) => idx.reduce((s, c) => s + x[c]!, 0));
      const tot = g.reduce((s, v) => s + v, 0);
      return tot > 0 ? g.map((v) => v / tot) : null;
    };
    let ref: number[] | null = null;
    for (let i = 0; i <= CHECK_GRID; i++) {
      const t = i / CHECK_GRID;
      for (const r of [ratioAt(this.lambdas(t)), ratioAt(this.sigmas(t))]) {
        if (!r) continue;
        if (!ref) ref = r;
        else if (r.some((v, k) => Math.abs(v - ref![k]!) > RATIO_TOL * Math.max(1, Math.abs(v)))) return null;
      }
    }
    return ref ?? groups.map(() => 1 / groups.length);
  }
}

/** sum_i c_i A_i as one CSR graph (columns sorted). */
export function mixGraphs(parts: ReadonlyArray<readonly [SparseGraph, number]>): SparseGraph {
  const V = parts[0]![0].V;
  const rows: Array<Map<number, number>> = Array.from({ length: V }, () => new Map());
  for (const [A, c] of parts) {
    if (c === 0) continue;
    for (let i = 0; i < V; i++) for (let j = A.rowPtr[i]!; j < A.rowPtr[i + 1]!; j++) rows[i]!.set(A.col[j]!, (rows[i]!.get(A.col[j]!) ?? 0) + c * A.w[j]!);
  }
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
