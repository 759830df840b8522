// prepareMatmul: compile (and, once autotune lands, tune) ahead of time so a timed step
// never compiles a pipeline.
import type { Gpu } from '../../gpu/index.ts';
import { kernelFor } from './encode.ts';
import { buildPipeline } from './pipelines.ts';
import { normalise } from './problem.ts';
import { chooseVariant } from './select.ts';
import type { MatmulShape, MatmulVariant } from './types.ts';

/** Compiles the pipeline encodeMatmul will use for calls of this shape; returns the variant chosen. */
export async function prepareMatmul(gpu: Gpu, shape: MatmulShape): Promise<MatmulVariant> {
  const p = normalise(shape);
  const impl = chooseVariant(gpu, p, { variant: shape.variant, b: undefined as never });
  await buildPipeline(gpu, kernelFor(gpu, impl, p));
  return impl.name;
}
