// Rows q_t(. | x0) and columns q_t(x_t | .) on the GPU, and the column-layout actions every other
// quantity builds on: the reset vectors rho (reset powers pi_g^T A^n, compiler/wgsl/columns.ts), the
// hop sums X0 A^n (compiler/wgsl/hop.ts) and the sparse first hops of a one-hot start
// (compiler/wgsl/sparse.ts). The float64 reference is reference/kernel/forward.ts.
import { hopProgram } from '../../compiler/wgsl/hop.ts';
import { initProgram, rhoProgram, writeRowsProgram } from '../../compiler/wgsl/columns.ts';
import { sparseClearProgram, sparseExpandProgram, sparseInitProgram, sparsePullProgram, zeroProgram } from '../../compiler/wgsl/sparse.ts';
import type { WgslProgram } from '../../compiler/wgsl/module.ts';
import type { TransitionCoefs } from './coefficients.ts';
import { KernelRecording, rowGrid, tableBuffer, type Binding } from './encoder.ts';
import { windowOf } from '../gpu/window.ts';
import type { Chunk, SlotPlan } from './plan.ts';
import { linearGrid, type BatchShape, type KernelContext } from './context.ts';

/** The hop program for `mats` matrices and `wx` lanes along x (warmed at load). */
export function hopProg(cx: KernelContext, mats: 1 | 2, wx: number): WgslProgram {
  return cx.prog(`hop${mats}/${wx}/${cx.cpt}`, () => hopProgram({ mats, wx, wy: cx.lanes / wx, cpt: cx.cpt }));
}

/** pi_g^T A^n for n = 0..H, [n][V] vec4 over reset groups, computed in float64 on the host. */
function resetPowers(cx: KernelContext, H: number): GPUBuffer {
  if (cx.piA && cx.piA.H >= H) return cx.piA.buf;
  const V = cx.V;
  const Hn = Math.max(H, cx.co.hops.cap);
  const out = new Float32Array((Hn + 1) * V * 4);
  cx.resetDists.forEach((pi, gi) => {
    let cur = Float64Array.from(pi);
    for (let n = 0; n <= Hn; n++) {
      for (let y = 0; y < V; y++) out[(n * V + y) * 4 + gi] = cur[y]!;
      if (n < Hn && cx.jump) {
        const g = cx.jump.host;
        const next = new Float64Array(V);
        for (let x = 0; x < V; x++) {
          const px = cur[x]!;
          if (px === 0) continue;
          for (let j = g.rowPtr[x]!; j < g.rowPtr[x + 1]!; j++) next[g.col[j]!]! += px * g.w[j]!;
        }
        cur = next;
      }
    }
  });
  cx.piA = { H: Hn, buf: tableBuffer(cx.gpu, out, 'pi A^n') };
  return cx.piA.buf;
}

/** rho[y, slot] for every slot ([V, nS], f32), encoded into `rec`. */
export function encodeRho(cx: KernelContext, rec: KernelRecording, sp: SlotPlan, name = 'rho', coefs: TransitionCoefs[] = sp.slots.map((s) => s.co)): { rho: GPUBuffer; nS: number } {
  const nS = coefs.length;
  const G = cx.resetDists.length;
  // No reset channel: rho is zero.
  if (G === 0) return { rho: zeroRho(cx, nS), nS };
  const Hm = coefs.reduce((m, x) => Math.max(m, x.resetHops), 0);
  const R = new Float32Array(nS * (Hm + 1) * 4);
  const Hs = new Uint32Array(nS);
  coefs.forEach((co, s) => {
    Hs[s] = co.resetHops;
    co.reset.forEach((r, gi) => {
      for (let n = 0; n <= co.resetHops; n++) R[(s * (Hm + 1) + n) * 4 + gi] = r[n]!;
    });
  });
  const piA = resetPowers(cx, Hm);
  const rho = cx.ws.get(name, cx.V * nS * 4);
  const wx = cx.wx(nS);
  rec.dispatch(
    cx.prog(`rho/${wx}`, () => rhoProgram(wx, cx.lanes / wx)),
    { V: cx.V, C: nS, act: nS, n: Hm },
    [tableBuffer(cx.gpu, R), tableBuffer(cx.gpu, Hs), piA, rho],
    rowGrid(Math.ceil(nS / wx), cx.V, cx.lanes / wx),
  );
  return { rho, nS };
}

function zeroRho(cx: KernelContext, nS: number): GPUBuffer {
  if (!cx.zeroRhoBuf || cx.zeroRhoBuf.n < nS) {
    cx.zeroRhoBuf = { n: nS, buf: tableBuffer(cx.gpu, new Float32Array(cx.V * nS)) };
  }
  return cx.zeroRhoBuf.buf;
}

/**
 * The hop sums of one chunk: for each (X0, ping, pong, Acc) set, Acc += sum_{n=1..Hc} hw_n X0 A^n
 * (forward: CSR of A^T) or A^n X0 (backward: CSR of A).
 */
export function encodeHops(
  cx: KernelContext,
  rec: KernelRecording,
  ch: Pick<Chunk, 'C' | 'Hc' | 'activeCv'>,
  hw: GPUBuffer,
  sets: Array<[GPUBuffer, GPUBuffer, GPUBuffer, GPUBuffer]>,
  dir: 'forward' | 'backward',
  from = 1,
  to = ch.Hc,
): void {
  if (!cx.jump || ch.Hc === 0) return;
  const g = cx.jump;
  const csr = dir === 'forward' ? [g.tRowPtr, g.tCol, g.tW] : [g.rowPtr, g.col, g.w];
  const mats = sets.length as 1 | 2;
  for (let n = from; n <= Math.min(to, ch.Hc); n++) {
    const act = ch.activeCv[n]!;
    if (act === 0) break;
    const threads = Math.ceil(act / cx.cpt);
    const wx = cx.wx(threads);
    const binds: Binding[] = [...csr, hw];
    for (const [x0, p, q, acc] of sets) {
      const X = n === 1 ? x0 : n % 2 === 0 ? p : q;
      const Y = n % 2 === 1 ? p : q;
      binds.push(X, Y, acc);
    }
    rec.dispatch(hopProg(cx, mats, wx), { V: cx.V, C: ch.C, cv: ch.C / 4, act, n }, binds, rowGrid(Math.ceil(threads / wx), cx.V, cx.lanes / wx));
  }
}

/**
 * How many hops of a one-hot start run sparse (compiler/wgsl/sparse.ts): while D^n <= V / 8, D the
 * largest degree along the push direction (forward pushes along A, backward along A^T); caps[n] =
 * D^n bounds the support after n hops.
 */
export function sparseDepth(cx: KernelContext, dir: 'forward' | 'backward'): { ns: number; caps: number[] } {
  let r = cx.sparseDepths[dir];
  if (!r) {
    const g = cx.jump!;
    const push = dir === 'forward' ? g.host : g.transpose;
    let D = 0;
    for (let v = 0; v < cx.V; v++) D = Math.max(D, push.rowPtr[v + 1]! - push.rowPtr[v]!);
    const caps = [1];
    while (cx.sparseHops && D > 0 && caps[caps.length - 1]! * D <= cx.V / 8) caps.push(caps[caps.length - 1]! * D);
    r = cx.sparseDepths[dir] = { ns: caps.length - 1, caps };
  }
  return r;
}

/**
 * The first hops of a one-hot start (X0 = e_tok per column, Acc = hw[0] X0 already written),
 * visiting only each column's support; X1 and X2 are cleared here. Returns the hops done (the
 * dense hops continue from the next one).
 */
export function encodeSparseHops(
  cx: KernelContext,
  rec: KernelRecording,
  ch: Pick<Chunk, 'C' | 'Hc' | 'activeCols' | 'colt'>,
  colt: GPUBuffer,
  hw: GPUBuffer,
  tok: GPUBuffer,
  [X0, X1, X2, Acc]: [GPUBuffer, GPUBuffer, GPUBuffer, GPUBuffer],
  dir: 'forward' | 'backward',
): number {
  if (!cx.jump || ch.Hc === 0) return 0;
  const { ns: nsMax, caps } = sparseDepth(cx, dir);
  const ns = Math.min(nsMax, ch.Hc);
  if (ns === 0) return 0;
  const g = cx.jump;
  const push = dir === 'forward' ? [g.rowPtr, g.col] : [g.tRowPtr, g.tCol];
  const pull = dir === 'forward' ? [g.tRowPtr, g.tCol, g.tW] : [g.rowPtr, g.col, g.w];
  const { C } = ch;
  const V = cx.V;
  const R = caps[ns]!;
  const lists = cx.ws.get('spLists', (ns + 1) * C * R * 4);
  const counts = cx.ws.get('spCounts', (ns + 1) * C * 4);
  const flag = cx.ws.get('spFlag', V * C * 4);
  const zero = cx.prog('zero', () => zeroProgram(cx.lanes));
  for (const [buf, n4] of [[flag, (V * C) / 4], [X1, (V * C) / 4], [X2, (V * C) / 4], [counts, Math.ceil(((ns + 1) * C) / 4)]] as const) {
    rec.dispatch(zero, { act: n4 }, [buf], linearGrid(n4, cx.lanes));
  }
  rec.dispatch(cx.prog('sparse_init', () => sparseInitProgram(cx.lanes)), { V, C, R }, [colt, tok, lists, counts, flag], [Math.ceil(C / cx.lanes)]);
  const X = (n: number) => (n === 0 ? X0 : n % 2 === 1 ? X1 : X2);
  let n = 1;
  for (; n <= ns; n++) {
    const act = ch.activeCols[n]!;
    if (act === 0) break;
    const dims = { V, C, act, R, n };
    // X_n's buffer held X_{n-2}: zero it on F_{n-2}.
    if (n >= 3) rec.dispatch(cx.prog('sparse_clear', () => sparseClearProgram()), { ...dims, n: n - 2 }, [lists, counts, X(n)], [Math.ceil(caps[n - 2]! / 64), act]);
    rec.dispatch(cx.prog('sparse_expand', () => sparseExpandProgram()), dims, [...push, lists, counts, flag], [Math.ceil(caps[n - 1]! / 64), act]);
    rec.dispatch(cx.prog('sparse_pull', () => sparsePullProgram()), dims, [...pull, hw, lists, counts, X(n - 1), X(n), Acc], [Math.ceil(caps[n]! / 64), act]);
  }
  return n - 1;
}

// ---------------------------------------------------------------- rows and columns

/**
 * Rows q_t(. | x0) ([B*L, S] row-major f32 into `out`; the mask state last) or columns
 * q_t(xt | .) ([B*L, V]) for tokens `tokens` (u32, [MASK] = V for columns).
 */
export function encodeRowsOrColumns(cx: KernelContext, enc: GPUCommandEncoder, kind: 'rows' | 'columns', a: BatchShape & { tokens: GPUBuffer; out: GPUBuffer }): void {
  const N = a.B * a.L;
  const sp = cx.slots(a);
  const pre = new KernelRecording(cx.gpu, cx.pipes);
  const { rho, nS } = encodeRho(cx, pre, sp);
  pre.encode(enc);
  const W = kind === 'rows' ? cx.S : cx.V;
  for (const ch of cx.chunks(N, a.L, sp)) {
    const rec = new KernelRecording(cx.gpu, cx.pipes);
    const tok = cx.chunkTokens(enc, 'tokA', a.tokens, ch);
    const colt = tableBuffer(cx.gpu, ch.colt);
    const hw = tableBuffer(cx.gpu, ch.hw);
    const X0 = cx.mat('D0', ch.C);
    const Acc = cx.mat('AD', ch.C);
    const wx = cx.wx(ch.C / 4);
    const dummy = cx.ws.get('dummy', 16);
    rec.dispatch(
      cx.prog(`init_hot/${wx}`, () => initProgram({ softmax: false, onehot: true, wx, wy: cx.lanes / wx })),
      { V: cx.V, C: ch.C, cv: ch.C / 4 },
      [dummy, colt, dummy, tok, hw, X0, Acc],
      rowGrid(Math.ceil(ch.C / 4 / wx), cx.V, cx.lanes / wx),
    );
    const set: [GPUBuffer, GPUBuffer, GPUBuffer, GPUBuffer] = [X0, cx.mat('D1', ch.C), cx.mat('D2', ch.C), Acc];
    const dir = kind === 'rows' ? 'forward' : 'backward';
    const ns = encodeSparseHops(cx, rec, ch, colt, hw, tok, set, dir);
    encodeHops(cx, rec, ch, hw, [set], dir, ns + 1);
    const maskv = new Float32Array(ch.C);
    for (let c = 0; c < ch.n; c++) maskv[c] = sp.slots[ch.colt[2 * c + 1]!]!.co.maskProb;
    const win = windowOf(cx.gpu, a.out, ch.p0 * W, ch.n * W);
    const mode = kind === 'rows' ? (cx.st.hasMask ? 1 : 0) | 2 : 8;
    const wxw = cx.wx(W);
    rec.dispatch(
      cx.prog(`write_rows/${wxw}`, () => writeRowsProgram(wxw, cx.lanes / wxw)),
      { V: cx.V, C: ch.C, n: nS, mode, shift: win.shift },
      [Acc, colt, rho, tableBuffer(cx.gpu, maskv), tok, win.range],
      rowGrid(Math.ceil((cx.V + 1) / wxw), ch.C, cx.lanes / wxw),
    );
    rec.encode(enc);
  }
}

/** Rows q_t(. | x0) for each x0 (t per position, or one t, or per sequence with L), [N, S]. */
export async function rows(cx: KernelContext, x0: Uint32Array | number[], t: ArrayLike<number> | number, o: { L?: number; H?: number } = {}): Promise<Float32Array> {
  return rowsOrColumns(cx, 'rows', cx.tokens(x0, 'token', 'x0'), t, o);
}

/** Columns q_t(xt | .) over x0 for each xt ([MASK] = V), [N, V]. */
export async function columns(cx: KernelContext, xt: Uint32Array | number[], t: ArrayLike<number> | number, o: { L?: number; H?: number } = {}): Promise<Float32Array> {
  return rowsOrColumns(cx, 'columns', cx.tokens(xt, 'state', 'xt'), t, o);
}

async function rowsOrColumns(cx: KernelContext, kind: 'rows' | 'columns', tok: Uint32Array, t: ArrayLike<number> | number, o: { L?: number; H?: number }): Promise<Float32Array> {
  const sh = cx.shape(tok.length, t, o.L, o.H);
  const bytes = tok.length * (kind === 'rows' ? cx.S : cx.V) * 4;
  const out = cx.fresh(bytes);
  const r = await cx.run({ out: { buf: out, bytes } }, (enc) => encodeRowsOrColumns(cx, enc, kind, { ...sh, tokens: cx.upload(tok), out }));
  return new Float32Array(r.out);
}
