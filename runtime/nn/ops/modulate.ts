// adaLN: per-sequence vectors broadcast over positions (DiT's conditioning).
//   modulate:         y = x * (1 + scale[b]) + shift[b]
//   gated residual: out = x + gate[b] * y
// x, y, out are dense [B, L, D]; shift/scale/gate are [B, D] views with any row stride (typically
// chunks of one [B, 6D] projection, see tensor.chunkLast). Backward:
//   modulate: dx = dy * (1 + scale), dscale[b] = sum_l dy * x, dshift[b] = sum_l dy
//   gated:    dy = gate * dout,      dgate[b]  = sum_l dout * y    (dx = dout: the caller's)
// The sums over positions go through fixed blocks (colsum.ts), so they are deterministic.
import { runsOf, uniformLayout, type Recorder, type Window } from '../../gpu/index.ts';
import { expectDense, expectShape, windowFor } from '../bind.ts';
import { dispatchOp } from '../dispatch.ts';
import { NnError } from '../errors.ts';
import { stridesOf, tempTensor, type Tensor } from '../tensor.ts';
import { groups, WG_INDEX } from '../wgsl.ts';
import { COL_BLOCK, colsumFinish } from './colsum.ts';

const WG = 64;
const PER = 4;

const MU = uniformLayout('ModU', { n: 'u32', L: 'u32', D: 'u32', o0: 'u32', o1: 'u32', o2: 'u32', o3: 'u32', s1: 'u32', s2: 'u32' });

/** Elementwise body over i < n with b = i / (L*D), d = i % D; `v1(i)`/`v2(i)` read vectors at (b, d). */
interface Bcast {
  key: string;
  nbuf: number;
  vecs: number[];
  body: string;
}

function bcast(name: string, nbuf: number, vecs: number[], body: string): Bcast {
  return { key: `mod.${name}`, nbuf, vecs, body };
}

function bcastSource(k: Bcast, decls: string): string {
  const { vecs, body } = k;
  return /* wgsl */ `
${MU.wgsl}
@group(0) @binding(0) var<uniform> u: ModU;
${decls}
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  ${WG_INDEX}
  let base = wg_index * ${WG * PER}u + lid;
  for (var k = 0u; k < ${PER}u; k = k + 1u) {
    let i = base + k * ${WG}u;
    if (i < u.n) {
      let b = i / (u.L * u.D);
      let d = i % u.D;
${vecs.map((v) => `      let v${v} = t${v}[u.o${v} + b * u.s${v} + d];`).join('\n')}
      ${body}
    }
  }
}`;
}

// Bindings are declared only where used (auto layouts drop unused ones).
// modulate fwd: t0=x, t1=shift, t2=scale, t3=y.
const modF = () => bcast('fwd', 4, [1, 2], 't3[u.o3 + i] = t0[u.o0 + i] * (1.0 + v2) + v1;');
// modulate bwd dx: t0=dy, t1=scale, t2=dx.
const modB = (acc: boolean) =>
  bcast(`bwd${acc ? '.acc' : ''}`, 3, [1], acc ? 't2[u.o2 + i] = t2[u.o2 + i] + t0[u.o0 + i] * (1.0 + v1);' : 't2[u.o2 + i] = t0[u.o0 + i] * (1.0 + v1);');
// gated fwd: t0=x, t1=gate, t2=y, t3=out.
const gateF = () => bcast('gate.fwd', 4, [1], 't3[u.o3 + i] = t0[u.o0 + i] + v1 * t2[u.o2 + i];');
// gated bwd dy: t0=dout, t1=gate, t2=dy.
const gateB = (acc: boolean) =>
  bcast(`gate.bwd${acc ? '.acc' : ''}`, 3, [1], acc ? 't2[u.o2 + i] = t2[u.o2 + i] + v1 * t0[u.o0 + i];' : 't2[u.o2 + i] = v1 * t0[u.o0 + i];');

const PU = uniformLayout('ModPU', { L: 'u32', D: 'u32', NB: 'u32', total: 'u32', oa: 'u32', ob: 'u32', p1: 'u32', p2: 'u32' });

/** Partial sums over blocks of COL_BLOCK positions: p1[b, blk, d] = sum a*bb (and p2 = sum a when `two`). */
function partialSource(two: boolean, decls: string): string {
  return /* wgsl */ `
${PU.wgsl}
@group(0) @binding(0) var<uniform> u: ModPU;
${decls}
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  ${WG_INDEX}
  let i = wg_index * 64u + lid;
  if (i >= u.total) { return; }
  let d = i % u.D;
  let gb = i / u.D;          // b * NB + blk
  let b = gb / u.NB;
  let blk = gb - b * u.NB;
  let l0 = blk * ${COL_BLOCK}u;
  let l1 = min(l0 + ${COL_BLOCK}u, u.L);
  var s1 = 0.0;
  var s2 = 0.0;
  for (var l = l0; l < l1; l = l + 1u) {
    let at = (b * u.L + l) * u.D + d;
    let a = ta[u.oa + at];
    s1 = s1 + a * tb[u.ob + at];
    s2 = s2 + a;
  }
  p1[u.p1 + i] = s1;
  ${two ? 'p2[u.p2 + i] = s2;' : ''}
}`;
}

function dims(op: string, x: Tensor): [number, number, number] {
  if (x.shape.length !== 3) throw new NnError(op, 'x', `expected [B, L, D], got [${x.shape}]`);
  return x.shape as unknown as [number, number, number];
}

function expectVec(op: string, field: string, v: Tensor, B: number, D: number): number {
  expectShape(op, field, v, [B, D]);
  const s = stridesOf(v);
  if (s[1] !== 1) throw new NnError(op, field, 'its last dimension must be dense (stride 1)');
  return B > 1 ? s[0]! : D;
}

interface Run {
  b0: number;
  nb: number;
}

function batchRuns(rec: Recorder, B: number, L: number, D: number): Run[] {
  return runsOf(rec.gpu, B, L * D).map(([b0, nb]) => ({ b0, nb }));
}

function ewDispatch(rec: Recorder, label: string, k: Bcast, fields: string[], L: number, D: number, nb: number, w: Window[], s: number[]): void {
  const o = [0, 0, 0, 0];
  w.forEach((x, i) => (o[i] = x.shift));
  dispatchOp(rec, {
    key: k.key,
    label,
    slots: w.map((_, i) => ({ name: `t${i}`, write: i === w.length - 1 })),
    fields,
    windows: w,
    uniform: { layout: MU, values: { n: nb * L * D, L, D, o0: o[0]!, o1: o[1]!, o2: o[2]!, o3: o[3]!, s1: s[1] ?? 0, s2: s[2] ?? 0 } },
    workgroups: groups(nb * L * D, WG * PER),
    make: (decls) => bcastSource(k, decls),
  });
}

function vecWindow(rec: Recorder, op: string, field: string, v: Tensor, stride: number, b0: number, nb: number, D: number): Window {
  return windowFor(rec.gpu, op, field, v, b0 * stride, (nb - 1) * stride + D);
}

/** y = x * (1 + scale[b]) + shift[b]. */
export function modulateForward(rec: Recorder, a: { x: Tensor; shift: Tensor; scale: Tensor; y: Tensor }): void {
  const op = 'modulate';
  const [B, L, D] = dims(op, a.x);
  expectDense(op, 'x', a.x);
  expectDense(op, 'y', a.y);
  expectShape(op, 'y', a.y, a.x.shape);
  const sh = expectVec(op, 'shift', a.shift, B, D);
  const sc = expectVec(op, 'scale', a.scale, B, D);
  for (const { b0, nb } of batchRuns(rec, B, L, D)) {
    const w = [
      windowFor(rec.gpu, op, 'x', a.x, b0 * L * D, nb * L * D),
      vecWindow(rec, op, 'shift', a.shift, sh, b0, nb, D),
      vecWindow(rec, op, 'scale', a.scale, sc, b0, nb, D),
      windowFor(rec.gpu, op, 'y', a.y, b0 * L * D, nb * L * D),
    ];
    ewDispatch(rec, 'modulate.fwd', modF(), ['x', 'shift', 'scale', 'y'], L, D, nb, w, [0, sh, sc]);
  }
}

export interface ModulateBackwardArgs {
  x: Tensor;
  dy: Tensor;
  scale: Tensor;
  /** Receives dy * (1 + scale) (added with `accumulate`). */
  dx?: Tensor;
  /** [B, D] views; receive the sums over positions (added with `accumulateVectors`). */
  dshift?: Tensor;
  dscale?: Tensor;
  accumulate?: boolean;
  accumulateVectors?: boolean;
}

export function modulateBackward(rec: Recorder, a: ModulateBackwardArgs): void {
  const op = 'modulateBackward';
  const [B, L, D] = dims(op, a.x);
  for (const [f, t] of [['x', a.x], ['dy', a.dy], ['dx', a.dx]] as const) {
    if (!t) continue;
    expectDense(op, f, t);
    expectShape(op, f, t, a.x.shape);
  }
  const sc = expectVec(op, 'scale', a.scale, B, D);
  if (a.dshift) expectVec(op, 'dshift', a.dshift, B, D);
  if (a.dscale) expectVec(op, 'dscale', a.dscale, B, D);
  if ((a.dshift === undefined) !== (a.dscale === undefined)) throw new NnError(op, 'dshift', 'give both dshift and dscale, or neither');
  const NB = Math.ceil(L / COL_BLOCK);
  const p1 = a.dscale ? tempTensor(rec, [B, NB, D], 'f32', 'dscale partial') : undefined;
  const p2 = a.dshift ? tempTensor(rec, [B, NB, D], 'f32', 'dshift partial') : undefined;
  for (const { b0, nb } of batchRuns(rec, B, L, D)) {
    const wdy = windowFor(rec.gpu, op, 'dy', a.dy, b0 * L * D, nb * L * D);
    if (a.dx) {
      const w = [wdy, vecWindow(rec, op, 'scale', a.scale, sc, b0, nb, D), windowFor(rec.gpu, op, 'dx', a.dx, b0 * L * D, nb * L * D)];
      ewDispatch(rec, 'modulate.bwd', modB(!!a.accumulate), ['dy', 'scale', 'dx'], L, D, nb, w, [0, sc]);
    }
    if (p1 && p2) {
      const wx = windowFor(rec.gpu, op, 'x', a.x, b0 * L * D, nb * L * D);
      const w1 = windowFor(rec.gpu, op, 'partial', p1, b0 * NB * D, nb * NB * D);
      const w2 = windowFor(rec.gpu, op, 'partial', p2, b0 * NB * D, nb * NB * D);
      dispatchOp(rec, {
        key: 'mod.partial2',
        label: 'modulate.partial',
        slots: [{ name: 'ta' }, { name: 'tb' }, { name: 'p1', write: true }, { name: 'p2', write: true }],
        fields: ['dy', 'x', 'partial', 'partial'],
        windows: [wdy, wx, w1, w2],
        uniform: { layout: PU, values: { L, D, NB, total: nb * NB * D, oa: wdy.shift, ob: wx.shift, p1: w1.shift, p2: w2.shift } },
        workgroups: groups(nb * NB * D, 64),
        make: (decls) => partialSource(true, decls),
      });
    }
  }
  if (p1 && a.dscale) colsumFinish(rec, 'modulate.dscale', p1, a.dscale, B, NB, D, { accumulate: a.accumulateVectors });
  if (p2 && a.dshift) colsumFinish(rec, 'modulate.dshift', p2, a.dshift, B, NB, D, { accumulate: a.accumulateVectors });
}

/** out = x + gate[b] * y. */
export function gatedResidualForward(rec: Recorder, a: { x: Tensor; gate: Tensor; y: Tensor; out: Tensor }): void {
  const op = 'gatedResidual';
  const [B, L, D] = dims(op, a.x);
  for (const [f, t] of [['x', a.x], ['y', a.y], ['out', a.out]] as const) {
    expectDense(op, f, t);
    expectShape(op, f, t, a.x.shape);
  }
  const sg = expectVec(op, 'gate', a.gate, B, D);
  for (const { b0, nb } of batchRuns(rec, B, L, D)) {
    const w = [
      windowFor(rec.gpu, op, 'x', a.x, b0 * L * D, nb * L * D),
      vecWindow(rec, op, 'gate', a.gate, sg, b0, nb, D),
      windowFor(rec.gpu, op, 'y', a.y, b0 * L * D, nb * L * D),
      windowFor(rec.gpu, op, 'out', a.out, b0 * L * D, nb * L * D),
    ];
    ewDispatch(rec, 'gatedResidual.fwd', gateF(), ['x', 'gate', 'y', 'out'], L, D, nb, w, [0, sg]);
  }
}

export interface GatedResidualBackwardArgs {
  /** The gated branch's forward input y, and the gate. */
  y: Tensor;
  gate: Tensor;
  dout: Tensor;
  /** Receives gate * dout (added with `accumulate`). The residual's dx is dout itself. */
  dy?: Tensor;
  /** [B, D] view receiving sum_l dout * y (added with `accumulateGate`). */
  dgate?: Tensor;
  accumulate?: boolean;
  accumulateGate?: boolean;
}

export function gatedResidualBackward(rec: Recorder, a: GatedResidualBackwardArgs): void {
  const op = 'gatedResidualBackward';
  const [B, L, D] = dims(op, a.y);
  for (const [f, t] of [['y', a.y], ['dout', a.dout], ['dy', a.dy]] as const) {
    if (!t) continue;
    expectDense(op, f, t);
    expectShape(op, f, t, a.y.shape);
  }
  const sg = expectVec(op, 'gate', a.gate, B, D);
  if (a.dgate) expectVec(op, 'dgate', a.dgate, B, D);
  const NB = Math.ceil(L / COL_BLOCK);
  const p1 = a.dgate ? tempTensor(rec, [B, NB, D], 'f32', 'dgate partial') : undefined;
  for (const { b0, nb } of batchRuns(rec, B, L, D)) {
    const wdo = windowFor(rec.gpu, op, 'dout', a.dout, b0 * L * D, nb * L * D);
    if (a.dy) {
      const w = [wdo, vecWindow(rec, op, 'gate', a.gate, sg, b0, nb, D), windowFor(rec.gpu, op, 'dy', a.dy, b0 * L * D, nb * L * D)];
      ewDispatch(rec, 'gatedResidual.bwd', gateB(!!a.accumulate), ['dout', 'gate', 'dy'], L, D, nb, w, [0, sg]);
    }
    if (p1) {
      const wy = windowFor(rec.gpu, op, 'y', a.y, b0 * L * D, nb * L * D);
      const w1 = windowFor(rec.gpu, op, 'partial', p1, b0 * NB * D, nb * NB * D);
      dispatchOp(rec, {
        key: 'mod.partial1',
        label: 'gatedResidual.partial',
        slots: [{ name: 'ta' }, { name: 'tb' }, { name: 'p1', write: true }],
        fields: ['dout', 'y', 'partial'],
        windows: [wdo, wy, w1],
        uniform: { layout: PU, values: { L, D, NB, total: nb * NB * D, oa: wdo.shift, ob: wy.shift, p1: w1.shift, p2: 0 } },
        workgroups: groups(nb * NB * D, 64),
        make: (decls) => partialSource(false, decls),
      });
    }
  }
  if (p1 && a.dgate) colsumFinish(rec, 'gatedResidual.dgate', p1, a.dgate, B, NB, D, { accumulate: a.accumulateGate });
}
