// adaLN modulation and the gated residual against float64, with the per-sequence vectors as
// strided chunks of one [B, 6D] tensor (as DiT lays them out).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Recorder, getGpu } from '../../../runtime/gpu/index.ts';
import { gatedResidualBackward, gatedResidualForward, modulateBackward, modulateForward } from '../../../runtime/nn/ops/modulate.ts';
import { chunkLast } from '../../../runtime/nn/tensor.ts';
import * as ref from '../../../reference/nn/modulate.ts';
import { assertClose, bitsEqual, maxAbs, randn, read, upload, zeros } from './helpers.ts';

/** Column block k of a [B, 6D] host array. */
function col(h: Float32Array, B: number, D: number, k: number): Float32Array {
  const out = new Float32Array(B * D);
  for (let b = 0; b < B; b++) for (let d = 0; d < D; d++) out[b * D + d] = h[b * 6 * D + k * D + d]!;
  return out;
}

async function run(B: number, L: number, D: number, seed: number) {
  const gpu = await getGpu();
  const rec = new Recorder(gpu);
  const n = B * L * D;
  const xh = randn(n, seed);
  const yh = randn(n, seed + 1);
  const dyh = randn(n, seed + 2);
  const vh = randn(B * 6 * D, seed + 3, 0.5);
  const dvh0 = randn(B * 6 * D, seed + 4);
  const dx0 = randn(n, seed + 5);
  const x = upload(gpu, xh, [B, L, D], { offset: 1 });
  const y = upload(gpu, yh, [B, L, D]);
  const dy = upload(gpu, dyh, [B, L, D]);
  const v = upload(gpu, vh, [B, 6 * D]);
  const dv = upload(gpu, dvh0, [B, 6 * D], { offset: 3 });
  const [shift, scale, gate] = chunkLast(v, 6);
  const [dshift, dscale, dgate] = chunkLast(dv, 6);
  const ym = zeros(gpu, [B, L, D]);
  const out = zeros(gpu, [B, L, D], 2);
  const dxm = upload(gpu, dx0, [B, L, D]);
  const dyg = zeros(gpu, [B, L, D]);
  modulateForward(rec, { x, shift: shift!, scale: scale!, y: ym });
  gatedResidualForward(rec, { x, gate: gate!, y, out });
  modulateBackward(rec, { x, dy, scale: scale!, dx: dxm, dshift: dshift!, dscale: dscale!, accumulate: true });
  gatedResidualBackward(rec, { y, gate: gate!, dout: dy, dy: dyg, dgate: dgate!, accumulateGate: true });
  const o = { ym: new Float32Array(n), out: new Float32Array(n), dxm: new Float32Array(n), dyg: new Float32Array(n), dv: new Float32Array(B * 6 * D) };
  rec.read(ym, o.ym);
  rec.read(out, o.out);
  rec.read(dxm, o.dxm);
  rec.read(dyg, o.dyg);
  rec.read(dv, o.dv);
  await rec.submit();
  return { xh, yh, dyh, vh, dvh0, dx0, o };
}

test('modulate and gated residual match float64 (rtol 1e-5 / 1e-4 for sums over positions)', async () => {
  for (const [B, L, D] of [[1, 1, 3], [3, 45, 20], [2, 70, 9]] as const) {
    const { xh, yh, dyh, vh, dvh0, dx0, o } = await run(B, L, D, B * 100 + L + D);
    const [sh, sc, ga] = [0, 1, 2].map((k) => col(vh, B, D, k)) as [Float32Array, Float32Array, Float32Array];
    const what = `B=${B} L=${L} D=${D}`;
    assertClose(o.ym, ref.modulateForward(xh, sh, sc, B, L, D), { rtol: 1e-5, atol: 1e-6, what: `modulate ${what}` });
    assertClose(o.out, ref.gatedResidualForward(xh, ga, yh, B, L, D), { rtol: 1e-5, atol: 1e-6, what: `gated ${what}` });
    const mb = ref.modulateBackward(xh, dyh, sc, B, L, D);
    assertClose(o.dxm, mb.dx.map((v, i) => v + dx0[i]!), { rtol: 1e-5, atol: 1e-6, what: `modulate dx ${what}` });
    const gb = ref.gatedResidualBackward(yh, ga, dyh, B, L, D);
    assertClose(o.dyg, gb.dy, { rtol: 1e-5, atol: 1e-6, what: `gated dy ${what}` });
    const dvo = [0, 1, 2, 3, 4, 5].map((k) => col(o.dv, B, D, k));
    const dv0 = [0, 1, 2, 3, 4, 5].map((k) => col(dvh0, B, D, k));
    const tol = (w: Float64Array) => ({ rtol: 1e-4, atol: 1e-5 * maxAbs(w) });
    assertClose(dvo[0]!, mb.dshift, { ...tol(mb.dshift), what: `dshift ${what}` });
    assertClose(dvo[1]!, mb.dscale, { ...tol(mb.dscale), what: `dscale ${what}` });
    const dgw = gb.dgate.map((v, i) => v + dv0[2]![i]!);
    assertClose(dvo[2]!, dgw, { ...tol(dgw), what: `dgate (accumulated) ${what}` });
    for (const k of [3, 4, 5]) assert.ok(bitsEqual(dvo[k]!, dv0[k]!), `chunk ${k} untouched`);
  }
});

test('adaLN backward: same inputs, same bits', async () => {
  const a = await run(2, 70, 9, 1);
  const b = await run(2, 70, 9, 1);
  assert.ok(bitsEqual(a.o.dv, b.o.dv) && bitsEqual(a.o.dxm, b.o.dxm));
});

test.run();
