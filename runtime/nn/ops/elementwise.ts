// Elementwise ops over dense tensors: residual add, scaled accumulate, fill, scale, GELU (tanh
// form) and SiLU with their backward passes. One generator serves them all: each invocation
// handles PER elements strided by the workgroup size; the element count and offsets are
// uniforms, so the text does not change with shapes. Tensors over the binding limit are split
// into runs, one dispatch each.
import { runsOf, uniformLayout, type Recorder } from '../../gpu/index.ts';
import { expectDense, expectNumel, windowFor } from '../bind.ts';
import { dispatchOp, type Slot } from '../dispatch.ts';
import { NnError } from '../errors.ts';
import { numel, type Tensor } from '../tensor.ts';
import { groups, WG_INDEX } from '../wgsl.ts';

const WG = 64;
const PER = 8;

const EW_U = uniformLayout('EwU', { n: 'u32', o0: 'u32', o1: 'u32', o2: 'u32', alpha: 'f32', beta: 'f32' });

/**
 * An elementwise kernel. `inputs` are bound first, then the output unless `inplace` (then the
 * output is input 0, read and written through one binding). `expr` is a WGSL f32 expression of
 * x0, x1, ... (the inputs at element i) and the uniforms u.alpha, u.beta.
 */
interface EwKernel {
  name: string;
  inputs: number;
  inplace: boolean;
  expr: string;
  /** Extra WGSL functions. */
  lib?: string;
}

function ewSource(k: EwKernel, decls: string): string {
  const names = Array.from({ length: k.inputs }, (_, i) => `x${i}`);
  const outName = k.inplace ? 'x0' : 'y';
  const outOff = k.inplace ? 'u.o0' : `u.o${k.inputs}`;
  const loads = names.map((n, i) => `let ${n}v = ${n}[u.o${i} + i];`).join(' ');
  const expr = names.reduce((e, n) => e.replace(new RegExp(`\\b${n}\\b`, 'g'), `${n}v`), k.expr);
  return /* wgsl */ `
${EW_U.wgsl}
@group(0) @binding(0) var<uniform> u: EwU;
${decls}
${k.lib ?? ''}
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  ${WG_INDEX}
  let base = wg_index * ${WG * PER}u + lid;
  for (var k = 0u; k < ${PER}u; k = k + 1u) {
    let i = base + k * ${WG}u;
    if (i < u.n) {
      ${loads}
      ${outName}[${outOff} + i] = ${expr};
    }
  }
}`;
}

function runEw(rec: Recorder, k: EwKernel, op: string, ins: readonly Tensor[], out: Tensor | undefined, alpha = 0, beta = 0): void {
  const all = out ? [...ins, out] : ins;
  const fields = all.map((_, i) => (i < ins.length ? `input ${i}` : 'output'));
  const n = numel(all[0]!.shape);
  all.forEach((t, i) => {
    expectDense(op, fields[i]!, t);
    expectNumel(op, fields[i]!, t, n);
  });
  if (n === 0) return;
  const slots: Slot[] = ins.map((_, i) => ({ name: `x${i}`, write: k.inplace && i === 0 }));
  if (out) slots.push({ name: 'y', write: true });
  for (const [start, count] of runsOf(rec.gpu, n, 1)) {
    const w = all.map((t, i) => windowFor(rec.gpu, op, fields[i]!, t, start, count));
    const o = [0, 0, 0];
    w.forEach((x, i) => (o[i] = x.shift));
    dispatchOp(rec, {
      key: `ew.${k.name}`,
      label: op,
      slots,
      fields,
      windows: w,
      uniform: { layout: EW_U, values: { n: count, o0: o[0]!, o1: o[1]!, o2: o[2]!, alpha, beta } },
      workgroups: groups(count, WG * PER),
      make: (decls) => ewSource(k, decls),
    });
  }
}

// GELU, tanh form: 0.5 x (1 + tanh(z)), z = c (x + 0.044715 x^3), c = sqrt(2/pi). Computed as
// x * s with s = sigmoid(2z) = (1 + tanh z) / 2, which is the same function without the
// cancellation of 1 + tanh(z) for negative x (there f32 tanh is -1 and the gradient would be 0).
// 2z is clamped to +-80 so exp stays finite everywhere.
const GELU_LIB = /* wgsl */ `
const GELU_C: f32 = 0.7978845608028654;
fn gelu_2z(x: f32) -> f32 { return clamp(2.0 * GELU_C * (x + 0.044715 * x * x * x), -80.0, 80.0); }
fn gelu(x: f32) -> f32 { return x / (1.0 + exp(-gelu_2z(x))); }
fn gelu_grad(x: f32) -> f32 {
  let z2 = gelu_2z(x);
  let s = 1.0 / (1.0 + exp(-z2));
  let sn = 1.0 / (1.0 + exp(z2));
  return s + x * s * sn * 2.0 * GELU_C * (1.0 + 3.0 * 0.044715 * x * x);
}`;

const SILU_LIB = /* wgsl */ `
fn sigm(x: f32) -> f32 { return 1.0 / (1.0 + exp(-x)); }
fn silu_grad(x: f32) -> f32 { let s = sigm(x); return s * (1.0 + x * (1.0 - s)); }`;

const K = {
  add: { name: 'add', inputs: 2, inplace: false, expr: 'x0 + x1' },
  axpy: { name: 'axpy', inputs: 2, inplace: true, expr: 'x0 + u.alpha * x1' },
  scale: { name: 'scale', inputs: 1, inplace: false, expr: 'u.alpha * x0' },
  fill: { name: 'fill', inputs: 1, inplace: true, expr: 'u.alpha + 0.0 * x0' },
  geluF: { name: 'gelu.fwd', inputs: 1, inplace: false, expr: 'gelu(x0)', lib: GELU_LIB },
  geluB: { name: 'gelu.bwd', inputs: 2, inplace: false, expr: 'x1 * gelu_grad(x0)', lib: GELU_LIB },
  geluBAcc: { name: 'gelu.bwd.acc', inputs: 3, inplace: true, expr: 'x0 + x2 * gelu_grad(x1)', lib: GELU_LIB },
  siluF: { name: 'silu.fwd', inputs: 1, inplace: false, expr: 'x0 * sigm(x0)', lib: SILU_LIB },
  siluB: { name: 'silu.bwd', inputs: 2, inplace: false, expr: 'x1 * silu_grad(x0)', lib: SILU_LIB },
  siluBAcc: { name: 'silu.bwd.acc', inputs: 3, inplace: true, expr: 'x0 + x2 * silu_grad(x1)', lib: SILU_LIB },
} satisfies Record<string, EwKernel>;

/** out = a + b (a residual connection; its backward hands dout to both inputs). */
export function add(rec: Recorder, a: Tensor, b: Tensor, out: Tensor): void {
  runEw(rec, K.add, 'add', [a, b], out);
}

/** dst += alpha * src (gradient accumulation). */
export function addInto(rec: Recorder, dst: Tensor, src: Tensor, alpha = 1): void {
  runEw(rec, K.axpy, 'addInto', [dst, src], undefined, alpha);
}

/** out = alpha * x. */
export function scale(rec: Recorder, x: Tensor, alpha: number, out: Tensor): void {
  runEw(rec, K.scale, 'scale', [x], out, alpha);
}

/** Sets every element to `value` (zero is cheaper with rec.clear on a whole buffer range). */
export function fill(rec: Recorder, t: Tensor, value: number): void {
  if (!Number.isFinite(value)) throw new NnError('fill', 'value', `must be finite, got ${value}`);
  runEw(rec, K.fill, 'fill', [t], undefined, value);
}

/** y = GELU(x), tanh form. */
export function geluForward(rec: Recorder, x: Tensor, y: Tensor): void {
  runEw(rec, K.geluF, 'gelu.fwd', [x], y);
}

/** dx = dy * GELU'(x); with `accumulate`, dx += that. */
export function geluBackward(rec: Recorder, x: Tensor, dy: Tensor, dx: Tensor, opts: { accumulate?: boolean } = {}): void {
  if (opts.accumulate) runEw(rec, K.geluBAcc, 'gelu.bwd', [dx, x, dy], undefined);
  else runEw(rec, K.geluB, 'gelu.bwd', [x, dy], dx);
}

/** y = x * sigmoid(x). */
export function siluForward(rec: Recorder, x: Tensor, y: Tensor): void {
  runEw(rec, K.siluF, 'silu.fwd', [x], y);
}

/** dx = dy * SiLU'(x); with `accumulate`, dx += that. */
export function siluBackward(rec: Recorder, x: Tensor, dy: Tensor, dx: Tensor, opts: { accumulate?: boolean } = {}): void {
  if (opts.accumulate) runEw(rec, K.siluBAcc, 'silu.bwd', [dx, x, dy], undefined);
  else runEw(rec, K.siluB, 'silu.bwd', [x, dy], dx);
}
