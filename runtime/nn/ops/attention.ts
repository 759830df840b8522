// Fused multi-head attention, O = softmax(scale * Q K^T [+ causal mask]) V, without
// materialising the L x L scores (FlashAttention's recurrence, Dao et al. 2022).
//
// One query row per workgroup; each lane owns the head-dimension elements d = lane + c * LANES.
// Forward, per key j: s = red_sum(q . k_j) * scale; online softmax with running max m and sum l;
// o = o * exp(m_old - m) + exp(s - m) v_j. The row's log-sum-exp is saved for the backward.
// Backward, recomputing P_ij = exp(s_ij - lse_i) (no L x L storage), with D_i = dO_i . O_i:
//   dV_j = sum_i P_ij dO_i,  dS_ij = P_ij (dO_i . v_j - D_i),
//   dQ_i = scale sum_j dS_ij k_j,  dK_j = scale sum_i dS_ij q_i.
// dQ is computed per query row (which also writes D), dK and dV per key row: every sum has one
// owner and a fixed order, so there are no atomics and the result is deterministic.
//
// Q, K, V, O and their gradients are [B, H, L, dh] views with any strides over (b, h, l) and a
// dense head dimension, so they can be the q/k/v parts of a fused [B, L, 3, H, dh] projection and
// O can be written straight into a [B, L, H, dh] (= [B*L, D]) layout for the output projection.
import { uniformLayout, type Recorder, type Window } from '../../gpu/index.ts';
import { windowFor } from '../bind.ts';
import { dispatchOp, type Slot } from '../dispatch.ts';
import { NnError } from '../errors.ts';
import { extentOf, stridesOf, tempTensor, type Tensor } from '../tensor.ts';
import { groups, header, reductions, targetOf, WG_INDEX, type Target } from '../wgsl.ts';

const VIEWS = ['q', 'k', 'v', 'o', 'g', 'dq', 'dk', 'dv'] as const;
type ViewName = (typeof VIEWS)[number];

function viewFields(): Record<string, 'u32'> {
  const f: Record<string, 'u32'> = {};
  for (const n of VIEWS) for (const s of ['o', 'b', 'h', 'l']) f[`${n}_${s}`] = 'u32';
  return f;
}

const AU = uniformLayout('AttnU', {
  B: 'u32', H: 'u32', L: 'u32', dh: 'u32', causal: 'u32', scale: 'f32', lse_o: 'u32', dd_o: 'u32',
  ...(viewFields() as { [K in `${ViewName}_${'o' | 'b' | 'h' | 'l'}`]: 'u32' }),
});

type AttnValues = Parameters<typeof AU.pack>[2];

/** Per-lane register slots for the head dimension. */
function dpl(t: Target, dh: number): number {
  return Math.ceil(dh / t.lanes);
}

function prelude(t: Target, decls: string): string {
  return `${header(t)}
${AU.wgsl}
@group(0) @binding(0) var<uniform> u: AttnU;
${decls}
${reductions(t)}
struct Row { b: u32, h: u32, i: u32 }
fn row_of(r: u32) -> Row { var x: Row; x.i = r % u.L; let bh = r / u.L; x.h = bh % u.H; x.b = bh / u.H; return x; }`;
}

const base = (n: ViewName, row: string, pos: string) => `u.${n}_o + ${row}.b * u.${n}_b + ${row}.h * u.${n}_h + (${pos}) * u.${n}_l`;

function forwardSource(t: Target, P: number, decls: string): string {
  const c = Array.from({ length: P }, (_, i) => i);
  const d = (i: number) => `lane + ${i * t.lanes}u`;
  return /* wgsl */ `${prelude(t, decls)}
@compute @workgroup_size(${t.lanes})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lane: u32) {
  ${WG_INDEX}
  if (wg_index >= u.B * u.H * u.L) { return; }
  let r = row_of(wg_index);
  let qb = ${base('q', 'r', 'r.i')};
${c.map((i) => `  var q${i} = 0.0; var a${i} = 0.0;\n  if (${d(i)} < u.dh) { q${i} = q[qb + ${d(i)}] * u.scale; }`).join('\n')}
  var m = -3.0e38;
  var l = 0.0;
  let jend = select(u.L, r.i + 1u, u.causal != 0u);
  for (var j = 0u; j < jend; j = j + 1u) {
    let kb = ${base('k', 'r', 'j')};
    var part = 0.0;
${c.map((i) => `    if (${d(i)} < u.dh) { part = part + q${i} * k[kb + ${d(i)}]; }`).join('\n')}
    let s = red_sum(part, lane);
    let mn = max(m, s);
    let corr = exp(m - mn);
    let p = exp(s - mn);
    l = l * corr + p;
    m = mn;
    let vb = ${base('v', 'r', 'j')};
${c.map((i) => `    if (${d(i)} < u.dh) { a${i} = a${i} * corr + p * v[vb + ${d(i)}]; }`).join('\n')}
  }
  let inv = 1.0 / l;
  let ob = ${base('o', 'r', 'r.i')};
${c.map((i) => `  if (${d(i)} < u.dh) { o[ob + ${d(i)}] = a${i} * inv; }`).join('\n')}
  if (lane == 0u) { lse[u.lse_o + wg_index] = m + log(l); }
}`;
}

function dqSource(t: Target, P: number, decls: string): string {
  const c = Array.from({ length: P }, (_, i) => i);
  const d = (i: number) => `lane + ${i * t.lanes}u`;
  return /* wgsl */ `${prelude(t, decls)}
@compute @workgroup_size(${t.lanes})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lane: u32) {
  ${WG_INDEX}
  if (wg_index >= u.B * u.H * u.L) { return; }
  let r = row_of(wg_index);
  let qb = ${base('q', 'r', 'r.i')};
  let gb = ${base('g', 'r', 'r.i')};
  let ob = ${base('o', 'r', 'r.i')};
  var dpart = 0.0;
${c.map((i) => `  var q${i} = 0.0; var g${i} = 0.0; var a${i} = 0.0;
  if (${d(i)} < u.dh) { q${i} = q[qb + ${d(i)}] * u.scale; g${i} = g[gb + ${d(i)}]; dpart = dpart + g${i} * o[ob + ${d(i)}]; }`).join('\n')}
  let di = red_sum(dpart, lane);
  let lse_i = lse[u.lse_o + wg_index];
  let jend = select(u.L, r.i + 1u, u.causal != 0u);
  for (var j = 0u; j < jend; j = j + 1u) {
    let kb = ${base('k', 'r', 'j')};
    let vb = ${base('v', 'r', 'j')};
    var sp = 0.0;
    var dp = 0.0;
${c.map((i) => `    if (${d(i)} < u.dh) { sp = sp + q${i} * k[kb + ${d(i)}]; dp = dp + g${i} * v[vb + ${d(i)}]; }`).join('\n')}
    let p = exp(red_sum(sp, lane) - lse_i);
    let ds = p * (red_sum(dp, lane) - di);
${c.map((i) => `    if (${d(i)} < u.dh) { a${i} = a${i} + ds * k[kb + ${d(i)}]; }`).join('\n')}
  }
  let dqb = ${base('dq', 'r', 'r.i')};
${c.map((i) => `  if (${d(i)} < u.dh) { dq[dqb + ${d(i)}] = a${i} * u.scale; }`).join('\n')}
  if (lane == 0u) { dd[u.dd_o + wg_index] = di; }
}`;
}

function dkvSource(t: Target, P: number, shared: boolean, decls: string): string {
  const c = Array.from({ length: P }, (_, i) => i);
  const d = (i: number) => `lane + ${i * t.lanes}u`;
  const dk = shared ? 'dkv' : 'dk';
  const dv = shared ? 'dkv' : 'dv';
  return /* wgsl */ `${prelude(t, decls)}
@compute @workgroup_size(${t.lanes})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lane: u32) {
  ${WG_INDEX}
  if (wg_index >= u.B * u.H * u.L) { return; }
  let r = row_of(wg_index);  // r.i is the key row j
  let kb = ${base('k', 'r', 'r.i')};
  let vb = ${base('v', 'r', 'r.i')};
${c.map((i) => `  var k${i} = 0.0; var v${i} = 0.0; var ak${i} = 0.0; var av${i} = 0.0;
  if (${d(i)} < u.dh) { k${i} = k[kb + ${d(i)}] * u.scale; v${i} = v[vb + ${d(i)}]; }`).join('\n')}
  let row0 = wg_index - r.i;  // the (b, h) block's first row, for lse and D
  let istart = select(0u, r.i, u.causal != 0u);
  for (var i = istart; i < u.L; i = i + 1u) {
    let qb = ${base('q', 'r', 'i')};
    let gb = ${base('g', 'r', 'i')};
    var sp = 0.0;
    var dp = 0.0;
${c.map((i) => `    if (${d(i)} < u.dh) { sp = sp + k${i} * q[qb + ${d(i)}]; dp = dp + v${i} * g[gb + ${d(i)}]; }`).join('\n')}
    let p = exp(red_sum(sp, lane) - lse[u.lse_o + row0 + i]);
    let ds = p * (red_sum(dp, lane) - dd[u.dd_o + row0 + i]);
${c.map((i) => `    if (${d(i)} < u.dh) { av${i} = av${i} + p * g[gb + ${d(i)}]; ak${i} = ak${i} + ds * q[qb + ${d(i)}]; }`).join('\n')}
  }
  let dkb = ${base('dk', 'r', 'r.i')};
  let dvb = ${base('dv', 'r', 'r.i')};
${c.map((i) => `  if (${d(i)} < u.dh) { ${dk}[dkb + ${d(i)}] = ak${i} * u.scale; ${dv}[dvb + ${d(i)}] = av${i}; }`).join('\n')}
}`;
}

interface Dims {
  B: number;
  H: number;
  L: number;
  dh: number;
}

function checkView(op: string, field: string, t: Tensor, dims: Dims): void {
  const s = [dims.B, dims.H, dims.L, dims.dh];
  if (t.shape.length !== 4 || t.shape.some((x, i) => x !== s[i])) throw new NnError(op, field, `expected [B, H, L, dh] = [${s}], got [${t.shape}]`);
  if (stridesOf(t)[3] !== 1) throw new NnError(op, field, 'the head dimension must be dense (stride 1)');
  if (t.dtype !== 'f32') throw new NnError(op, field, `expected f32, got ${t.dtype}`);
}

/** Binds several views (of one buffer when `union`) and fills their uniform fields. */
function bindView(rec: Recorder, op: string, field: ViewName, t: Tensor, vals: Record<string, number>, w?: Window, baseOffset?: number): Window {
  const win = w ?? windowFor(rec.gpu, op, field, t);
  const s = stridesOf(t);
  vals[`${field}_o`] = win.shift + (baseOffset === undefined ? 0 : t.offset - baseOffset);
  vals[`${field}_b`] = s[0]!;
  vals[`${field}_h`] = s[1]!;
  vals[`${field}_l`] = s[2]!;
  return win;
}

function emptyValues(d: Dims, causal: boolean, scale: number): Record<string, number> {
  const v: Record<string, number> = { B: d.B, H: d.H, L: d.L, dh: d.dh, causal: causal ? 1 : 0, scale, lse_o: 0, dd_o: 0 };
  for (const n of VIEWS) for (const s of ['o', 'b', 'h', 'l']) v[`${n}_${s}`] = 0;
  return v;
}

export interface AttentionArgs {
  /** [B, H, L, dh] views (dense head dimension, any other strides). */
  q: Tensor;
  k: Tensor;
  v: Tensor;
  /** Output, a [B, H, L, dh] view. */
  o: Tensor;
  /** Key j is hidden from query i when j > i. */
  causal?: boolean;
  /** Score scale; default 1 / sqrt(dh). */
  scale?: number;
  /** Where to save the per-row log-sum-exp [B, H, L]; default a temp of this recording. */
  lse?: Tensor;
}

function dimsOf(op: string, q: Tensor): Dims {
  if (q.shape.length !== 4) throw new NnError(op, 'q', `expected [B, H, L, dh], got [${q.shape}]`);
  const [B, H, L, dh] = q.shape as [number, number, number, number];
  if (dh < 1 || L < 1) throw new NnError(op, 'q', `empty shape [${q.shape}]`);
  return { B, H, L, dh };
}

/** Encodes the forward pass; returns the saved log-sum-exp [B, H, L]. */
export function attentionForward(rec: Recorder, a: AttentionArgs): Tensor {
  const op = 'attention';
  const dims = dimsOf(op, a.q);
  for (const [f, t] of [['q', a.q], ['k', a.k], ['v', a.v], ['o', a.o]] as const) checkView(op, f, t, dims);
  const rows = dims.B * dims.H * dims.L;
  const lse = a.lse ?? tempTensor(rec, [dims.B, dims.H, dims.L], 'f32', 'attention lse');
  if (lse.shape.reduce((x, y) => x * y, 1) !== rows) throw new NnError(op, 'lse', `expected ${rows} elements, got [${lse.shape}]`);
  const t = targetOf(rec.gpu);
  const P = dpl(t, dims.dh);
  const vals = emptyValues(dims, !!a.causal, a.scale ?? 1 / Math.sqrt(dims.dh));
  const windows = [
    bindView(rec, op, 'q', a.q, vals),
    bindView(rec, op, 'k', a.k, vals),
    bindView(rec, op, 'v', a.v, vals),
    bindView(rec, op, 'o', a.o, vals),
    windowFor(rec.gpu, op, 'lse', lse, 0, rows),
  ];
  vals['lse_o'] = windows[4]!.shift;
  dispatchOp(rec, {
    key: `attn.fwd|${t.tag}|${P}`,
    label: 'attention.fwd',
    slots: [{ name: 'q' }, { name: 'k' }, { name: 'v' }, { name: 'o', write: true }, { name: 'lse', write: true }],
    windows,
    uniform: { layout: AU, values: vals as AttnValues },
    workgroups: groups(rows, 1),
    make: (d) => forwardSource(t, P, d),
  });
  return lse;
}

export interface AttentionBackwardArgs {
  q: Tensor;
  k: Tensor;
  v: Tensor;
  /** The forward's output and saved log-sum-exp. */
  o: Tensor;
  lse: Tensor;
  /** dL/dO, a [B, H, L, dh] view. */
  dout: Tensor;
  /** Receive the gradients (overwritten); dk and dv may be interleaved views of one buffer. */
  dq: Tensor;
  dk: Tensor;
  dv: Tensor;
  causal?: boolean;
  scale?: number;
}

export function attentionBackward(rec: Recorder, a: AttentionBackwardArgs): void {
  const op = 'attentionBackward';
  const dims = dimsOf(op, a.q);
  for (const [f, t] of [['q', a.q], ['k', a.k], ['v', a.v], ['o', a.o], ['dout', a.dout], ['dq', a.dq], ['dk', a.dk], ['dv', a.dv]] as const) {
    checkView(op, f, t, dims);
  }
  const rows = dims.B * dims.H * dims.L;
  if (a.lse.shape.reduce((x, y) => x * y, 1) !== rows) throw new NnError(op, 'lse', `expected ${rows} elements, got [${a.lse.shape}]`);
  const t = targetOf(rec.gpu);
  const P = dpl(t, dims.dh);
  const scale = a.scale ?? 1 / Math.sqrt(dims.dh);
  const dd = tempTensor(rec, [rows], 'f32', 'attention D');
  const wLse = windowFor(rec.gpu, op, 'lse', a.lse, 0, rows);
  const wDd = windowFor(rec.gpu, op, 'D', dd, 0, rows);

  // dQ (and D).
  {
    const vals = emptyValues(dims, !!a.causal, scale);
    const w = [
      bindView(rec, op, 'q', a.q, vals), bindView(rec, op, 'k', a.k, vals), bindView(rec, op, 'v', a.v, vals),
      bindView(rec, op, 'o', a.o, vals), bindView(rec, op, 'g', a.dout, vals), wLse, bindView(rec, op, 'dq', a.dq, vals), wDd,
    ];
    vals['lse_o'] = wLse.shift;
    vals['dd_o'] = wDd.shift;
    dispatchOp(rec, {
      key: `attn.dq|${t.tag}|${P}`,
      label: 'attention.bwd.dq',
      slots: [{ name: 'q' }, { name: 'k' }, { name: 'v' }, { name: 'o' }, { name: 'g' }, { name: 'lse' }, { name: 'dq', write: true }, { name: 'dd', write: true }],
      fields: ['q', 'k', 'v', 'o', 'dout', 'lse', 'dq', 'D'],
      windows: w,
      uniform: { layout: AU, values: vals as AttnValues },
      workgroups: groups(rows, 1),
      make: (d) => dqSource(t, P, d),
    });
  }

  // dK and dV; one binding when they share a buffer (two writable bindings may not overlap).
  {
    const vals = emptyValues(dims, !!a.causal, scale);
    const shared = a.dk.buffer === a.dv.buffer;
    const w: Window[] = [
      bindView(rec, op, 'q', a.q, vals), bindView(rec, op, 'k', a.k, vals), bindView(rec, op, 'v', a.v, vals),
      bindView(rec, op, 'g', a.dout, vals), wLse, wDd,
    ];
    const slots: Slot[] = [{ name: 'q' }, { name: 'k' }, { name: 'v' }, { name: 'g' }, { name: 'lse' }, { name: 'dd' }];
    if (shared) {
      const start = Math.min(a.dk.offset, a.dv.offset);
      const end = Math.max(a.dk.offset + extentOf(a.dk), a.dv.offset + extentOf(a.dv));
      const union: Tensor = { buffer: a.dk.buffer, offset: start, shape: [end - start], dtype: 'f32' };
      const wu = windowFor(rec.gpu, op, 'dk/dv', union);
      bindView(rec, op, 'dk', a.dk, vals, wu, start);
      bindView(rec, op, 'dv', a.dv, vals, wu, start);
      w.push(wu);
      slots.push({ name: 'dkv', write: true });
    } else {
      w.push(bindView(rec, op, 'dk', a.dk, vals), bindView(rec, op, 'dv', a.dv, vals));
      slots.push({ name: 'dk', write: true }, { name: 'dv', write: true });
    }
    vals['lse_o'] = wLse.shift;
    vals['dd_o'] = wDd.shift;
    dispatchOp(rec, {
      key: `attn.dkv|${t.tag}|${P}|${shared ? 's' : ''}`,
      label: 'attention.bwd.dkv',
      slots,
      fields: ['q', 'k', 'v', 'dout', 'lse', 'D', ...(shared ? ['dk/dv'] : ['dk', 'dv'])],
      windows: w,
      uniform: { layout: AU, values: vals as AttnValues },
      workgroups: groups(rows, 1),
      make: (d) => dkvSource(t, P, shared, d),
    });
  }
}
