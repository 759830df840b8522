// A texture mirror of a weight for the texture-reading variants. The weight stays the source of
// truth in its buffer; the mirror holds it packed (pack.ts) for each layout a matmul reads it in
// (forward x @ W^T and backward dY @ W read it differently). After the weight changes (e.g. an
// optimizer step) call invalidate(): the next matmul that reads the mirror first encodes a pack
// pass, in the same command encoder, so the copy is refreshed once per change, not per call.
import type { Gpu } from '../../gpu/index.ts';
import { idOf } from './bindings.ts';
import { createPackTexture, createPackView, textureHeight, type PackSpec } from './pack.ts';
import type { MatmulOperand } from './types.ts';

interface Entry {
  texture: GPUTexture;
  view: GPUTextureView;
  fresh: boolean;
}

export class WeightMirror implements MatmulOperand {
  readonly buffer: GPUBuffer;
  readonly offset: number;
  private entries = new Map<string, Entry>();
  /** Number of pack passes encoded so far (tests and benchmarks read it). */
  refreshes = 0;

  constructor(readonly gpu: Gpu, operand: MatmulOperand) {
    this.buffer = operand.buffer;
    this.offset = operand.offset ?? 0;
  }

  /** The weight's elements changed: every packed copy is stale. */
  invalidate(): void {
    for (const e of this.entries.values()) e.fresh = false;
  }

  /**
   * The texture for `spec` and whether it must be (re)packed now; the caller encodes the pack
   * and then calls markFresh. Internal to runtime/nn/matmul.
   */
  textureFor(spec: PackSpec): { view: GPUTextureView; id: number; stale: boolean; key: string } {
    const key = JSON.stringify(spec);
    let e = this.entries.get(key);
    if (!e) {
      const texture = createPackTexture(this.gpu, spec.format, spec.width, textureHeight(spec), 'matmul weight mirror');
      e = { texture, view: createPackView(texture), fresh: false };
      this.entries.set(key, e);
    }
    return { view: e.view, id: idOf(e.view), stale: !e.fresh, key };
  }

  markFresh(key: string): void {
    const e = this.entries.get(key);
    if (e) e.fresh = true;
    this.refreshes++;
  }

  /** Bytes of GPU memory the packed copies hold. */
  get bytes(): number {
    let n = 0;
    for (const e of this.entries.values()) n += e.texture.width * e.texture.height * 16;
    return n;
  }

  destroy(): void {
    for (const e of this.entries.values()) e.texture.destroy();
    this.entries.clear();
  }
}

/** Wraps a weight operand (passed as `b` to encodeMatmul) so texture variants read a packed copy. */
export function createWeightMirror(gpu: Gpu, operand: MatmulOperand): WeightMirror {
  return new WeightMirror(gpu, operand);
}

export function isWeightMirror(x: MatmulOperand): x is WeightMirror {
  return x instanceof WeightMirror;
}
