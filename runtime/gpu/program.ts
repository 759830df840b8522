// Compute pipelines cached by a key (ONNX Runtime Web's program-manager idea), with WGSL
// compilation errors surfaced as ShaderCompileError instead of a silent invalid pipeline.
import type { Gpu } from './device.ts';
import { ShaderCompileError } from './errors.ts';

const cache = new WeakMap<GPUDevice, Map<string, Promise<GPUComputePipeline>>>();

export interface ProgramSource {
  /** Identifies the shader text: same key, same code. */
  key: string;
  code: string;
  entryPoint?: string;
  constants?: Record<string, number>;
}

export function getPipeline(gpu: Gpu, src: ProgramSource): Promise<GPUComputePipeline> {
  let byKey = cache.get(gpu.device);
  if (!byKey) cache.set(gpu.device, (byKey = new Map()));
  const fullKey = src.constants ? `${src.key}|${JSON.stringify(src.constants)}` : src.key;
  let p = byKey.get(fullKey);
  if (!p) {
    p = build(gpu, src);
    byKey.set(fullKey, p);
    p.catch(() => byKey!.delete(fullKey));
  }
  return p;
}

async function build(gpu: Gpu, src: ProgramSource): Promise<GPUComputePipeline> {
  const { device } = gpu;
  // Scoped so that a broken shader becomes our error, not Dawn's uncaptured-error print.
  device.pushErrorScope('validation');
  const module = device.createShaderModule({ code: src.code, label: src.key });
  const info = await module.getCompilationInfo();
  const scoped = await device.popErrorScope();
  const errors = info.messages.filter((m) => m.type === 'error');
  if (errors.length || scoped) {
    const lines = src.code.split('\n');
    throw new ShaderCompileError(
      src.key,
      errors.length
        ? errors.map((m) => `${m.lineNum}:${m.linePos}: ${m.message}\n    ${lines[m.lineNum - 1] ?? ''}`)
        : [scoped!.message],
      src.code,
    );
  }
  device.pushErrorScope('validation');
  const pipeline = await device.createComputePipelineAsync({
    label: src.key,
    layout: 'auto',
    compute: { module, entryPoint: src.entryPoint ?? 'main', constants: src.constants },
  });
  const err = await device.popErrorScope();
  if (err) throw new ShaderCompileError(src.key, [err.message], src.code);
  return pipeline;
}
