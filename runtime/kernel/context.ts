// What the kernel quantities (runtime/kernel/{rows,elbo,corrupt,reverse,rates,prior,rules}.ts) share
// on one runtime: the bound kernel (structure, coefficients, graphs, reset laws, lanes), the
// compiled-program cache, the host planning of a call (slots by time, chunks of columns), the
// column-layout workspace matrices, each quantity's device caches, and the helpers of the
// convenience forms (checked host tokens, upload, run and read back). KernelRuntime
// (runtime/kernel/runtime.ts) builds one and delegates to the quantity modules with it.
import type { KernelSpec } from '../../specs/types/kernel.ts';
import type { Gpu } from '../gpu/index.ts';
import { readBuffer } from '../gpu/index.ts';
import { rowStatsProgram } from '../../compiler/wgsl/columns.ts';
import type { ClockWgsl } from '../../compiler/wgsl/corrupt.ts';
import type { WgslProgram } from '../../compiler/wgsl/module.ts';
import type { KernelCoefficients, TransitionCoefs } from './coefficients.ts';
import { KernelRecording, emptyBuffer, tableBuffer, type KernelPipelines } from './encoder.ts';
import { windowOf, type Window } from '../gpu/window.ts';
import { KernelRuntimeError } from './errors.ts';
import type { DeviceGraph } from './graph.ts';
import { planChunks, planSlots, type Chunk, type SlotPlan } from './plan.ts';
import type { KernelStructure } from './structure.ts';
import type { Workspace } from './workspace.ts';

/** Per-sequence times for a batch of B sequences of L positions (position i is in sequence floor(i / L)). */
export interface BatchShape {
  B: number;
  L: number;
  /** t per sequence (length B). */
  t: ArrayLike<number>;
  /** Hop truncation for every sequence (default: the spec's rule at each t). */
  H?: number;
}

/** A kernel bound to a vocabulary, its graphs and distributions on one device (KernelRuntime's constructor). */
export interface KernelBinding {
  gpu: Gpu;
  spec: KernelSpec;
  V: number;
  S: number;
  st: KernelStructure;
  co: KernelCoefficients;
  lanes: number;
  /** Lanes of the workgroup-per-position kernels (softmax statistics, reverse step, rates). */
  colW: number;
  /** vec4 columns per invocation of the hop kernel. */
  cpt: number;
  /** Effective jump operator (sum of the jump graphs by share), if any. */
  jump: DeviceGraph | null;
  graphs: Record<string, DeviceGraph>;
  /** Reset distributions by group, float64, and on the device ([group][V] f32). */
  resetDists: Float64Array[];
  distsBuf: GPUBuffer;
  /** The data law the prior's power iteration starts from (as the reference): unigram, else uniform. */
  p0: Float64Array;
  pipes: KernelPipelines;
  ws: Workspace;
  /** Largest positions per chunk (columns). */
  maxColumns: number;
  /** Run the first hops of one-hot starts sparse. */
  sparseHops: boolean;
  /** Rates come from tables (inputs.rates), not from the IR's closed forms. */
  tabulated: boolean;
}

// The binding's fields are the context's own, named once (in KernelBinding): the interface merges
// into the class, and the constructor copies the binding in.
export interface KernelContext extends Readonly<KernelBinding> {}
export class KernelContext {
  // Device caches of the quantities, built on first use.
  /** pi_g^T A^n for n = 0..H (rows.ts resetPowers). */
  piA: { H: number; buf: GPUBuffer } | null = null;
  /** A zero rho for kernels without a reset channel (rows.ts). */
  zeroRhoBuf: { n: number; buf: GPUBuffer } | null = null;
  /** Sparse hops of a one-hot start per direction (rows.ts sparseDepth). */
  sparseDepths: Partial<Record<'forward' | 'backward', { ns: number; caps: number[] }>> = {};
  /** Per-lane sums of the reset laws (reverse.ts lanePiSums). */
  piLane: { W: number; buf: GPUBuffer } | null = null;
  /** Alias tables of the reset laws (corrupt.ts). */
  distAliasBufs: { prob: GPUBuffer; alias: GPUBuffer } | null = null;
  /** The corruption clock (corrupt.ts clockWgsl). */
  clock: { wgsl: ClockWgsl; table: GPUBuffer | null } | null = null;
  /** p_1 and its alias table (prior.ts priorInfo). */
  priorState: { p1: Float64Array; buf: GPUBuffer; prob: GPUBuffer; alias: GPUBuffer; iterations: number; residual: number } | null = null;

  constructor(b: KernelBinding) {
    Object.assign(this, b);
  }

  // ---------------------------------------------------------------- programs

  private progCache = new Map<string, WgslProgram>();
  prog(name: string, make: () => WgslProgram): WgslProgram {
    let p = this.progCache.get(name);
    if (!p) this.progCache.set(name, (p = make()));
    return p;
  }
  /** Lanes along x for `cols` columns: all lanes when wide, else 8 or 1 with the rest along y. */
  wx(cols: number): number {
    return cols >= this.lanes ? this.lanes : cols >= 8 ? 8 : 1;
  }

  /** Row-per-subgroup kernels: the subgroup width, or one lane without subgroups (or with DLMK_NO_SUBGROUPS=1). */
  rowSubgroups(): { subgroups: boolean; W: number } {
    const W = this.gpu.hasSubgroups ? this.gpu.subgroupMinSize : 0;
    return { subgroups: W >= 1 && W <= 128 && process.env['DLMK_NO_SUBGROUPS'] !== '1', W };
  }

  // ---------------------------------------------------------------- host planning

  /** Coefficients of P_{s->t} with the spec's (or the given) hop truncation. */
  transition(s: number, t: number, H?: number, fromOrigin = s <= 0): TransitionCoefs {
    if (H !== undefined && !(Number.isInteger(H) && H >= 0)) throw new KernelRuntimeError(`H must be a non-negative integer, got ${H}`);
    return this.co.transition(s, t, H, fromOrigin);
  }

  slots(shape: BatchShape, s: ArrayLike<number> | null = null): SlotPlan {
    if (shape.t.length !== shape.B) throw new KernelRuntimeError(`t has ${shape.t.length} entries for B = ${shape.B} sequences`);
    return planSlots(shape.t, s, (s0, t) => this.transition(s0, t, shape.H));
  }

  chunks(N: number, L: number, sp: SlotPlan): Chunk[] {
    return planChunks(N, L, sp, this.maxColumns, (s) => sp.slots[s]!.co.H, (s) => sp.slots[s]!.co.hop);
  }

  /** Column-layout matrix of the workspace: V x C floats. */
  mat(name: string, C: number): GPUBuffer {
    return this.ws.get(name, this.V * C * 4);
  }

  /** A chunk's column table and hop weights, its logits window, and softmax statistics of its columns (rowstats, into `rec`). */
  chunkStart(rec: KernelRecording, ch: Chunk, logits: GPUBuffer): { colt: GPUBuffer; hw: GPUBuffer; lw: Window; stats: GPUBuffer } {
    const { V } = this;
    const colt = tableBuffer(this.gpu, ch.colt);
    const hw = tableBuffer(this.gpu, ch.hw);
    const lw = windowOf(this.gpu, logits, ch.p0 * V, ch.n * V);
    const stats = this.ws.get('stats', ch.C * 8);
    rec.dispatch(this.prog('rowstats', () => rowStatsProgram(this.colW)), { V, C: ch.C, shift: lw.shift }, [lw.range, colt, stats], [ch.C]);
    return { colt, hw, lw, stats };
  }

  /** Copies tokens [p0, p0 + n) of `src` (u32) into a chunk buffer. */
  chunkTokens(enc: GPUCommandEncoder, name: string, src: GPUBuffer, ch: Chunk): GPUBuffer {
    const buf = this.ws.get(name, ch.C * 4);
    enc.copyBufferToBuffer(src, ch.p0 * 4, buf, 0, ch.n * 4);
    return buf;
  }

  /** Per-slot (maskProb, sigma_m, sigma_a, S), (sigma of each reset group), (keep, 0, 0, 0) at the slot's t. */
  seqCoefs(sp: SlotPlan): Float32Array {
    const seqc = new Float32Array(sp.slots.length * 12);
    sp.slots.forEach((sl, s) => {
      const sg = this.co.sigmas(sl.t);
      const co = sl.co;
      let S = 0;
      for (const h of co.hop) S += h;
      for (const r of co.reset) for (const x of r) S += x;
      seqc.set([co.maskProb, sg.m, sg.a, S], 12 * s);
      for (let g = 0; g < sg.resetGroups.length; g++) seqc[12 * s + 4 + g] = sg.resetGroups[g]!;
      seqc[12 * s + 8] = co.keep;
      seqc[12 * s + 9] = co.hop[0]!;
    });
    return seqc;
  }

  // ---------------------------------------------------------------- convenience (upload, run, read back)

  /**
   * Host tokens as u32, each checked: a clean token (x0, below V) or a state (x_t, below S: [MASK] = V
   * when the kernel has a mask channel). A bad entry is an error naming its position.
   */
  tokens(xs: Uint32Array | number[], kind: 'token' | 'state', what: string, lim = kind === 'token' ? this.V : this.S): Uint32Array {
    for (let i = 0; i < xs.length; i++) {
      const x = xs[i]!;
      if (!(Number.isInteger(x) && x >= 0 && x < lim)) {
        throw new KernelRuntimeError(`${what}[${i}] = ${x} is not a ${kind === 'token' ? `token (0..${lim - 1})` : `state (0..${lim - 1}${this.st.hasMask ? `; [MASK] is ${this.V}` : ''})`}`);
      }
    }
    return Uint32Array.from(xs);
  }

  /** A new output buffer for a convenience call (never shared between calls in flight). */
  fresh(bytes: number): GPUBuffer {
    return emptyBuffer(this.gpu, bytes, 'dlmk kernel output');
  }

  /** Uploads host data as a storage buffer. */
  upload(data: Float32Array | Uint32Array | Int32Array): GPUBuffer {
    return tableBuffer(this.gpu, data);
  }

  /** Runs `record` in a fresh command encoder, submits, and reads back each output. */
  async run<T extends Record<string, { buf: GPUBuffer; bytes: number }>>(outs: T, record: (enc: GPUCommandEncoder) => void): Promise<Record<keyof T, ArrayBuffer>> {
    const enc = this.gpu.device.createCommandEncoder({ label: 'dlmk kernel call' });
    this.gpu.device.pushErrorScope('validation');
    record(enc);
    this.gpu.device.queue.submit([enc.finish()]);
    const err = await this.gpu.device.popErrorScope();
    if (err) throw new KernelRuntimeError(`the GPU rejected a kernel command: ${err.message}`);
    const res = {} as Record<keyof T, ArrayBuffer>;
    for (const k of Object.keys(outs) as Array<keyof T>) {
      res[k] = await readBuffer(this.gpu, outs[k]!.buf, outs[k]!.bytes);
      outs[k]!.buf.destroy();
    }
    return res;
  }

  shape(N: number, t: ArrayLike<number> | number, L?: number, H?: number): BatchShape {
    if (typeof t === 'number') return { B: 1, L: N, t: [t], H };
    if (L !== undefined) return { B: N / L, L, t, H };
    return { B: t.length, L: N / t.length, t, H };
  }
}

/** The reset groups' hop-0 weights R_g of `co` (a kernel without a graph: rho = sum_g R_g pi_g), at out[at + g]. */
export function hop0Reset(co: TransitionCoefs, out: Float32Array, at: number): void {
  co.reset.forEach((r, g) => (out[at + g] = r[0]!));
}

/** A 53-bit seed as the two key words of Philox. */
export function seedWords(seed: number): [number, number] {
  if (!Number.isInteger(seed) || seed < 0 || seed > Number.MAX_SAFE_INTEGER) throw new KernelRuntimeError(`a seed must be a non-negative integer, got ${seed}`);
  return [seed >>> 0, Math.floor(seed / 2 ** 32) >>> 0];
}

/** Workgroups for n invocations of `wg` lanes, folded into y past the per-dimension limit. */
export function linearGrid(n: number, wg: number, limit = 65535): [number, number] {
  const groups = Math.max(1, Math.ceil(n / wg));
  if (groups <= limit) return [groups, 1];
  const y = Math.ceil(groups / limit);
  return [Math.ceil(groups / y), y];
}
