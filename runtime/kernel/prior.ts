// The prior p_1 on the GPU (docs/math.md §2.6, compiler/wgsl/prior.ts): its power iteration, draws
// from it, and the ELBO's prior term KL(q_1(. | x0) || p_1) from rows at t = 1 with exact hops.
// The float64 reference is reference/kernel/prior.ts.
import { readBuffer } from '../gpu/index.ts';
import { colCombineProgram } from '../../compiler/wgsl/elbo.ts';
import { initProgram } from '../../compiler/wgsl/columns.ts';
import { klPartialProgram, priorIterProgram, priorSampleProgram } from '../../compiler/wgsl/prior.ts';
import { poissonQuantile } from './coefficients.ts';
import { KernelRecording, emptyBuffer, rowGrid, tableBuffer } from './encoder.ts';
import { KernelRuntimeError } from './errors.ts';
import { aliasTable } from './graph.ts';
import { linearGrid, seedWords, type BatchShape, type KernelContext } from './context.ts';
import { encodeHops, encodeRho } from './rows.ts';

/**
 * p_1 over S states (docs/math.md §2.6): e^{-Lambda_m(1)} mu on the real tokens, mu the limit of the
 * non-mask chain from the data law (unigram if given, else uniform), by power iteration on the GPU
 * (lazy when there is no reset); 1 - e^{-Lambda_m(1)} on [MASK].
 */
export async function prior(cx: KernelContext): Promise<Float64Array> {
  return Float64Array.from((await priorInfo(cx)).p1);
}

/** p_1 with its device copy and the power iteration's iterations and residual, computed once per runtime. */
export async function priorInfo(cx: KernelContext): Promise<{ p1: Float64Array; buf: GPUBuffer; iterations: number; residual: number }> {
  if (cx.priorState) return cx.priorState;
  const V = cx.V;
  const L1 = cx.co.lambdas(1);
  const tot = cx.co.totals(1);
  const nm = tot.u + tot.a;
  let mu = Float64Array.from(cx.p0);
  let iterations = 0;
  let residual = 0;
  if (nm > 0) {
    const ku = tot.u / nm;
    const ka = tot.a / nm;
    const pibar = new Float64Array(V);
    cx.st.resets.forEach((g, gi) => {
      const w = g.channels.reduce((a, c) => a + L1[c]!, 0) / (tot.u || 1);
      const pi = cx.resetDists[gi]!;
      for (let y = 0; y < V; y++) pibar[y]! += w * pi[y]!;
    });
    const lazy = ku === 0;
    if (!cx.jump) mu = pibar;
    else {
      const g = cx.jump;
      const prog = cx.prog('prior_iter', () => priorIterProgram(cx.lanes));
      await cx.pipes.prepare(prog);
      const bufs = [tableBuffer(cx.gpu, Float32Array.from(mu)), emptyBuffer(cx.gpu, V * 4)];
      const pib = tableBuffer(cx.gpu, Float32Array.from(pibar));
      const K = 64;
      let prevDiff = Infinity;
      let stall = 0;
      for (let it = 0; it < 200000; it += K) {
        const rec = new KernelRecording(cx.gpu, cx.pipes);
        for (let k = 0; k < K; k++) {
          rec.dispatch(prog, { V, f0: ku, f1: ka, mode: lazy ? 1 : 0 }, [g.tRowPtr, g.tCol, g.tW, pib, bufs[k % 2]!, bufs[(k + 1) % 2]!], linearGrid(V, cx.lanes));
        }
        const enc = cx.gpu.device.createCommandEncoder();
        rec.encode(enc);
        cx.gpu.device.queue.submit([enc.finish()]);
        iterations = it + K;
        // After K (even) steps the newest iterate is bufs[0], the one before bufs[1].
        const a = new Float32Array(await readBuffer(cx.gpu, bufs[0]!, V * 4));
        const b = new Float32Array(await readBuffer(cx.gpu, bufs[1]!, V * 4));
        let diff = 0;
        for (let y = 0; y < V; y++) diff += Math.abs(a[y]! - b[y]!);
        residual = lazy ? diff : (diff * (1 - ku)) / ku;
        mu = Float64Array.from(a);
        // Converged, or at fp32's noise floor (the step no longer shrinks).
        if (residual <= 1e-9) break;
        stall = diff >= 0.9 * prevDiff ? stall + 1 : 0;
        if (stall >= 3 && residual < 1e-5) break;
        prevDiff = diff;
      }
      bufs.forEach((b) => b.destroy());
      let z = 0;
      for (const x of mu) z += x;
      mu = mu.map((x) => x / z);
    }
  }
  const p1 = new Float64Array(cx.S);
  const em = Math.exp(-tot.m);
  for (let y = 0; y < V; y++) p1[y] = em * mu[y]!;
  if (cx.st.hasMask) p1[V] = -Math.expm1(-tot.m);
  const al = aliasTable(mu);
  cx.priorState = {
    p1,
    buf: tableBuffer(cx.gpu, Float32Array.from(p1.subarray(0, V))),
    prob: tableBuffer(cx.gpu, Float32Array.from(al.prob)),
    alias: tableBuffer(cx.gpu, Uint32Array.from(al.alias)),
    iterations,
    residual,
  };
  return cx.priorState;
}

/** x ~ p_1 for B*L positions (u32, [MASK] = V). Needs `await prior()` first. */
export function encodeSamplePrior(cx: KernelContext, enc: GPUCommandEncoder, a: { B: number; L: number; out: GPUBuffer; seed: number; stream?: number }): void {
  const ps = cx.priorState;
  if (!ps) throw new KernelRuntimeError('the prior is not computed yet: await runtime.prior() once before encoding prior draws');
  const tot = cx.co.totals(1);
  const N = a.B * a.L;
  const [kx, ky] = seedWords(a.seed);
  const rec = new KernelRecording(cx.gpu, cx.pipes);
  rec.dispatch(
    cx.prog('prior_sample', () => priorSampleProgram(cx.lanes, cx.st.hasMask)),
    { V: cx.V, C: N, n: a.L, seed0: kx, seed1: ky, stream: a.stream ?? 0, f0: -Math.expm1(-tot.m), f1: Math.exp(-tot.m) },
    [ps.prob, ps.alias, a.out],
    linearGrid(N, cx.lanes),
  );
  rec.encode(enc);
}

export async function samplePrior(cx: KernelContext, N: number, o: { L?: number; seed: number; stream?: number }): Promise<Uint32Array> {
  await priorInfo(cx);
  const out = cx.fresh(N * 4);
  const L = o.L ?? N;
  const r = await cx.run({ out: { buf: out, bytes: N * 4 } }, (enc) => encodeSamplePrior(cx, enc, { B: N / L, L, out, seed: o.seed, stream: o.stream }));
  return new Uint32Array(r.out);
}

/** Hops for rows at t = 1 whose left-out mass is below 1e-18 (as the reference's exact rows). */
export function exactHops(cx: KernelContext, t: number, tol = 1e-18): number {
  if (!cx.jump) return 0;
  const tot = cx.co.totals(t);
  const scale = Math.exp(-tot.m - tot.u);
  if (scale <= tol) return 0;
  return poissonQuantile(tot.a, tol / scale);
}

/** KL(q_1(. | x0) || p_1) for each x0 (the ELBO's prior term), rows at t = 1 with exact hops. */
export async function priorKL(cx: KernelContext, x0: Uint32Array | number[]): Promise<Float64Array> {
  const ps = await priorInfo(cx);
  const tok = cx.tokens(x0, 'token', 'x0');
  const N = tok.length;
  const sh: BatchShape = { B: 1, L: N, t: [1], H: exactHops(cx, 1) };
  const sp = cx.slots(sh);
  const out = cx.fresh(N * 4);
  const tokBuf = cx.upload(tok);
  const r = await cx.run({ out: { buf: out, bytes: N * 4 } }, (enc) => {
    const pre = new KernelRecording(cx.gpu, cx.pipes);
    const { rho, nS } = encodeRho(cx, pre, sp);
    pre.encode(enc);
    for (const ch of cx.chunks(N, N, sp)) {
      const rec = new KernelRecording(cx.gpu, cx.pipes);
      const C = ch.C;
      const tk = cx.chunkTokens(enc, 'tokA', tokBuf, ch);
      const colt = tableBuffer(cx.gpu, ch.colt);
      const hw = tableBuffer(cx.gpu, ch.hw);
      const X0 = cx.mat('D0', C);
      const Acc = cx.mat('AD', C);
      const wx = cx.wx(C / 4);
      const dummy = cx.ws.get('dummy', 16);
      rec.dispatch(cx.prog(`init_hot/${wx}`, () => initProgram({ softmax: false, onehot: true, wx, wy: cx.lanes / wx })), { V: cx.V, C, cv: C / 4 }, [dummy, colt, dummy, tk, hw, X0, Acc], rowGrid(Math.ceil(C / 4 / wx), cx.V, cx.lanes / wx));
      encodeHops(cx, rec, ch, hw, [[X0, cx.mat('D1', C), cx.mat('D2', C), Acc]], 'forward');
      const nb = Math.max(1, Math.min(Math.ceil(cx.V / 32), Math.ceil(4096 / C)));
      const R = Math.ceil(cx.V / nb);
      const partial = cx.ws.get('partial', nb * C * 4);
      const wxc = cx.wx(C);
      rec.dispatch(cx.prog(`kl_partial/${wxc}`, () => klPartialProgram(wxc, cx.lanes / wxc)), { V: cx.V, C, act: C, nb, R, n: nS }, [Acc, rho, colt, ps.buf, partial], rowGrid(Math.ceil(C / wxc), nb, cx.lanes / wxc));
      const dot = cx.ws.get('dot', C * 4);
      rec.dispatch(cx.prog('colcombine', () => colCombineProgram(cx.lanes)), { C, act: C, nb }, [partial, dot], [Math.ceil(C / cx.lanes)]);
      rec.encode(enc);
      // One time for every column: the columns are the chunk's rows in order.
      enc.copyBufferToBuffer(dot, 0, out, ch.p0 * 4, ch.n * 4);
    }
  });
  return Float64Array.from(new Float32Array(r.out), (x) => Math.max(0, x));
}
