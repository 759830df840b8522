// A size-bucketed pool of storage buffers. Fresh memory is slow to touch on this project's
// machines (about 270 ms per 64 MiB, shared/design/PERF-NOTES.md), so ops never allocate per call:
// they take a buffer from the pool and give it back. Free lists are LIFO, so the same sequence of
// acquire/release calls gets the same buffers every step (and bind-group caches keep hitting).
import type { Gpu } from './device.ts';

const STORAGE = 0x80;
const COPY_SRC = 0x04;
const COPY_DST = 0x08;

/**
 * The bucket a request of `bytes` is served from: powers of two up to 64 KiB, then eight steps
 * per octave (at most 12.5% waste), all multiples of 256 bytes.
 */
export function bucketSize(bytes: number): number {
  const b = Math.max(256, Math.ceil(bytes));
  if (b <= 65536) return 2 ** Math.ceil(Math.log2(b));
  const octave = 2 ** Math.floor(Math.log2(b));
  const step = octave / 8;
  return Math.ceil(b / step) * step;
}

export interface PoolStats {
  /** Bytes held by the pool (in use plus free). */
  allocatedBytes: number;
  inUseBytes: number;
  /** Buffers created so far, and requests served from a free list. */
  created: number;
  reused: number;
}

export class BufferPool {
  private free = new Map<number, GPUBuffer[]>();
  private inUse = new Set<GPUBuffer>();
  private stat: PoolStats = { allocatedBytes: 0, inUseBytes: 0, created: 0, reused: 0 };

  constructor(readonly gpu: Gpu, readonly usage = STORAGE | COPY_SRC | COPY_DST) {}

  /** A buffer of at least `bytes` (its `size` is the bucket's). Contents are undefined. */
  acquire(bytes: number, label?: string): GPUBuffer {
    if (!(bytes >= 0) || !Number.isFinite(bytes)) throw new RangeError(`pool: cannot allocate ${bytes} bytes`);
    const size = bucketSize(bytes);
    const list = this.free.get(size);
    let buf = list?.pop();
    if (buf) this.stat.reused++;
    else {
      if (size > this.gpu.limits.maxBufferSize) {
        throw new RangeError(`pool: ${size} bytes exceeds this device's maxBufferSize (${this.gpu.limits.maxBufferSize})`);
      }
      buf = this.gpu.device.createBuffer({ size, usage: this.usage, label: label ?? `pool ${size}` });
      this.stat.created++;
      this.stat.allocatedBytes += size;
    }
    this.inUse.add(buf);
    this.stat.inUseBytes += size;
    return buf;
  }

  /** Returns a buffer to its free list. GPU work already encoded that uses it still runs first (queue order). */
  release(buf: GPUBuffer): void {
    if (!this.inUse.delete(buf)) throw new Error(`pool: released a buffer it does not hold (${buf.label})`);
    this.stat.inUseBytes -= buf.size;
    let list = this.free.get(buf.size);
    if (!list) this.free.set(buf.size, (list = []));
    list.push(buf);
  }

  /** Destroys the free buffers (after a shape change, say). */
  trim(): void {
    for (const list of this.free.values()) for (const b of list) {
      this.stat.allocatedBytes -= b.size;
      b.destroy();
    }
    this.free.clear();
  }

  stats(): PoolStats {
    return { ...this.stat };
  }
}
