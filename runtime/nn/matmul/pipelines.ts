// Compute pipelines for generated matmul kernels. prepareMatmul builds them asynchronously
// (compile errors become ShaderCompileError); encodeMatmul then finds them synchronously.
import { getPipeline, type Gpu } from '../../gpu/index.ts';
/** What a pipeline is built from: a key that identifies the text, and the text. */
export interface Source { key: string; code: string }

const ready = new WeakMap<GPUDevice, Map<string, GPUComputePipeline>>();

function table(gpu: Gpu): Map<string, GPUComputePipeline> {
  let t = ready.get(gpu.device);
  if (!t) ready.set(gpu.device, (t = new Map()));
  return t;
}

export async function buildPipeline(gpu: Gpu, k: Source): Promise<GPUComputePipeline> {
  const t = table(gpu);
  const have = t.get(k.key);
  if (have) return have;
  const p = await getPipeline(gpu, { key: k.key, code: k.code });
  t.set(k.key, p);
  return p;
}

/** The pipeline for `k`, built synchronously if prepareMatmul did not build it (Dawn compiles it at first dispatch). */
export function pipelineNow(gpu: Gpu, k: Source): GPUComputePipeline {
  const t = table(gpu);
  let p = t.get(k.key);
  if (!p) {
    p = gpu.device.createComputePipeline({ label: k.key, layout: 'auto', compute: { module: gpu.device.createShaderModule({ code: k.code, label: k.key }), entryPoint: 'main' } });
    t.set(k.key, p);
  }
  return p;
}
