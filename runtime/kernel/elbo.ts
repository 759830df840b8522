// The ELBO integrand and its gradient on the GPU (docs/math.md §2.4): in column layout for a
// kernel with a jump channel (p_hat and x0's one-hot walked together, then a dense pass, a
// per-column pass and the gradient write, compiler/wgsl/elbo.ts), in row layout without one. The
// float64 reference is reference/kernel/elbo.ts.
import { colCombineProgram, colDotProgram, elboColumnProgram, elboDenseProgram, elboRowProgram, gradWriteProgram } from '../../compiler/wgsl/elbo.ts';
import { initProgram } from '../../compiler/wgsl/columns.ts';
import { KernelRecording, rowGrid, tableBuffer } from './encoder.ts';
import { runsOf, windowOf } from '../gpu/window.ts';
import { KernelRuntimeError } from './errors.ts';
import type { SlotPlan } from './plan.ts';
import { hop0Reset, linearGrid, type BatchShape, type KernelContext } from './context.ts';
import { encodeHops, encodeRho, encodeSparseHops } from './rows.ts';

/** A quiet NaN's bits, passed in a dims field so that shaders can write a NaN (WGSL has no NaN literal). */
const NAN_BITS = 0x7fc00000;

type ElboArgs = BatchShape & { logits: GPUBuffer; x0: GPUBuffer; xt: GPUBuffer; loss: GPUBuffer; dlogits: GPUBuffer; parts?: GPUBuffer; gradScale?: number };

/**
 * The ELBO integrand (docs/math.md §2.4) and its gradient for B*L positions: logits [B*L, V] f32,
 * x0 and xt u32 ([MASK] = V). Writes loss [B*L] f32, dlogits [B*L, V] f32 (times gradScale), and,
 * if given, parts [B*L, 3] f32 = (mask, reset, jump) contributions. A position whose x_t is
 * unreachable from its x0 (q_t(x_t | x0) = 0, or 0 under the hop truncation) gets a NaN loss and
 * parts and a zero gradient, so that a training step's NaN check stops there.
 */
export function encodeElbo(cx: KernelContext, enc: GPUCommandEncoder, a: ElboArgs): void {
  const N = a.B * a.L;
  const V = cx.V;
  const sp = cx.slots(a);
  const seqcBuf = tableBuffer(cx.gpu, cx.seqCoefs(sp));
  if (!cx.jump) {
    encodeElboRows(cx, enc, a, sp, seqcBuf);
    return;
  }
  const pre = new KernelRecording(cx.gpu, cx.pipes);
  const { rho, nS } = encodeRho(cx, pre, sp);
  pre.encode(enc);
  const groups = cx.resetDists.length;
  const g = cx.jump;
  const dummy = cx.ws.get('dummy', 16);
  for (const ch of cx.chunks(N, a.L, sp)) {
    const rec = new KernelRecording(cx.gpu, cx.pipes);
    const C = ch.C;
    const x0 = cx.chunkTokens(enc, 'tokA', a.x0, ch);
    const xt = cx.chunkTokens(enc, 'tokB', a.xt, ch);
    const { colt, hw, lw, stats } = cx.chunkStart(rec, ch, a.logits);
    const [Phat, P1, P2, AP, D0, D1, D2, AD] = ['Phat', 'P1', 'P2', 'AP', 'D0', 'D1', 'D2', 'AD'].map((n) => cx.mat(n, C)) as [
      GPUBuffer, GPUBuffer, GPUBuffer, GPUBuffer, GPUBuffer, GPUBuffer, GPUBuffer, GPUBuffer,
    ];
    const wx = cx.wx(C / 4);
    rec.dispatch(
      cx.prog(`init_soft_hot/${wx}`, () => initProgram({ softmax: true, onehot: true, wx, wy: cx.lanes / wx })),
      { V, C, cv: C / 4, shift: lw.shift },
      [lw.range, colt, stats, x0, hw, Phat, AP, D0, AD],
      rowGrid(Math.ceil(C / 4 / wx), V, cx.lanes / wx),
    );
    // x0's one-hot runs sparse while its support is small, p_hat alone meanwhile, then both together.
    const ns = encodeSparseHops(cx, rec, ch, colt, hw, x0, [D0, D1, D2, AD], 'forward');
    encodeHops(cx, rec, ch, hw, [[Phat, P1, P2, AP]], 'forward', 1, ns);
    encodeHops(cx, rec, ch, hw, [[Phat, P1, P2, AP], [D0, D1, D2, AD]], 'forward', ns + 1);
    // Dense pass and per-column pass; AG (gradient accumulator) lives in P1.
    const nb = Math.max(1, Math.min(Math.ceil(V / 32), Math.ceil(4096 / C)));
    const R = Math.ceil(V / nb);
    const partial = cx.ws.get('partial', nb * C * 4);
    const wxc = cx.wx(C);
    const common = [AP, AD, rho, seqcBuf, colt, xt, cx.distsBuf, D0, P1, hw];
    const o = { groups, jump: true, wx: wxc, wy: cx.lanes / wxc };
    rec.dispatch(
      cx.prog(`elbo_dense/${groups}/${wxc}`, () => elboDenseProgram(o)),
      { V, C, act: C, nb, R, n: nS },
      [...common, partial],
      rowGrid(Math.ceil(C / wxc), nb, cx.lanes / wxc),
    );
    // Loss at out[0, C), parts at out[C, 4C) (chunk-local rows).
    const out = cx.ws.get('elboOut', 4 * C * 4);
    rec.dispatch(
      cx.prog(`elbo_column/${groups}`, () => elboColumnProgram({ ...o, wx: cx.lanes, wy: 1 })),
      { V, C, act: C, nb, n: nS, shift: C, seed0: NAN_BITS },
      [...common, partial, g?.tRowPtr ?? dummy, g?.tCol ?? dummy, g?.tW ?? dummy, out],
      [Math.ceil(C / cx.lanes)],
    );
    encodeHops(cx, rec, ch, hw, [[D0, D1, D2, P1]], 'backward');
    rec.dispatch(cx.prog(`coldot/${wxc}`, () => colDotProgram(wxc, cx.lanes / wxc)), { V, C, act: C, nb, R }, [Phat, P1, partial], rowGrid(Math.ceil(C / wxc), nb, cx.lanes / wxc));
    const dot = cx.ws.get('dot', C * 4);
    rec.dispatch(cx.prog('colcombine', () => colCombineProgram(cx.lanes)), { C, act: C, nb }, [partial, dot], [Math.ceil(C / cx.lanes)]);
    const gw = windowOf(cx.gpu, a.dlogits, ch.p0 * V, ch.n * V);
    const wxg = cx.wx(V);
    rec.dispatch(
      cx.prog(`gradwrite/${wxg}`, () => gradWriteProgram(wxg, cx.lanes / wxg)),
      { V, C, act: C, shift: gw.shift, f0: a.gradScale ?? 1 },
      [Phat, P1, dot, colt, gw.range],
      rowGrid(Math.ceil(V / wxg), C, cx.lanes / wxg),
    );
    rec.encode(enc);
    // The column pass wrote loss and parts for this chunk's positions (chunk-local rows).
    enc.copyBufferToBuffer(out, 0, a.loss, ch.p0 * 4, ch.n * 4);
    if (a.parts) enc.copyBufferToBuffer(out, C * 4, a.parts, ch.p0 * 12, ch.n * 12);
  }
}

/**
 * The ELBO of a kernel without a jump channel, in row layout (elboRowProgram): one subgroup per
 * position, in windows of rows that fit one storage binding.
 */
function encodeElboRows(cx: KernelContext, enc: GPUCommandEncoder, a: ElboArgs, sp: SlotPlan, seqcBuf: GPUBuffer): void {
  const N = a.B * a.L;
  const V = cx.V;
  const { subgroups, W } = cx.rowSubgroups();
  const prog = cx.prog(`elbo_row/${cx.resetDists.length}/${subgroups ? W : 0}`, () => elboRowProgram({ groups: cx.resetDists.length, subgroups, W }));
  const slotOf = tableBuffer(cx.gpu, Uint32Array.from(sp.slotOfSeq));
  // Without a graph rho has hop 0 only: rho = sum_g reset[g][0] pi_g, weights per slot.
  const rw = new Float32Array(4 * sp.slots.length);
  sp.slots.forEach((sl, i) => hop0Reset(sl.co, rw, 4 * i));
  const rwBuf = tableBuffer(cx.gpu, rw);
  const out = cx.ws.get('elboOut', 4 * N * 4);
  const rec = new KernelRecording(cx.gpu, cx.pipes);
  for (const [r0, n] of runsOf(cx.gpu, N, V)) {
    const lw = windowOf(cx.gpu, a.logits, r0 * V, n * V);
    const gw = windowOf(cx.gpu, a.dlogits, r0 * V, n * V);
    rec.dispatch(
      prog,
      { V, C: n, act: r0, R: a.L, shift: lw.shift, nb: gw.shift, mode: N, f0: a.gradScale ?? 1, seed0: NAN_BITS },
      [lw.range, rwBuf, seqcBuf, slotOf, a.x0, a.xt, cx.distsBuf, gw.range, out],
      linearGrid(n, 1),
    );
  }
  rec.encode(enc);
  enc.copyBufferToBuffer(out, 0, a.loss, 0, N * 4);
  if (a.parts) enc.copyBufferToBuffer(out, N * 4, a.parts, 0, N * 12);
}

/** The ELBO integrand, its gradient and its (mask, reset, jump) parts for N positions. */
export async function elbo(
  cx: KernelContext,
  logits: Float32Array,
  x0: Uint32Array | number[],
  xt: Uint32Array | number[],
  t: ArrayLike<number> | number,
  o: { L?: number; H?: number; gradScale?: number } = {},
): Promise<{ loss: Float32Array; grad: Float32Array; parts: Float32Array }> {
  const N = x0.length;
  if (logits.length !== N * cx.V) throw new KernelRuntimeError(`logits has ${logits.length} values, expected N * V = ${N * cx.V}`);
  const sh = cx.shape(N, t, o.L, o.H);
  const loss = cx.fresh(N * 4);
  const grad = cx.fresh(N * cx.V * 4);
  const parts = cx.fresh(N * 12);
  const r = await cx.run(
    { loss: { buf: loss, bytes: N * 4 }, grad: { buf: grad, bytes: N * cx.V * 4 }, parts: { buf: parts, bytes: N * 12 } },
    (enc) =>
      encodeElbo(cx, enc, {
        ...sh,
        logits: cx.upload(logits),
        x0: cx.upload(cx.tokens(x0, 'token', 'x0')),
        xt: cx.upload(cx.tokens(xt, 'state', 'xt')),
        loss,
        dlogits: grad,
        parts,
        gradScale: o.gradScale,
      }),
  );
  const lossArr = new Float32Array(r.loss);
  const bad = lossArr.findIndex((x) => Number.isNaN(x));
  if (bad >= 0) {
    const t0 = typeof t === 'number' ? t : t[Math.floor(bad / sh.L)]!;
    const z = xt[bad]!;
    throw new KernelRuntimeError(
      `position ${bad}: x_t = ${z === cx.V && cx.st.hasMask ? '[MASK]' : z} has probability 0 under q_t(. | x0 = ${x0[bad]}) at t = ${t0} with H = ${cx.transition(0, t0, o.H).H}: the ELBO integrand is undefined there (draw x_t from q_t(. | x0), or raise H)`,
    );
  }
  return { loss: lossArr, grad: new Float32Array(r.grad), parts: new Float32Array(r.parts) };
}
