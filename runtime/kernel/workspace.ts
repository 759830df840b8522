// Named scratch buffers of a runtime, grown on demand and reused across calls (fresh memory is
// slow to touch, PERF-NOTES). Commands run in queue order, so reusing a buffer in the next
// recorded call is safe.
import type { Gpu } from '../gpu/index.ts';
import { emptyBuffer } from './encoder.ts';

export class Workspace {
  private bufs = new Map<string, GPUBuffer>();
  constructor(readonly gpu: Gpu) {}

  get(name: string, bytes: number): GPUBuffer {
    const need = Math.max(16, Math.ceil(bytes / 16) * 16);
    const b = this.bufs.get(name);
    if (b && b.size >= need) return b;
    // Grow with headroom so slowly growing batches do not reallocate every call.
    const size = b ? Math.max(need, Math.ceil((b.size * 1.25) / 16) * 16) : need;
    const nb = emptyBuffer(this.gpu, Math.min(size, Math.max(need, this.gpu.limits.maxBufferSize)), `dlmk kernel ${name}`);
    this.bufs.set(name, nb);
    return nb;
  }

  /** Bytes held. */
  get bytes(): number {
    let s = 0;
    for (const b of this.bufs.values()) s += b.size;
    return s;
  }

  destroy(): void {
    for (const b of this.bufs.values()) b.destroy();
    this.bufs.clear();
  }
}
