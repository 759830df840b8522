// Public face of the kernel runtime: a compiled kernel (Kernel IR) run on the GPU.
import type { KernelSpec } from '../../specs/types/kernel.ts';
import type { Gpu } from '../gpu/index.ts';
import { KernelRuntime, type KernelRuntimeInputs } from './runtime.ts';

export { KernelRuntime, type KernelRuntimeInputs, type BatchShape, type DescribeInfo } from './runtime.ts';
export { KernelRuntimeError } from './errors.ts';
export { type CsrGraph } from './graph.ts';
export { type RateSource, type TransitionCoefs } from './coefficients.ts';

/** Binds `spec` to a vocabulary and its inputs on `gpu`, and compiles the pipelines it needs. */
export async function createKernelRuntime(gpu: Gpu, spec: KernelSpec, inputs: KernelRuntimeInputs): Promise<KernelRuntime> {
  const rt = new KernelRuntime(gpu, spec, inputs.V, inputs);
  await rt.warm();
  return rt;
}
