// Small GPU helpers of the sampler: persistent buffers, and dispatches of the shaders that read the
// kernel shaders' uniform block (compiler/wgsl/dims.ts) through the step recorder.
import { uniformLayout, type BufferRange, type Gpu, type Recorder } from '../gpu/index.ts';
import { DIMS, type DimsValues } from '../../compiler/wgsl/dims.ts';
import type { WgslProgram } from '../../compiler/wgsl/module.ts';

const STORAGE = 0x80;
const COPY_SRC = 0x04;
const COPY_DST = 0x08;

const LAYOUT = uniformLayout('Dims', Object.fromEntries(DIMS.fields.map(([n, t]) => [n, t])) as Record<string, 'u32' | 'i32' | 'f32'>);

/** A storage buffer the sampler owns for the whole run (destroyed by the caller). */
export function buffer(gpu: Gpu, bytes: number, label: string): GPUBuffer {
  return gpu.device.createBuffer({ size: Math.max(16, Math.ceil(bytes / 16) * 16), usage: STORAGE | COPY_SRC | COPY_DST, label });
}

/** `groups` workgroups, folded into y past the per-dimension limit. */
export function fold(groups: number, limit = 65535): [number, number] {
  const n = Math.max(1, groups);
  if (n <= limit) return [n, 1];
  const y = Math.ceil(n / limit);
  return [Math.ceil(n / y), y];
}

/** Records one dispatch of `prog` with its dims and bindings over `groups` workgroups. */
export function dispatch(rec: Recorder, prog: WgslProgram, dims: DimsValues, bindings: readonly (GPUBuffer | BufferRange)[], groups: number): void {
  const values: Record<string, number> = {};
  for (const [n] of DIMS.fields) values[n] = dims[n as keyof DimsValues] ?? 0;
  rec.dispatch({ program: prog, label: prog.key.split('/')[2], uniform: { layout: LAYOUT, values }, bindings, workgroups: fold(groups) });
}
