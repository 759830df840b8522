// Host planning of one call: sequences grouped into slots by time (one set of coefficients and one
// reset vector rho per distinct time), positions split into chunks of columns, each chunk's columns
// ordered by hop count (descending), so hop n only touches the columns that still need it.
import type { TransitionCoefs } from './coefficients.ts';

export const NONE = 0xffffffff;

export interface Slot {
  t: number;
  s: number;
  co: TransitionCoefs;
}

export interface SlotPlan {
  slots: Slot[];
  /** Slot of each sequence. */
  slotOfSeq: Int32Array;
  Hmax: number;
}

/** Groups sequences by (s, t); `coefs(s, t)` is called once per distinct pair. */
export function planSlots(ts: ArrayLike<number>, ss: ArrayLike<number> | null, coefs: (s: number, t: number) => TransitionCoefs): SlotPlan {
  const byKey = new Map<string, number>();
  const slots: Slot[] = [];
  const slotOfSeq = new Int32Array(ts.length);
  for (let b = 0; b < ts.length; b++) {
    const t = ts[b]!;
    const s = ss ? ss[b]! : 0;
    if (!(t >= 0 && t <= 1) || !(s >= 0 && s <= t)) throw new RangeError(`sequence ${b}: times must satisfy 0 <= s <= t <= 1, got s = ${s}, t = ${t}`);
    const key = `${s}|${t}`;
    let k = byKey.get(key);
    if (k === undefined) {
      k = slots.length;
      byKey.set(key, k);
      slots.push({ t, s, co: coefs(s, t) });
    }
    slotOfSeq[b] = k;
  }
  return { slots, slotOfSeq, Hmax: slots.reduce((m, x) => Math.max(m, x.co.H), 0) };
}

export interface Chunk {
  /** First position and number of positions. */
  p0: number;
  n: number;
  /** Columns (n rounded up to 4). */
  C: number;
  /** (row within the chunk or NONE, slot) per column. */
  colt: Uint32Array;
  /** Hops of each column and the chunk's largest. */
  Hc: number;
  /** Vec4 columns still active at hop n (index n, n = 1..Hc). */
  activeCv: number[];
  /** Columns still active at hop n (per column, not vec4). */
  activeCols: number[];
  /** hw[n * C + c]: hop weight of column c at hop n, n = 0..Hc. */
  hw: Float32Array;
  /** A second hop sum over the same columns (the reverse step's column of P_{s->t}), if asked for. */
  second?: { Hc: number; activeCv: number[]; activeCols: number[]; hw: Float32Array };
}

export interface HopTable {
  H: (slot: number) => number;
  weights: (slot: number) => ArrayLike<number>;
}

function hopWeights(C: number, n: number, colt: Uint32Array, t: HopTable): { Hc: number; activeCv: number[]; activeCols: number[]; hw: Float32Array } {
  const Hcol = new Int32Array(C).fill(-1);
  for (let c = 0; c < n; c++) Hcol[c] = t.H(colt[2 * c + 1]!);
  let Hc = 0;
  for (const h of Hcol) Hc = Math.max(Hc, h);
  const hw = new Float32Array((Hc + 1) * C);
  for (let c = 0; c < n; c++) {
    const w = t.weights(colt[2 * c + 1]!);
    for (let k = 0; k <= Hcol[c]!; k++) hw[k * C + c] = w[k] ?? 0;
  }
  const activeCols: number[] = [C];
  const activeCv: number[] = [C / 4];
  for (let k = 1; k <= Hc; k++) {
    // Columns are sorted by the first table's H; the active prefix ends after the last column still going.
    let a = C;
    while (a > 0 && Hcol[a - 1]! < k) a--;
    activeCols.push(a);
    activeCv.push(Math.ceil(a / 4));
  }
  return { Hc, activeCv, activeCols, hw };
}

/**
 * Chunks of at most `maxC` consecutive positions; position i belongs to sequence floor(i / L).
 * `weights(slot)` gives the per-hop weights of a slot's columns (length H + 1).
 */
export function planChunks(N: number, L: number, sp: SlotPlan, maxC: number, H: (slot: number) => number, weights: (slot: number) => ArrayLike<number>, second?: HopTable): Chunk[] {
  const out: Chunk[] = [];
  const step = Math.max(4, Math.floor(maxC / 4) * 4);
  for (let p0 = 0; p0 < N; p0 += step) {
    const n = Math.min(step, N - p0);
    const C = Math.ceil(n / 4) * 4;
    const rows = Array.from({ length: n }, (_, i) => i);
    const slotOf = (i: number) => sp.slotOfSeq[Math.floor((p0 + i) / L)]!;
    rows.sort((a, b) => H(slotOf(b)) - H(slotOf(a)) || a - b);
    const colt = new Uint32Array(2 * C).fill(0);
    for (let c = 0; c < C; c++) {
      if (c < n) {
        const r = rows[c]!;
        colt[2 * c] = r;
        colt[2 * c + 1] = slotOf(r);
      } else {
        colt[2 * c] = NONE;
        colt[2 * c + 1] = 0;
      }
    }
    const { Hc, activeCv, activeCols, hw } = hopWeights(C, n, colt, { H, weights });
    const chunk: Chunk = { p0, n, C, colt, Hc, activeCv, activeCols, hw };
    if (second) {
      const t2 = hopWeights(C, n, colt, second);
      chunk.second = { Hc: t2.Hc, activeCv: t2.activeCv, activeCols: t2.activeCols, hw: t2.hw };
    }
    out.push(chunk);
  }
  return out;
}
