// encodeMatmul: validate, pick the variant, bind, dispatch. Synchronous so that a step
// recorder can encode a whole training step without awaiting; prepareMatmul does the async
// work (compilation, autotune) ahead of time.
import type { Gpu } from '../../gpu/index.ts';
import { bindGroupFor, overlaps, uniformFor, windowOf, type Resource, type Window } from './bindings.ts';
import { MatmulError } from './errors.ts';
import type { Kernel, VariantImpl } from './kernel.ts';
import { structuralKey } from './kernel.ts';
import { pipelineNow } from './pipelines.ts';
import { extent, normalise, packParams, type Problem } from './problem.ts';
import { chooseVariant } from './select.ts';
import type { MatmulArgs, MatmulRecorder } from './types.ts';
import { VARIANTS } from './variants/index.ts';

const kernels = new WeakMap<GPUDevice, Map<string, Kernel>>();

/** The generated kernel of `impl` for `p`'s structure (memoised per device). */
export function kernelFor(gpu: Gpu, impl: VariantImpl, p: Problem): Kernel {
  let m = kernels.get(gpu.device);
  if (!m) kernels.set(gpu.device, (m = new Map()));
  const key = `${impl.name}|${structuralKey(p)}|${p.allowF16 ? 'h' : ''}`;
  let k = m.get(key);
  if (!k) m.set(key, (k = impl.kernel(gpu, p)));
  return k;
}

export function problemOf(args: MatmulArgs): Problem {
  return normalise({ ...args, hasBias: args.bias !== undefined || !!args.hasBias });
}

/** Encodes C = alpha * op(A) @ op(B) (+ bias) (+ C) as one compute pass into `rec.encoder`. */
export function encodeMatmul(rec: MatmulRecorder, args: MatmulArgs): void {
  const { gpu, encoder } = rec;
  const p = problemOf(args);
  const impl = chooseVariant(gpu, p, args);
  encodeWith(gpu, encoder, impl, p, args);
}

/** Encodes with a given variant (the autotuner and the tests use this). */
export function encodeWith(gpu: Gpu, encoder: GPUCommandEncoder, impl: VariantImpl, p: Problem, args: MatmulArgs): void {
  if (p.hasBias && !args.bias) throw new MatmulError('hasBias is set but no bias operand was given', 'bias');
  const k = kernelFor(gpu, impl, p);
  const wa = windowOf(gpu, args.a, extent(p, 'a'), 'a');
  const wc = windowOf(gpu, args.c, extent(p, 'c'), 'c');
  const wbias = args.bias ? windowOf(gpu, args.bias, p.N, 'bias') : undefined;
  let wb: Window | undefined;
  let bRes: Resource;
  if (k.bFromTexture) {
    throw new MatmulError('texture operands are not available yet', 'b');
  } else {
    wb = windowOf(gpu, args.b, extent(p, 'b'), 'b');
    bRes = { window: wb };
  }
  for (const [w, name] of [[wa, 'a'], [wb, 'b'], [wbias, 'bias']] as const) {
    if (w && overlaps(w, wc)) {
      throw new MatmulError(
        `its binding overlaps ${name}'s in the same buffer (bindings start at multiples of ${gpu.limits.minStorageBufferOffsetAlignment} bytes); ` +
          `place C at an offset that is a multiple of ${gpu.limits.minStorageBufferOffsetAlignment / 4} elements, away from the inputs`,
        'c',
      );
    }
  }
  const tilesM = Math.ceil(p.M / k.tileM);
  const tilesN = Math.ceil(p.N / k.tileN);
  const total = tilesM * tilesN * p.batchOuter * p.batchInner;
  const gx = Math.min(total, 65535);
  const gy = Math.ceil(total / gx);
  if (gy > 65535) throw new MatmulError(`needs ${total} workgroups, more than a dispatch can hold; split the batch`, 'batch');
  const params = packParams(p, { a: wa.elem, b: wb?.elem ?? 0, c: wc.elem, bias: wbias?.elem ?? 0 }, tilesM, tilesN);
  const u = uniformFor(gpu, params);
  const pipeline = pipelineNow(gpu, k);
  const group = bindGroupFor(gpu, pipeline, k.key, [
    { uniform: u.buffer },
    { window: wa },
    bRes,
    { window: wc },
    wbias ? { window: wbias } : undefined,
  ]);
  const pass = encoder.beginComputePass({ label: k.key });
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, group);
  pass.dispatchWorkgroups(gx, gy);
  pass.end();
}

export { VARIANTS };
