// Forward corruption x_t ~ q_t(. | x0) on the GPU by exact path simulation (docs/math.md §2.1,
// compiler/wgsl/corrupt.ts): per-slot clock parameters from the host coefficients, alias tables of
// the reset laws, and the reset and jump clocks (closed forms or a table) when reset and jump
// channels are not in fixed proportion. The float64 reference is reference/kernel/sample.ts.
import { corruptProgram, type ClockWgsl } from '../../compiler/wgsl/corrupt.ts';
import { KernelRecording, tableBuffer } from './encoder.ts';
import { aliasTable } from './graph.ts';
import { CLOCK_NODES, closedFormClock } from './clock.ts';
import { linearGrid, seedWords, type BatchShape, type KernelContext } from './context.ts';

function distAlias(cx: KernelContext): { prob: GPUBuffer; alias: GPUBuffer } {
  if (!cx.distAliasBufs) {
    const G = Math.max(1, cx.resetDists.length);
    const prob = new Float32Array(G * cx.V);
    const alias = new Uint32Array(G * cx.V);
    cx.resetDists.forEach((p, g) => {
      const t = aliasTable(p);
      prob.set(Float32Array.from(t.prob), g * cx.V);
      alias.set(Uint32Array.from(t.alias), g * cx.V);
    });
    cx.distAliasBufs = { prob: tableBuffer(cx.gpu, prob, 'dist alias prob'), alias: tableBuffer(cx.gpu, alias, 'dist alias idx') };
  }
  return cx.distAliasBufs;
}

/**
 * x_t ~ q_t(. | x0) for B*L positions (x0 u32 in, x_t u32 out with [MASK] = V), exact path
 * simulation (docs/math.md §2.1). Reproducible: draws depend on (seed, sequence, position, stream).
 */
export function encodeCorrupt(cx: KernelContext, enc: GPUCommandEncoder, a: BatchShape & { x0: GPUBuffer; out: GPUBuffer; seed: number; stream?: number }): void {
  const st = cx.st;
  const clockInfo = st.resets.length > 0 && (st.jumpChannels.length > 0 || st.resets.length > 1) && !cx.co.coProportional ? clockWgsl(cx) : undefined;
  const clock = clockInfo?.wgsl;
  const N = a.B * a.L;
  const sp = cx.slots(a);
  const par = new Float32Array(sp.slots.length * 20);
  // The amounts at 0: the prefix before 0 of a schedule that starts corrupted (docs/math.md §1.6).
  const at0 = cx.co.lambdas(0);
  const sumAt0 = (cs: readonly number[]) => cs.reduce((x, c) => x + at0[c]!, 0);
  sp.slots.forEach((sl, s) => {
    const co = sl.co;
    const L1 = cx.co.lambdas(sl.t);
    const Lu = co.totals.u;
    const La = co.totals.a;
    par.set([co.maskProb, co.keep, Lu, La, Lu > 0 ? La / Lu : 0, -Math.expm1(-Lu), Math.exp(-Lu), 0], 20 * s);
    let cum = 0;
    st.resets.forEach((g, gi) => {
      cum += g.channels.reduce((x, c) => x + L1[c]!, 0) / (Lu > 0 ? Lu : 1);
      par[20 * s + 8 + gi] = cum;
    });
    if (clock) {
      const U0 = sumAt0(st.resetChannels);
      par.set([sl.t, U0, sumAt0(st.jumpChannels), 0], 20 * s + 12);
      let c0 = 0;
      st.resets.forEach((g, gi) => {
        c0 += sumAt0(g.channels) / (U0 > 0 ? U0 : 1);
        par[20 * s + 16 + gi] = c0;
      });
    }
  });
  const groups = st.resets.map((g) => (g.dist.kind === 'uniform' ? 'uniform' : 'alias') as 'uniform' | 'alias');
  const prog = cx.prog(`corrupt/${groups.join(',')}/${clock?.kind ?? 'none'}`, () => corruptProgram({ hasMask: st.hasMask, groups, jump: !!cx.jump, wg: cx.lanes, clock }));
  const g = cx.jump;
  const dummy = cx.ws.get('dummy', 16);
  const da = distAlias(cx);
  const rec = new KernelRecording(cx.gpu, cx.pipes);
  const [kx, ky] = seedWords(a.seed);
  rec.dispatch(
    prog,
    { V: cx.V, C: N, n: a.L, seed0: kx, seed1: ky, stream: a.stream ?? 0, f3: Infinity },
    [a.x0, a.out, tableBuffer(cx.gpu, Uint32Array.from(sp.slotOfSeq)), tableBuffer(cx.gpu, par), g?.rowPtr ?? dummy, g?.col ?? dummy, g?.aliasProb ?? dummy, g?.aliasIdx ?? dummy, da.prob, da.alias, ...(clockInfo?.table ? [clockInfo.table] : [])],
    linearGrid(N, cx.lanes),
  );
  rec.encode(enc);
}

/**
 * The reset and jump clocks for corruptProgram when reset and jump channels are not in fixed
 * proportion: WGSL compiled from the IR's closed forms of Lambda_c and sigma_c (parameters as
 * literals), or, for tabulated rates, a table of the host's rates at tau = i / CLOCK_NODES with
 * cubic Hermite interpolation (exact slopes; its error is below f32 resolution for smooth rates).
 */
function clockWgsl(cx: KernelContext): { wgsl: ClockWgsl; table: GPUBuffer | null } {
  if (cx.clock) return cx.clock;
  const closed = cx.tabulated ? null : closedFormClock(cx.st);
  if (!closed) {
    const M = CLOCK_NODES;
    const tab = new Float32Array(8 * (M + 1));
    for (let i = 0; i <= M; i++) {
      const tau = i / M;
      const L = cx.co.totals(tau);
      const sg = cx.co.sigmas(tau);
      tab.set([L.u, sg.u, L.a, sg.a, ...Array.from(sg.resetGroups).slice(0, 4)], 8 * i);
    }
    return (cx.clock = { wgsl: { kind: 'table', M }, table: tableBuffer(cx.gpu, tab, 'clock table') });
  }
  return (cx.clock = { wgsl: closed, table: null });
}

/** Convenience: corrupts host tokens (t per sequence of L positions, or one t). */
export async function corrupt(cx: KernelContext, x0: Uint32Array | number[], t: ArrayLike<number> | number, o: { L?: number; seed: number; stream?: number }): Promise<Uint32Array> {
  const tok = cx.tokens(x0, 'token', 'x0');
  const sh = cx.shape(tok.length, t, o.L);
  const out = cx.fresh(tok.length * 4);
  const r = await cx.run({ out: { buf: out, bytes: tok.length * 4 } }, (enc) => encodeCorrupt(cx, enc, { ...sh, x0: cx.upload(tok), out, seed: o.seed, stream: o.stream }));
  return new Uint32Array(r.out);
}
