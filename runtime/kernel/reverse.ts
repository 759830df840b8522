// The plug-in reverse step p(x_s | x_t) on the GPU (docs/math.md §2.3, compiler/wgsl/reverse.ts):
// a draw of x_s, or the step's mixture over (stay, walk, reset, unmask). Column layout for a kernel
// with a jump channel (p_hat walked forward with P_s, x_t's column backward with P_{s->t}), row
// layout without one. The float64 reference is reference/kernel/reverse.ts.
import { initProgram } from '../../compiler/wgsl/columns.ts';
import { reverseProgram, reverseRowProgram } from '../../compiler/wgsl/reverse.ts';
import { KernelRecording, rowGrid, tableBuffer } from './encoder.ts';
import { runsOf, windowOf } from '../gpu/window.ts';
import { KernelRuntimeError } from './errors.ts';
import { planChunks, planSlots } from './plan.ts';
import { hop0Reset, linearGrid, seedWords, type BatchShape, type KernelContext } from './context.ts';
import { encodeHops, encodeRho, encodeSparseHops } from './rows.ts';

/** Per lane l of a W-lane row kernel: sum of pi_g over the tokens l, l + W, ... (float64, stored f32; vec4 over groups). */
function lanePiSums(cx: KernelContext, W: number): GPUBuffer {
  if (!cx.piLane || cx.piLane.W !== W) {
    const out = new Float64Array(4 * W);
    cx.resetDists.forEach((pi, g) => pi.forEach((x, y) => (out[4 * (y % W) + g]! += x)));
    cx.piLane = { W, buf: tableBuffer(cx.gpu, Float32Array.from(out)) };
  }
  return cx.piLane.buf;
}

/**
 * The plug-in reverse step p(x_s | x_t) (docs/math.md §2.3) for B*L positions from model logits
 * [B*L, V] (row-major f32, after the sampler's rules): mode 'sample' writes x_s (u32, [MASK] = V)
 * into `out`; mode 'mixture' writes the mixture into `out` (f32): weights [N, 4] over
 * (stay, walk, reset, unmask), then the walk component [N, V], then b_s normalised [N, V] (the law
 * of the reset and unmask components).
 */
export function encodeReverse(
  cx: KernelContext,
  enc: GPUCommandEncoder,
  a: BatchShape & { s: ArrayLike<number>; logits: GPUBuffer; xt: GPUBuffer; out: GPUBuffer; seed?: number; stream?: number; mode?: 'sample' | 'mixture' },
): void {
  const N = a.B * a.L;
  const V = cx.V;
  if (a.s.length !== a.B) throw new KernelRuntimeError(`s has ${a.s.length} entries for B = ${a.B} sequences`);
  // P_{s->t} from time s itself (also when s = 0); b_s = p_hat^T q_s from the clean-data origin.
  const sp = planSlots(a.t, a.s, (s0, t) => cx.transition(s0, t, a.H, false));
  const coS = sp.slots.map((sl) => cx.transition(0, sl.s, a.H));
  const mode = a.mode ?? 'sample';
  const [kx, ky] = seedWords(a.seed ?? 0);
  if (!cx.jump) {
    // Row layout (reverseRowProgram): b_s and rho_{s,t} from hop-0 reset weights per slot.
    const rw = new Float32Array(8 * sp.slots.length);
    const rp = new Float32Array(4 * sp.slots.length);
    sp.slots.forEach((sl, i) => {
      hop0Reset(coS[i]!, rw, 8 * i);
      hop0Reset(sl.co, rw, 8 * i + 4);
      rp.set([coS[i]!.maskProb, sl.co.hop[0]!, sl.co.maskProb, coS[i]!.hop[0]!], 4 * i);
    });
    const binds = [tableBuffer(cx.gpu, rw), cx.distsBuf, tableBuffer(cx.gpu, Uint32Array.from(sp.slotOfSeq)), a.xt, tableBuffer(cx.gpu, rp)];
    const dummy = cx.ws.get('dummy', 16);
    const rec = new KernelRecording(cx.gpu, cx.pipes);
    const prog = cx.prog(`reverse_row/${cx.resetDists.length}`, () => reverseRowProgram(cx.colW, cx.resetDists.length));
    for (const [r0, n] of runsOf(cx.gpu, N, V)) {
      const lw = windowOf(cx.gpu, a.logits, r0 * V, n * V);
      rec.dispatch(
        prog,
        { V, C: n, R: a.L, nb: r0, act: N, shift: lw.shift, seed0: kx, seed1: ky, stream: a.stream ?? 0, mode: mode === 'sample' ? 0 : 1 },
        [lw.range, ...binds, mode === 'sample' ? a.out : dummy, mode === 'sample' ? dummy : a.out, lanePiSums(cx, cx.colW)],
        linearGrid(n, 1),
      );
    }
    rec.encode(enc);
    return;
  }
  const pre = new KernelRecording(cx.gpu, cx.pipes);
  const rS = encodeRho(cx, pre, sp, 'rho', coS);
  const rT = encodeRho(cx, pre, sp, 'rho2');
  pre.encode(enc);
  const rp = new Float32Array(sp.slots.length * 4);
  sp.slots.forEach((sl, s) => rp.set([coS[s]!.maskProb, sl.co.hop[0]!, sl.co.maskProb, 0], 4 * s));
  const rpBuf = tableBuffer(cx.gpu, rp);
  const chunks = planChunks(N, a.L, sp, cx.maxColumns, (s) => coS[s]!.H, (s) => coS[s]!.hop, {
    H: (s) => sp.slots[s]!.co.H,
    weights: (s) => [0, ...Array.from(sp.slots[s]!.co.hop).slice(1)],
  });
  const dummy = cx.ws.get('dummy', 16);
  for (const ch of chunks) {
    const rec = new KernelRecording(cx.gpu, cx.pipes);
    const C = ch.C;
    const xt = cx.chunkTokens(enc, 'tokB', a.xt, ch);
    const { colt, hw, lw, stats } = cx.chunkStart(rec, ch, a.logits);
    const hw2 = tableBuffer(cx.gpu, ch.second!.hw);
    const [Phat, P1, P2, AP, D0, D1, D2, AD] = ['Phat', 'P1', 'P2', 'AP', 'D0', 'D1', 'D2', 'AD'].map((n) => cx.mat(n, C)) as [
      GPUBuffer, GPUBuffer, GPUBuffer, GPUBuffer, GPUBuffer, GPUBuffer, GPUBuffer, GPUBuffer,
    ];
    const wx = cx.wx(C / 4);
    const grid = rowGrid(Math.ceil(C / 4 / wx), V, cx.lanes / wx);
    rec.dispatch(cx.prog(`init_soft/${wx}`, () => initProgram({ softmax: true, onehot: false, wx, wy: cx.lanes / wx })), { V, C, cv: C / 4, shift: lw.shift }, [lw.range, colt, stats, dummy, hw, Phat, AP], grid);
    rec.dispatch(cx.prog(`init_hot/${wx}`, () => initProgram({ softmax: false, onehot: true, wx, wy: cx.lanes / wx })), { V, C, cv: C / 4 }, [dummy, colt, dummy, xt, hw2, D0, AD], grid);
    encodeHops(cx, rec, ch, hw, [[Phat, P1, P2, AP]], 'forward');
    const second = { ...ch, ...ch.second! };
    const ns = encodeSparseHops(cx, rec, second, colt, hw2, xt, [D0, D1, D2, AD], 'backward');
    encodeHops(cx, rec, second, hw2, [[D0, D1, D2, AD]], 'backward', ns + 1);
    const outWin = mode === 'sample' ? windowOf(cx.gpu, a.out, ch.p0, ch.n) : { range: { buffer: a.out, offset: 0, size: a.out.size }, shift: 0 };
    rec.dispatch(
      cx.prog('reverse', () => reverseProgram(cx.colW)),
      { V, C, n: sp.slots.length, R: a.L, nb: ch.p0, act: N, shift: outWin.shift, seed0: kx, seed1: ky, stream: a.stream ?? 0, mode: mode === 'sample' ? 0 : 1 },
      [AP, AD, rS.rho, rT.rho, colt, xt, rpBuf, mode === 'sample' ? outWin.range : dummy, mode === 'sample' ? dummy : outWin.range],
      linearGrid(C, 1),
    );
    rec.encode(enc);
  }
}

/** Convenience: one reverse step from host logits; x_s per position. */
export async function reverseStep(
  cx: KernelContext,
  logits: Float32Array,
  xt: Uint32Array | number[],
  t: ArrayLike<number> | number,
  s: ArrayLike<number> | number,
  o: { L?: number; H?: number; seed: number; stream?: number },
): Promise<Uint32Array> {
  const tok = cx.tokens(xt, 'state', 'xt');
  const sh = cx.shape(tok.length, t, o.L, o.H);
  const ss = typeof s === 'number' ? Array.from({ length: sh.B }, () => s) : s;
  const out = cx.fresh(tok.length * 4);
  const r = await cx.run({ out: { buf: out, bytes: tok.length * 4 } }, (enc) =>
    encodeReverse(cx, enc, { ...sh, s: ss, logits: cx.upload(logits), xt: cx.upload(tok), out, seed: o.seed, stream: o.stream }),
  );
  return new Uint32Array(r.out);
}

/** Convenience: the reverse step's mixture (weights over stay, walk, reset, unmask; walk law; b_s law) per position. */
export async function reverseMixture(
  cx: KernelContext,
  logits: Float32Array,
  xt: Uint32Array | number[],
  t: ArrayLike<number> | number,
  s: ArrayLike<number> | number,
  o: { L?: number; H?: number } = {},
): Promise<{ weights: Float32Array; walk: Float32Array; b: Float32Array }> {
  const tok = cx.tokens(xt, 'state', 'xt');
  const N = tok.length;
  const sh = cx.shape(N, t, o.L, o.H);
  const ss = typeof s === 'number' ? Array.from({ length: sh.B }, () => s) : s;
  const bytes = (4 * N + 2 * N * cx.V) * 4;
  const out = cx.fresh(bytes);
  const r = await cx.run({ out: { buf: out, bytes } }, (enc) =>
    encodeReverse(cx, enc, { ...sh, s: ss, logits: cx.upload(logits), xt: cx.upload(tok), out, mode: 'mixture' }),
  );
  const f = new Float32Array(r.out);
  return { weights: f.slice(0, 4 * N), walk: f.slice(4 * N, 4 * N + N * cx.V), b: f.slice(4 * N + N * cx.V) };
}
