// Single steps of the predictors on host data, for the differential tests (test/runtime/sample):
// the same GPU code as the sampler (SamplerRun's step methods), driven from given tokens and
// logits instead of a model, then read back.
import type { KernelRuntime } from '../kernel/index.ts';
import type { Denoiser } from '../denoiser/index.ts';
import { SamplerRun, type RemaskOptions } from './sampler.ts';
import { resolveSettings } from './settings.ts';
import type { BlockStep } from './grid.ts';
import { FREE } from './wgsl.ts';
import { SampleError } from './errors.ts';

/** A model that must not be called: single steps get their logits from the test. */
function noModel(V: number): Denoiser {
  return {
    V,
    timeConditioned: true,
    logits() {
      throw new SampleError('a single step has no model');
    },
  };
}

export class StepHarness {
  private readonly run: SamplerRun;
  private done: GPUBuffer | null = null;

  constructor(
    readonly rt: KernelRuntime,
    readonly B: number,
    readonly L: number,
    seed: number,
    clamp?: ArrayLike<number>,
  ) {
    const settings = resolveSettings(rt.spec, { predictor: 'ancestral', steps: 1, rules: [] });
    const table = clamp ? Uint32Array.from({ length: B * L }, (_, i) => (clamp[i % clamp.length]! < 0 ? FREE : clamp[i % clamp.length]!)) : null;
    this.run = new SamplerRun(rt, rt, { rt, denoiser: noModel(rt.V), B, L, seed }, settings, table);
  }

  destroy(): void {
    this.run.destroy();
  }

  private logits(host: Float32Array): GPUBuffer {
    const buf = this.run.own(host.byteLength, 'test logits');
    this.rt.gpu.device.queue.writeBuffer(buf, 0, host);
    return buf;
  }

  private load(x: Uint32Array): void {
    this.rt.gpu.device.queue.writeBuffer(this.run.x, 0, x);
  }

  private async read(extra = false): Promise<{ x: Uint32Array; cand?: Uint32Array; conf?: Float32Array }> {
    const N = this.B * this.L;
    const x = new Uint32Array(N);
    const rec = this.run.rec;
    rec.read({ buffer: this.run.x }, x);
    if (!extra) {
      await rec.submit();
      return { x };
    }
    const cand = new Uint32Array(N);
    const conf = new Float32Array(N);
    rec.read({ buffer: this.run.candBuf! }, cand);
    rec.read({ buffer: this.run.confBuf! }, conf);
    await rec.submit();
    return { x, cand, conf };
  }

  /** x0 ~ softmax(logits) per position and its probability. */
  async candidates(logits: Float32Array, stream: number): Promise<{ cand: Uint32Array; conf: Float32Array }> {
    this.run.candidates(this.logits(logits), stream);
    const r = await this.read(true);
    return { cand: r.cand!, conf: r.conf! };
  }

  /** One Euler step t -> s on the rates of these logits. */
  async euler(logits: Float32Array, x: Uint32Array, t: number, s: number, stream: number): Promise<Uint32Array> {
    this.load(x);
    this.run.eulerStep(this.logits(logits), t, s, stream);
    return (await this.read()).x;
  }

  /** One ReMDM step t -> s. */
  async remask(logits: Float32Array, x: Uint32Array, t: number, s: number, stream: number, o: RemaskOptions): Promise<Uint32Array> {
    this.load(x);
    this.run.remaskStep(this.logits(logits), t, s, stream, o);
    return (await this.read()).x;
  }

  /** One confidence step on a block. */
  async confidence(logits: Float32Array, x: Uint32Array, block: BlockStep, stream: number): Promise<{ x: Uint32Array; cand: Uint32Array; conf: Float32Array }> {
    this.load(x);
    this.run.confidenceStep(this.logits(logits), block, stream);
    const r = await this.read(true);
    return { x: r.x, cand: r.cand!, conf: r.conf! };
  }

  /** One correction pass (sequences already done stay done). */
  async correct(logits: Float32Array, x: Uint32Array, stream: number, done?: Uint32Array): Promise<{ x: Uint32Array; cand: Uint32Array; conf: Float32Array; done: Uint32Array }> {
    this.load(x);
    this.done ??= this.run.own(this.B * 4, 'test done');
    this.rt.gpu.device.queue.writeBuffer(this.done, 0, done ?? new Uint32Array(this.B));
    this.run.correctPass(this.logits(logits), stream, this.done);
    const d = new Uint32Array(this.B);
    this.run.rec.read({ buffer: this.done }, d);
    const r = await this.read(true);
    return { x: r.x, cand: r.cand!, conf: r.conf!, done: d };
  }

  /** The last step t -> 0 by a denoise rule ('argmax' or 'sample'). */
  async denoise(logits: Float32Array, x: Uint32Array, t: number, mode: 'argmax' | 'sample', stream: number): Promise<Uint32Array> {
    this.load(x);
    (this.run.set as { denoise: string }).denoise = mode;
    this.run.denoiseStep(this.logits(logits), t, stream);
    return (await this.read()).x;
  }
}
