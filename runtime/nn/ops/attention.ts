// Fused multi-head attention, O = softmax(scale * Q K^T [+ causal mask] [+ key padding mask]) V,
// without materialising the L x L scores (FlashAttention's recurrence, Dao et al. 2022). This file
// checks arguments, binds windows and dispatches; the shaders and their algebra are in
// attention_wgsl.ts.
//
// Q, K, V, O and their gradients are [B, H, L, dh] views with any strides over (b, h, l) and a
// dense head dimension, so they can be the q/k/v parts of a fused [B, L, 3, H, dh] projection and
// O can be written straight into a [B, L, H, dh] (= [B*L, D]) layout for the output projection.
//
// The optional key padding mask is f32 [B, L] (1 real, 0 padding; a key is hidden where it is 0),
// the layout of the denoiser's `keyMask`. It selects separate programs, so calls without it run
// exactly the unmasked kernels.
import { maxBindingBytes, type Recorder, type Window } from '../../gpu/index.ts';
import { expectDense, windowFor } from '../bind.ts';
import { dispatchOp, type Slot } from '../dispatch.ts';
import { NnError } from '../errors.ts';
import { extentOf, narrow, numel, stridesOf, tempTensor, type Tensor } from '../tensor.ts';
import { groups, targetOf, type Target } from '../wgsl.ts';
import { AU, dkvSource, dqSource, forwardSource, sgDkvSource, sgDqSource, sgForwardSource, sgShape, VIEWS, type ViewName } from './attention_wgsl.ts';

type AttnValues = Parameters<typeof AU.pack>[2];

/** Query (or key) rows per workgroup on the shared path: one per invocation. */
function tileOf(t: Target): number {
  return t.lanes;
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

/**
 * The key mask must be dense f32 with B*L elements, and in a buffer that no output of the dispatch
 * writes: the subgroup kernels branch on it, which WGSL allows only for read-only storage.
 */
function checkKeyMask(op: string, km: Tensor, dims: Dims, outputs: readonly Tensor[]): void {
  if (km.dtype !== 'f32') throw new NnError(op, 'keyMask', `expected f32 (1 real, 0 padding), got ${km.dtype}`);
  if (numel(km.shape) !== dims.B * dims.L) throw new NnError(op, 'keyMask', `expected [B, L] = [${dims.B}, ${dims.L}], got [${km.shape}]`);
  expectDense(op, 'keyMask', km);
  if (outputs.some((t) => t.buffer === km.buffer)) throw new NnError(op, 'keyMask', 'shares a buffer with an output of the op; keep it in its own buffer (it is bound read-only)');
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
  const v: Record<string, number> = { B: d.B, H: d.H, L: d.L, dh: d.dh, causal: causal ? 1 : 0, scale, lse_o: 0, dd_o: 0, km_o: 0, ninf: -Infinity };
  for (const n of VIEWS) for (const s of ['o', 'b', 'h', 'l']) v[`${n}_${s}`] = 0;
  return v;
}

/** The key mask's window for batch run [b0, b0 + nb) (its shift goes to u.km_o), as a slot. */
function bindKeyMask(rec: Recorder, op: string, km: Tensor, L: number, b0: number, nb: number, vals: Record<string, number>): Window {
  const w = windowFor(rec.gpu, op, 'keyMask', km, b0 * L, nb * L);
  vals['km_o'] = w.shift;
  return w;
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
  /**
   * Key padding mask, dense f32 [B, L] in its own buffer: key j of sequence b is hidden from every
   * query where keyMask[b, j] == 0 (1 = real). A query row that sees no key gets O = 0 and
   * lse = -inf (and zero gradients in the backward). Padded query rows still get outputs.
   */
  keyMask?: Tensor;
}

/**
 * Batch runs [b0, nb) whose views each fit one binding window (only big activations need more than
 * one); `union` views share one window (dk and dv in one buffer).
 */
function batchRuns(rec: Recorder, op: string, views: readonly Tensor[], B: number, union?: readonly Tensor[]): Array<[number, number]> {
  const cap = Math.floor((maxBindingBytes(rec.gpu) - rec.gpu.limits.minStorageBufferOffsetAlignment) / 4);
  const fits = (nb: number) => {
    if (views.some((t) => extentOf(narrow(t, 0, 0, nb)) > cap)) return false;
    if (!union) return true;
    const u = union.map((t) => narrow(t, 0, 0, nb));
    const start = Math.min(...u.map((t) => t.offset));
    return Math.max(...u.map((t) => t.offset + extentOf(t))) - start <= cap;
  };
  let nb = B;
  while (nb > 1 && !fits(nb)) nb = Math.ceil(nb / 2);
  if (!fits(nb)) throw new NnError(op, 'q', 'one sequence of one batch item exceeds a storage binding window; use fewer heads or a shorter sequence per call');
  const out: Array<[number, number]> = [];
  for (let b = 0; b < B; b += nb) out.push([b, Math.min(nb, B - b)]);
  return out;
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
  const km = a.keyMask;
  if (km) checkKeyMask(op, km, dims, [a.o, lse]);
  const tg = targetOf(rec.gpu);
  const T = tileOf(tg);
  const g = tg.subgroups ? sgShape(tg.lanes, dims.dh) : undefined;
  const kmKey = km ? '|km' : '';
  for (const [b0, nb] of batchRuns(rec, op, [a.q, a.k, a.v, a.o], dims.B)) {
    const sl = (t: Tensor) => narrow(t, 0, b0, nb);
    const cd = { ...dims, B: nb };
    const wgs = groups(nb * dims.H * Math.ceil(dims.L / (g ? g.R : T)), 1);
    const vals = emptyValues(cd, !!a.causal, a.scale ?? 1 / Math.sqrt(dims.dh));
    const windows = [
      bindView(rec, op, 'q', sl(a.q), vals),
      bindView(rec, op, 'k', sl(a.k), vals),
      bindView(rec, op, 'v', sl(a.v), vals),
      bindView(rec, op, 'o', sl(a.o), vals),
      windowFor(rec.gpu, op, 'lse', lse, b0 * dims.H * dims.L, nb * dims.H * dims.L),
    ];
    vals['lse_o'] = windows[4]!.shift;
    const slots: Slot[] = [{ name: 'q' }, { name: 'k' }, { name: 'v' }, { name: 'o', write: true }, { name: 'lse', write: true }];
    if (km) {
      windows.push(bindKeyMask(rec, op, km, dims.L, b0, nb, vals));
      slots.push({ name: 'km' });
    }
    dispatchOp(rec, {
      key: (g ? `attn.sg.fwd|${g.S}|${g.R}|${g.dh}` : `attn.fwd|${T}|${dims.dh}`) + kmKey,
      label: 'attention.fwd',
      slots,
      fields: ['q', 'k', 'v', 'o', 'lse', 'keyMask'],
      windows,
      uniform: { layout: AU, values: vals as AttnValues },
      workgroups: wgs,
      make: (d) => (g ? sgForwardSource(g, !!km, d) : forwardSource(T, dims.dh, !!km, d)),
    });
  }
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
  /** The forward's key mask (hidden keys get dk = dv = 0). */
  keyMask?: Tensor;
}

export function attentionBackward(rec: Recorder, a: AttentionBackwardArgs): void {
  const op = 'attentionBackward';
  const dims = dimsOf(op, a.q);
  for (const [f, t] of [['q', a.q], ['k', a.k], ['v', a.v], ['o', a.o], ['dout', a.dout], ['dq', a.dq], ['dk', a.dk], ['dv', a.dv]] as const) {
    checkView(op, f, t, dims);
  }
  const rows = dims.B * dims.H * dims.L;
  if (a.lse.shape.reduce((x, y) => x * y, 1) !== rows) throw new NnError(op, 'lse', `expected ${rows} elements, got [${a.lse.shape}]`);
  const km = a.keyMask;
  if (km) {
    checkKeyMask(op, km, dims, [a.dq, a.dk, a.dv]);
    // dQ binds 9 storage buffers with the mask (WebGPU's default limit is 8; lavapipe has 16).
    const have = rec.gpu.limits.maxStorageBuffersPerShaderStage;
    if (have < 9) throw new NnError(op, 'keyMask', `the masked backward binds 9 storage buffers, this adapter allows ${have}`);
  }
  const kmKey = km ? '|km' : '';
  const tg = targetOf(rec.gpu);
  const T = tileOf(tg);
  const g = tg.subgroups ? sgShape(tg.lanes, dims.dh) : undefined;
  const scale = a.scale ?? 1 / Math.sqrt(dims.dh);
  const dd = tempTensor(rec, [rows], 'f32', 'attention D');
  const all = [a.q, a.k, a.v, a.o, a.dout, a.dq, a.dk, a.dv];
  for (const [b0, nb] of batchRuns(rec, op, all, dims.B, a.dk.buffer === a.dv.buffer ? [a.dk, a.dv] : undefined)) {
    const sl = (t: Tensor) => narrow(t, 0, b0, nb);
    const [q, k, v, o, dout, dq, dk, dv] = all.map(sl) as [Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor];
    const cd = { ...dims, B: nb };
    const wgs = groups(nb * dims.H * Math.ceil(dims.L / (g ? g.R : T)), 1);
    const wLse = windowFor(rec.gpu, op, 'lse', a.lse, b0 * dims.H * dims.L, nb * dims.H * dims.L);
    const wDd = windowFor(rec.gpu, op, 'D', dd, b0 * dims.H * dims.L, nb * dims.H * dims.L);

    // dQ (and D).
    {
      const vals = emptyValues(cd, !!a.causal, scale);
      const w = [
        bindView(rec, op, 'q', q, vals), bindView(rec, op, 'k', k, vals), bindView(rec, op, 'v', v, vals),
        bindView(rec, op, 'o', o, vals), bindView(rec, op, 'g', dout, vals), wLse, bindView(rec, op, 'dq', dq, vals), wDd,
      ];
      const slots: Slot[] = [{ name: 'q' }, { name: 'k' }, { name: 'v' }, { name: 'o' }, { name: 'g' }, { name: 'lse' }, { name: 'dq', write: true }, { name: 'dd', write: true }];
      if (km) {
        w.push(bindKeyMask(rec, op, km, dims.L, b0, nb, vals));
        slots.push({ name: 'km' });
      }
      vals['lse_o'] = wLse.shift;
      vals['dd_o'] = wDd.shift;
      dispatchOp(rec, {
        key: (g ? `attn.sg.dq|${g.S}|${g.R}|${g.dh}` : `attn.dq|${T}|${dims.dh}`) + kmKey,
        label: 'attention.bwd.dq',
        slots,
        fields: ['q', 'k', 'v', 'o', 'dout', 'lse', 'dq', 'D', 'keyMask'],
        windows: w,
        uniform: { layout: AU, values: vals as AttnValues },
        workgroups: wgs,
        make: (d) => (g ? sgDqSource(g, !!km, d) : dqSource(T, dims.dh, !!km, d)),
      });
    }

    // dK and dV; one binding when they share a buffer (two writable bindings may not overlap).
    {
      const vals = emptyValues(cd, !!a.causal, scale);
      const shared = dk.buffer === dv.buffer;
      const w: Window[] = [
        bindView(rec, op, 'q', q, vals), bindView(rec, op, 'k', k, vals), bindView(rec, op, 'v', v, vals),
        bindView(rec, op, 'g', dout, vals), wLse, wDd,
      ];
      const slots: Slot[] = [{ name: 'q' }, { name: 'k' }, { name: 'v' }, { name: 'g' }, { name: 'lse' }, { name: 'dd' }];
      if (shared) {
        const start = Math.min(dk.offset, dv.offset);
        const end = Math.max(dk.offset + extentOf(dk), dv.offset + extentOf(dv));
        const union: Tensor = { buffer: dk.buffer, offset: start, shape: [end - start], dtype: 'f32' };
        const wu = windowFor(rec.gpu, op, 'dk/dv', union);
        bindView(rec, op, 'dk', dk, vals, wu, start);
        bindView(rec, op, 'dv', dv, vals, wu, start);
        w.push(wu);
        slots.push({ name: 'dkv', write: true });
      } else {
        w.push(bindView(rec, op, 'dk', dk, vals), bindView(rec, op, 'dv', dv, vals));
        slots.push({ name: 'dk', write: true }, { name: 'dv', write: true });
      }
      if (km) {
        w.push(bindKeyMask(rec, op, km, dims.L, b0, nb, vals));
        slots.push({ name: 'km' });
      }
      vals['lse_o'] = wLse.shift;
      vals['dd_o'] = wDd.shift;
      dispatchOp(rec, {
        key: (g ? `attn.sg.dkv|${g.S}|${g.R}|${g.dh}|${shared ? 's' : ''}` : `attn.dkv|${T}|${dims.dh}|${shared ? 's' : ''}`) + kmKey,
        label: 'attention.bwd.dkv',
        slots,
        fields: ['q', 'k', 'v', 'dout', 'lse', 'D', ...(shared ? ['dk/dv'] : ['dk', 'dv']), 'keyMask'],
        windows: w,
        uniform: { layout: AU, values: vals as AttnValues },
        workgroups: wgs,
        make: (d) => (g ? sgDkvSource(g, shared, !!km, d) : dkvSource(T, dims.dh, shared, !!km, d)),
      });
    }
  }
}
