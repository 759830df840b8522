// The sampler's rules on the GPU (docs/math.md §4, compiler/wgsl/rules.ts): token counts per
// sequence, the sequence-level rules hoisted once per sequence when their table fits, then one
// kernel over the rows. The float64 reference is reference/kernel/rules.ts.
import { countsProgram, ruleGraphs, rulesProgram, rulesSeqProgram, sequenceLevel } from '../../compiler/wgsl/rules.ts';
import { KernelRecording, tableBuffer } from './encoder.ts';
import { maxBindingBytes, runsOf, windowOf } from '../gpu/window.ts';
import { KernelRuntimeError } from './errors.ts';
import { linearGrid, type KernelContext } from './context.ts';

/**
 * The spec's sampler rules (temperature, top-k, top-p, min-p, repetition penalty, logit[v] op= expr)
 * applied in order to logits [B*L, V] (row-major f32) into `out` (same shape; removed tokens
 * -Infinity). `tokens` [B*L] u32 are the current tokens (count[v] per sequence; [MASK] = V counts
 * nothing); t and s per sequence, step the sampler's step.
 */
export function encodeRules(
  cx: KernelContext,
  enc: GPUCommandEncoder,
  a: { B: number; L: number; t: ArrayLike<number>; s?: ArrayLike<number>; step?: number; logits: GPUBuffer; tokens: GPUBuffer; out: GPUBuffer },
): void {
  const rules = cx.spec.sampler.rules;
  const N = a.B * a.L;
  const V = cx.V;
  if (a.t.length !== a.B) throw new KernelRuntimeError(`t has ${a.t.length} entries for B = ${a.B} sequences`);
  const graphs = ruleGraphs(rules);
  for (const g of graphs) if (!cx.graphs[g]) throw new KernelRuntimeError(`a sampler rule aggregates over graph '${g}', which is not built`);
  const names = cx.spec.params.map((p) => p.name);
  const { subgroups, W: sgW } = cx.rowSubgroups();
  // Sequence-level logit rules (counts and their graph aggregates only) are evaluated once per
  // sequence when their [rules, B, V] table fits one binding.
  const nh = rules.filter(sequenceLevel).length;
  const hoist = nh > 0 && nh * a.B * V * 4 <= maxBindingBytes(cx.gpu);
  const prog = cx.prog(`rules/${subgroups ? sgW : 0}/${hoist}`, () => rulesProgram({ rules, params: names, graphs, W: sgW, subgroups, hoist }));
  const counts = cx.ws.get('counts', a.B * V * 4);
  enc.clearBuffer(counts, 0, a.B * V * 4);
  const rec = new KernelRecording(cx.gpu, cx.pipes);
  rec.dispatch(cx.prog('counts', () => countsProgram(cx.lanes)), { V, C: N, n: a.L }, [a.tokens, counts], linearGrid(N, cx.lanes));
  const ts = new Float32Array(2 * a.B);
  for (let b = 0; b < a.B; b++) ts.set([a.t[b]!, a.s ? a.s[b]! : 0], 2 * b);
  const prm = new Float32Array(1 + names.length);
  prm[0] = Infinity;
  names.forEach((n, i) => {
    const x = cx.st.params[n]!;
    prm[i + 1] = typeof x === 'boolean' ? (x ? 1 : 0) : x;
  });
  const tsBuf = tableBuffer(cx.gpu, ts);
  const prmBuf = tableBuffer(cx.gpu, prm);
  const gb = graphs.flatMap((g) => [cx.graphs[g]!.rowPtr, cx.graphs[g]!.col]);
  // Distinct stand-ins: one buffer may not be bound read-only and read-write in one dispatch.
  const hoisted = hoist ? cx.ws.get('rulesHoist', nh * a.B * V * 4) : cx.ws.get('dummyHoist', 16);
  if (hoist) {
    rec.dispatch(
      cx.prog('rules_seq', () => rulesSeqProgram({ rules, params: names, graphs, W: sgW })),
      { V, act: a.B },
      [counts, tsBuf, prmBuf, hoisted, ...gb],
      [Math.ceil(V / 64), a.B],
    );
  }
  // Rows in windows whose scratch fits one binding (top-k / top-p keep candidate lists of 2V
  // indices per row); a window may start inside a sequence (the kernel finds each row's sequence).
  const select = rules.some((r) => r.kind === 'top_k' || r.kind === 'top_p');
  for (const [r0, n] of runsOf(cx.gpu, N, V * (select ? 2 : 1))) {
    const iw = windowOf(cx.gpu, a.logits, r0 * V, n * V);
    const ow = windowOf(cx.gpu, a.out, r0 * V, n * V);
    const prev = cx.ws.get('rulesPrev', n * V * 4);
    const cand = select ? cx.ws.get('rulesCand', 2 * n * V * 4) : cx.ws.get('dummyCand', 16);
    rec.dispatch(
      prog,
      { V, C: n, n: a.L, R: r0, act: a.B, shift: iw.shift, nb: ow.shift, f0: a.step ?? 0 },
      [iw.range, ow.range, prev, counts, tsBuf, prmBuf, hoisted, cand, ...gb],
      linearGrid(n, 1),
    );
  }
  rec.encode(enc);
}

/** Convenience: rules on host logits [N, V]; tokens are the current tokens of the N positions. */
export async function applyRules(
  cx: KernelContext,
  logits: Float32Array,
  tokens: Uint32Array | number[],
  o: { L?: number; t: ArrayLike<number> | number; s?: ArrayLike<number> | number; step?: number },
): Promise<Float32Array> {
  // V (a position with no token yet) is allowed and not counted, with or without a mask channel.
  const tok = cx.tokens(tokens, 'state', 'tokens', cx.V + 1);
  const N = tok.length;
  const L = o.L ?? N;
  const B = N / L;
  const t = typeof o.t === 'number' ? Array.from({ length: B }, () => o.t as number) : o.t;
  const s = o.s === undefined ? undefined : typeof o.s === 'number' ? Array.from({ length: B }, () => o.s as number) : o.s;
  const out = cx.fresh(N * cx.V * 4);
  const r = await cx.run({ out: { buf: out, bytes: N * cx.V * 4 } }, (enc) =>
    encodeRules(cx, enc, { B, L, t, s, step: o.step, logits: cx.upload(logits), tokens: cx.upload(tok), out }),
  );
  return new Float32Array(r.out);
}
