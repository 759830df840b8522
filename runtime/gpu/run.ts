// One-shot compute dispatch: bind buffers in order to @group(0) @binding(i), dispatch, submit.
// Hot paths encode many passes into one command buffer instead (runtime/nn); this is for
// tools, tests and rarely-run kernels.
import type { Gpu } from './device.ts';
import { getPipeline, type ProgramSource } from './program.ts';

export interface Dispatch extends ProgramSource {
  /** Buffers bound to @group(0) @binding(0..n-1), in order. */
  bindings: GPUBuffer[];
  workgroups: [number, number?, number?];
}

export async function encodeDispatch(gpu: Gpu, enc: GPUCommandEncoder, d: Dispatch): Promise<void> {
  const pipeline = await getPipeline(gpu, d);
  const bindGroup = gpu.device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: d.bindings.map((buffer, binding) => ({ binding, resource: { buffer } })),
  });
  const pass = enc.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, bindGroup);
  pass.dispatchWorkgroups(d.workgroups[0], d.workgroups[1] ?? 1, d.workgroups[2] ?? 1);
  pass.end();
}

/** Runs the dispatches in order, in one command buffer and one submit. */
export async function runDispatches(gpu: Gpu, dispatches: Dispatch[]): Promise<void> {
  const enc = gpu.device.createCommandEncoder();
  for (const d of dispatches) await encodeDispatch(gpu, enc, d);
  gpu.device.queue.submit([enc.finish()]);
}

/** Splits n items into a dispatch grid of workgroups of `size`, within the 65535-per-dimension limit. */
export function grid(n: number, size: number): [number, number] {
  const groups = Math.max(1, Math.ceil(n / size));
  if (groups <= 65535) return [groups, 1];
  const y = Math.ceil(groups / 65535);
  return [Math.ceil(groups / y), y];
}
