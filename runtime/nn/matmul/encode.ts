// encodeMatmul: validate, pick the variant, bind, dispatch. Synchronous so that a step
// recorder can encode a whole training step without awaiting; prepareMatmul does the async
// work (compilation, autotune) ahead of time.
import type { Gpu } from '../../gpu/index.ts';
import { bindGroupFor, idOf, overlaps, uniformFor, windowOf, type Resource, type Window } from './bindings.ts';
import { encodePack, packSpecs, scratchTexture, textureHeight, type PackSpec } from './pack.ts';
import { isWeightMirror, type WeightMirror } from './weight-mirror.ts';
import { MatmulError } from './errors.ts';
import type { Kernel, KernelConfig, VariantImpl } from './kernel.ts';
import { structuralKey } from './kernel.ts';
import { pipelineNow } from './pipelines.ts';
import { EPILOGUE, EPILOGUE_V4, EPILOGUE_V4_TEXELS, epilogueV4 } from './epilogue.ts';
import { extent, normalise, packParams, type Problem, type TexRows } from './problem.ts';
import { chooseVariant } from './select.ts';
import type { MatmulArgs, MatmulRecorder } from './types.ts';

const kernels = new WeakMap<GPUDevice, WeakMap<VariantImpl, Map<string, Kernel>>>();

/** The generated kernel of `impl` for `p`'s structure (memoised per device and implementation). */
export function kernelFor(gpu: Gpu, impl: VariantImpl, cfg: KernelConfig, p: Problem): Kernel {
  let byImpl = kernels.get(gpu.device);
  if (!byImpl) kernels.set(gpu.device, (byImpl = new WeakMap()));
  let m = byImpl.get(impl);
  if (!m) byImpl.set(impl, (m = new Map()));
  const key = `${structuralKey(p)}|${JSON.stringify(cfg)}`;
  let k = m.get(key);
  if (!k) m.set(key, (k = impl.kernel(gpu, p, cfg)));
  return k;
}

export function problemOf(args: MatmulArgs): Problem {
  return normalise({ ...args, hasBias: args.bias !== undefined || !!args.hasBias });
}

/** Encodes C = alpha * op(A) @ op(B) (+ bias) (+ C) as one compute pass into `rec.encoder`. */
export function encodeMatmul(rec: MatmulRecorder, args: MatmulArgs): void {
  const { gpu, encoder } = rec;
  const p = problemOf(args);
  const choice = chooseVariant(gpu, p, { variant: args.variant, bMirror: isWeightMirror(args.b) });
  encodeWith(gpu, encoder, choice.impl, choice.config, p, args);
}

/** Encodes with a given variant (the autotuner and the tests use this). */
export function encodeWith(gpu: Gpu, encoder: GPUCommandEncoder, impl: VariantImpl, cfg: KernelConfig, p: Problem, args: MatmulArgs): void {
  if (p.hasBias && !args.bias) throw new MatmulError('hasBias is set but no bias operand was given', 'bias');
  const k = kernelFor(gpu, impl, cfg, p);
  const wa = windowOf(gpu, args.a, extent(p, 'a'), 'a');
  const wb = windowOf(gpu, args.b, extent(p, 'b'), 'b');
  const wc = windowOf(gpu, args.c, extent(p, 'c'), 'c');
  const wbias = args.bias ? windowOf(gpu, args.bias, p.N, 'bias') : undefined;
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
  const batch = p.batchOuter * p.batchInner;
  const total = tilesM * tilesN * batch;
  const gx = Math.min(total, 65535);
  const gy = Math.ceil(total / gx);
  if (gy > 65535) throw new MatmulError(`needs ${total} workgroups, more than a dispatch can hold; split the batch`, 'batch');
  const bias = wbias ?? noBias(gpu);
  if (!k.textures) {
    const params = packParams(p, { a: wa.elem, b: wb.elem, c: wc.elem, bias: bias.elem }, tilesM, tilesN);
    const u = uniformFor(gpu, params);
    const pipeline = pipelineNow(gpu, k);
    const group = bindGroupFor(gpu, pipeline, k.key, [{ uniform: u.buffer }, { window: wa }, { window: wb }, { window: wc }, { window: bias }]);
    dispatch(encoder, k.key, pipeline, group, [gx, gy]);
    return;
  }
  // Texture kernels: pack op(A) and op(B) (B from a mirror when given), compute into the
  // scratch output texture, then the epilogue pass writes C.
  const { a, b, rows } = packSpecs(p, k.textures.format, k.textures.kChunk);
  const va = scratchTexture(gpu, 'a', a.format, a.width, textureHeight(a));
  encodePack(gpu, encoder, a, wa, va, idOf(va));
  let vb: GPUTextureView;
  if (isWeightMirror(args.b)) {
    vb = refreshMirror(gpu, encoder, args.b, b, wb).view;
  } else {
    vb = scratchTexture(gpu, 'b', b.format, b.width, textureHeight(b));
    encodePack(gpu, encoder, b, wb, vb, idOf(vb));
  }
  const vo = scratchTexture(gpu, 'out', 'rgba32float', (tilesN * k.tileN) / 4, p.M * batch);
  const params = packParams(p, { a: 0, b: 0, c: wc.elem, bias: bias.elem }, tilesM, tilesN, rows);
  const u = uniformFor(gpu, params);
  const pipeline = pipelineNow(gpu, k);
  const group = bindGroupFor(gpu, pipeline, k.key, [
    { uniform: u.buffer },
    { texture: va, id: idOf(va) },
    { texture: vb, id: idOf(vb) },
    undefined,
    undefined,
    { texture: vo, id: idOf(vo) },
  ]);
  dispatch(encoder, k.key, pipeline, group, [gx, gy]);
  const v4 = epilogueV4(p, wc.elem, bias.elem) && bias.byteSize % 16 === 0 && wc.byteSize % 16 === 0;
  const src = v4 ? EPILOGUE_V4 : EPILOGUE;
  const epi = pipelineNow(gpu, src);
  const egroup = bindGroupFor(gpu, epi, src.key, [{ uniform: u.buffer }, { texture: vo, id: idOf(vo) }, undefined, { window: wc }, { window: bias }]);
  const rowsOut = p.M * batch;
  const perInvocation = v4 ? 4 * EPILOGUE_V4_TEXELS : 4;
  dispatch(encoder, src.key, epi, egroup, [Math.ceil(p.N / perInvocation / 64), Math.min(rowsOut, 65535), Math.ceil(rowsOut / 65535)]);
}

function dispatch(encoder: GPUCommandEncoder, label: string, pipeline: GPUComputePipeline, group: GPUBindGroup, wg: [number, number, number?]): void {
  const pass = encoder.beginComputePass({ label });
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, group);
  pass.dispatchWorkgroups(wg[0], wg[1], wg[2] ?? 1);
  pass.end();
}

/** The mirror's texture for this packing, packed first when stale. */
function refreshMirror(gpu: Gpu, encoder: GPUCommandEncoder, mirror: WeightMirror, spec: PackSpec, w: Window): { view: GPUTextureView; id: number } {
  const m = mirror.textureFor(spec);
  if (m.stale) {
    encodePack(gpu, encoder, spec, w, m.view, m.id);
    mirror.markFresh(m.key);
  }
  return m;
}

/** Encodes only the refresh of a stale mirror for kernel `k` (benchmarks of the refresh cost). */
export function encodeMirrorRefresh(gpu: Gpu, encoder: GPUCommandEncoder, k: Kernel, p: Problem, mirror: WeightMirror): void {
  if (!k.textures) return;
  const { b } = packSpecs(p, k.textures.format, k.textures.kChunk);
  refreshMirror(gpu, encoder, mirror, b, windowOf(gpu, mirror, extent(p, 'b'), 'b'));
}

const dummies = new WeakMap<GPUDevice, Window>();
/** A 4-element buffer bound as the bias when there is none (the kernels test a flag, not the binding). */
function noBias(gpu: Gpu): Window {
  let w = dummies.get(gpu.device);
  if (!w) {
    const buffer = gpu.device.createBuffer({ size: 16, usage: 0x80, label: 'matmul no-bias' });
    dummies.set(gpu.device, (w = { buffer, byteOffset: 0, byteSize: 16, elem: 0 }));
  }
  return w;
}

