// The model calls of a sampling run, with the cache (docs/sampling.md, "Cache and NFE").
//
// A sequence's logits are reused while none of its tokens changed since its last model call and the
// model is not time-conditioned (the kernel's `cache` rule, MDLM's caching; exact, since the logits
// are then a function of the tokens alone). The test is per sequence, as MDLM's (which samples one
// sequence per batch): the model runs on the sub-batch of sequences that changed, gathered into a
// contiguous batch (padded to a power of two, so that a model compiles few shapes), and its logits
// are scattered into a persistent [N, V] buffer. NFE counts the denoiser calls, and per sequence
// the model evaluations it got.
import type { Gpu, Recorder } from '../gpu/index.ts';
import type { Denoiser } from '../denoiser/index.ts';
import { numel, tensor, type Tensor } from '../nn/index.ts';
import { SampleError } from './errors.ts';
import { buffer, dispatch } from './gpu.ts';
import { changedProgram } from './wgsl.ts';

const WG = 64;

export interface ModelCallsOptions {
  /** Reuse logits of unchanged sequences (the kernel's cache rule, for a model that is not time-conditioned). */
  cache: boolean;
  /** Some calls ask for a subset of the sequences (self-correction passes): keep a persistent logits buffer. */
  partial: boolean;
  /** Pad a sub-batch to a power of two (default true). */
  buckets?: boolean;
}

export class ModelCalls {
  /** Denoiser calls. */
  calls = 0;
  /** Model evaluations per sequence. */
  readonly perSequence: Uint32Array;
  readonly cacheOn: boolean;
  private readonly N: number;
  private store: GPUBuffer | null = null;
  private xModel: GPUBuffer | null = null;
  private snap: GPUBuffer | null = null;
  private flags: GPUBuffer | null = null;
  private readonly flagsHost: Uint32Array;
  /** 1 when a sequence changed since its last call (or never had one). */
  private readonly dirty: Uint8Array;
  private readonly owned: GPUBuffer[] = [];

  constructor(
    readonly gpu: Gpu,
    readonly denoiser: Denoiser,
    readonly B: number,
    readonly L: number,
    readonly V: number,
    private readonly o: ModelCallsOptions,
  ) {
    this.N = B * L;
    this.cacheOn = o.cache && !denoiser.timeConditioned;
    this.perSequence = new Uint32Array(B);
    this.flagsHost = new Uint32Array(B);
    this.dirty = new Uint8Array(B).fill(1);
    if (this.cacheOn || o.partial) this.store = this.own(this.N * V * 4, 'dlmk sample logits');
    if (this.cacheOn) {
      this.snap = this.own(this.N * 4, 'dlmk sample snapshot');
      this.flags = this.own(B * 4, 'dlmk sample changed');
    }
  }

  private own(bytes: number, label: string): GPUBuffer {
    const b = buffer(this.gpu, bytes, label);
    this.owned.push(b);
    return b;
  }

  destroy(): void {
    for (const b of this.owned) b.destroy();
  }

  /**
   * The logits [N, V] (f32, at offset 0 of the returned buffer) of the current tokens `x` at time t,
   * for the sequences `want` (default all; the others may hold stale logits).
   */
  async logits(rec: Recorder, x: GPUBuffer, t: number, want?: Uint8Array): Promise<GPUBuffer> {
    const { B, L, V } = this;
    const list: number[] = [];
    for (let b = 0; b < B; b++) if ((!want || want[b]) && (!this.cacheOn || this.dirty[b])) list.push(b);
    if (list.length === 0) return this.store!;
    let out: Tensor;
    if (list.length === B) {
      out = await this.call(rec, tensor(x, [B, L], { dtype: 'u32' }), B, t);
      this.place(rec, out, null);
    } else {
      const Bp = this.o.buckets === false ? list.length : Math.min(B, 2 ** Math.ceil(Math.log2(list.length)));
      if (!this.xModel) this.xModel = this.own(this.N * 4, 'dlmk sample model input');
      const src = Array.from({ length: Bp }, (_, j) => list[Math.min(j, list.length - 1)]!);
      copyRuns(rec, x, this.xModel, src, L);
      out = await this.call(rec, tensor(this.xModel, [Bp, L], { dtype: 'u32' }), Bp, t);
      this.place(rec, out, list);
    }
    this.calls++;
    for (const b of list) this.perSequence[b]!++;
    if (this.cacheOn) {
      copyRuns(rec, x, this.snap!, list, L, true);
      for (const b of list) this.dirty[b] = 0;
    }
    return this.store ?? out.buffer;
  }

  private async call(rec: Recorder, xt: Tensor, B: number, t: number): Promise<Tensor> {
    const out = await this.denoiser.logits(rec, { B, L: this.L, xt, t: new Float64Array(B).fill(t) });
    const want = B * this.L * this.V;
    if (out.dtype !== 'f32' || numel(out.shape) !== want) {
      throw new SampleError(`the denoiser returned ${out.dtype} logits of shape [${out.shape.join(', ')}], expected f32 [${B}, ${this.L}, ${this.V}]`, 'denoiser');
    }
    return out;
  }

  /** Puts the model's rows where the step reads them: the persistent buffer (rows of `list`, or all). */
  private place(rec: Recorder, out: Tensor, list: number[] | null): void {
    const row = this.L * this.V;
    if (!this.store) {
      if (out.offset === 0 && !out.strides) return;
      this.store = this.own(this.N * this.V * 4, 'dlmk sample logits');
    }
    if (list === null) rec.copy(out, { buffer: this.store }, this.N * this.V);
    else list.forEach((b, j) => rec.copy({ buffer: out.buffer, offset: out.offset + j * row }, { buffer: this.store!, offset: b * row }, row));
  }

  /** After a step: records the per-sequence "changed since the last call" flags and their read-back. Returns whether it did. */
  recordChanged(rec: Recorder, x: GPUBuffer): boolean {
    if (!this.cacheOn) return false;
    rec.clear(this.flags!);
    dispatch(rec, changedProgram(WG), { C: this.N, R: this.L }, [x, this.snap!, this.flags!], Math.ceil(this.N / WG));
    rec.read({ buffer: this.flags! }, this.flagsHost);
    return true;
  }

  /** After the submit that read the flags resolved. */
  afterStep(): void {
    if (!this.cacheOn) return;
    for (let b = 0; b < this.B; b++) if (this.flagsHost[b]) this.dirty[b] = 1;
  }
}

/**
 * Copies whole sequences: dst sequence j <- src sequence idx[j] (gather), or with `scatter`
 * dst sequence idx[j] <- src sequence idx[j]; runs of consecutive sequences in one copy.
 */
function copyRuns(rec: Recorder, src: GPUBuffer, dst: GPUBuffer, idx: readonly number[], L: number, same = false): void {
  let j = 0;
  while (j < idx.length) {
    let n = 1;
    while (j + n < idx.length && idx[j + n] === idx[j]! + n) n++;
    rec.copy({ buffer: src, offset: idx[j]! * L }, { buffer: dst, offset: (same ? idx[j]! : j) * L }, n * L);
    j += n;
  }
}
