// The estimated reverse rates over S states on the GPU (docs/math.md §2.5; ratesProgram in
// compiler/wgsl/reverse.ts), what the tau-leaping sampler (compiler/wgsl/tauleap.ts) steps on.
// The float64 reference is reference/kernel/reverse.ts.
import { initProgram } from '../../compiler/wgsl/columns.ts';
import { ratesProgram } from '../../compiler/wgsl/reverse.ts';
import { KernelRecording, rowGrid, tableBuffer } from './encoder.ts';
import { windowOf } from '../gpu/window.ts';
import { linearGrid, type BatchShape, type KernelContext } from './context.ts';
import { encodeHops, encodeRho } from './rows.ts';

/**
 * Estimated reverse rates R_hat(x_t -> y) = Q_t(y, x_t) b_y / b_{x_t}, b = p_hat^T P_t, over S
 * states with the x_t entry -(sum of the others) (docs/math.md §2.5): out [B*L, S] f32.
 */
export function encodeRates(cx: KernelContext, enc: GPUCommandEncoder, a: BatchShape & { logits: GPUBuffer; xt: GPUBuffer; out: GPUBuffer }): void {
  const N = a.B * a.L;
  const V = cx.V;
  const sp = cx.slots(a);
  const pre = new KernelRecording(cx.gpu, cx.pipes);
  const { rho, nS } = encodeRho(cx, pre, sp);
  pre.encode(enc);
  const seqcBuf = tableBuffer(cx.gpu, cx.seqCoefs(sp));
  const groups = cx.resetDists.length;
  const g = cx.jump;
  const dummy = cx.ws.get('dummy', 16);
  for (const ch of cx.chunks(N, a.L, sp)) {
    const rec = new KernelRecording(cx.gpu, cx.pipes);
    const C = ch.C;
    const xt = cx.chunkTokens(enc, 'tokB', a.xt, ch);
    const { colt, hw, lw, stats } = cx.chunkStart(rec, ch, a.logits);
    const [Phat, P1, P2, AP] = ['Phat', 'P1', 'P2', 'AP'].map((n) => cx.mat(n, C)) as [GPUBuffer, GPUBuffer, GPUBuffer, GPUBuffer];
    const wx = cx.wx(C / 4);
    rec.dispatch(
      cx.prog(`init_soft/${wx}`, () => initProgram({ softmax: true, onehot: false, wx, wy: cx.lanes / wx })),
      { V, C, cv: C / 4, shift: lw.shift },
      [lw.range, colt, stats, dummy, hw, Phat, AP],
      rowGrid(Math.ceil(C / 4 / wx), V, cx.lanes / wx),
    );
    encodeHops(cx, rec, ch, hw, [[Phat, P1, P2, AP]], 'forward');
    const ow = windowOf(cx.gpu, a.out, ch.p0 * cx.S, ch.n * cx.S);
    rec.dispatch(
      cx.prog(`rates/${groups}`, () => ratesProgram({ groups, jump: !!g, W: cx.colW })),
      { V, C, n: nS, shift: ow.shift, mode: cx.st.hasMask ? 1 : 0 },
      [AP, rho, colt, xt, seqcBuf, cx.distsBuf, g?.rowPtr ?? dummy, g?.col ?? dummy, g?.w ?? dummy, ow.range],
      linearGrid(C, 1),
    );
    rec.encode(enc);
  }
}

/** Convenience: reverse rates from host logits, [N, S]. */
export async function rates(cx: KernelContext, logits: Float32Array, xt: Uint32Array | number[], t: ArrayLike<number> | number, o: { L?: number; H?: number } = {}): Promise<Float32Array> {
  const tok = cx.tokens(xt, 'state', 'xt');
  const sh = cx.shape(tok.length, t, o.L, o.H);
  const out = cx.fresh(tok.length * cx.S * 4);
  const r = await cx.run({ out: { buf: out, bytes: tok.length * cx.S * 4 } }, (enc) =>
    encodeRates(cx, enc, { ...sh, logits: cx.upload(logits), xt: cx.upload(tok), out }),
  );
  return new Float32Array(r.out);
}
