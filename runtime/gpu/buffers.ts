// Small, explicit buffer helpers used by tests, the kernel runtime and the nn layer.
import type { Gpu } from './device.ts';

export type HostArray = Float32Array | Uint32Array | Int32Array;

const STORAGE = 0x80; // GPUBufferUsage.STORAGE
const COPY_SRC = 0x04;
const COPY_DST = 0x08;
const MAP_READ = 0x01;
const UNIFORM = 0x40;

/** Rounds up to the 4-byte multiple (and minimum 4) WebGPU requires. */
export function alignedSize(bytes: number): number {
  return Math.max(4, Math.ceil(bytes / 4) * 4);
}

export function storageBuffer(gpu: Gpu, data: HostArray | number, label?: string): GPUBuffer {
  const size = alignedSize(typeof data === 'number' ? data : data.byteLength);
  const buf = gpu.device.createBuffer({ size, usage: STORAGE | COPY_SRC | COPY_DST, label });
  if (typeof data !== 'number' && data.byteLength) gpu.device.queue.writeBuffer(buf, 0, data);
  return buf;
}

export function uniformBuffer(gpu: Gpu, data: ArrayBuffer | HostArray, label?: string): GPUBuffer {
  const bytes = data instanceof ArrayBuffer ? data.byteLength : data.byteLength;
  const size = Math.ceil(bytes / 16) * 16 || 16;
  const buf = gpu.device.createBuffer({ size, usage: UNIFORM | COPY_DST, label });
  gpu.device.queue.writeBuffer(buf, 0, data as ArrayBuffer);
  return buf;
}

/** Copies `bytes` of `src` to the host. */
export async function readBuffer(gpu: Gpu, src: GPUBuffer, bytes = src.size, offset = 0): Promise<ArrayBuffer> {
  const size = alignedSize(bytes);
  const staging = gpu.device.createBuffer({ size, usage: MAP_READ | COPY_DST });
  const enc = gpu.device.createCommandEncoder();
  enc.copyBufferToBuffer(src, offset, staging, 0, size);
  gpu.device.queue.submit([enc.finish()]);
  await staging.mapAsync(MAP_READ);
  const out = staging.getMappedRange().slice(0, bytes);
  staging.unmap();
  staging.destroy();
  return out;
}

export async function readF32(gpu: Gpu, src: GPUBuffer, count?: number): Promise<Float32Array> {
  return new Float32Array(await readBuffer(gpu, src, (count ?? src.size / 4) * 4));
}

export async function readU32(gpu: Gpu, src: GPUBuffer, count?: number): Promise<Uint32Array> {
  return new Uint32Array(await readBuffer(gpu, src, (count ?? src.size / 4) * 4));
}
