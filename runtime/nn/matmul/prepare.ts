// prepareMatmul: compile and, at first use of a tune key, autotune ahead of time, so that a
// timed step never compiles a pipeline or measures anything.
import type { Gpu } from '../../gpu/index.ts';
import { autotune, Timer } from './autotune.ts';
import { adapterKey, lookupTuned } from './cache.ts';
import { normalise } from './problem.ts';
import { chooseVariant, forcedByEnv, tuneKey } from './select.ts';
import type { MatmulShape, MatmulVariant } from './types.ts';

const pending = new Map<string, Promise<unknown>>();

export interface Prepared {
  variant: MatmulVariant;
  config: Readonly<Record<string, number>>;
  /** Where the choice came from: the call, DLMK_MATMUL, the tune cache, or the default. */
  source: 'call' | 'env' | 'tuned' | 'default';
}

/**
 * Makes calls of this shape ready: tunes its key if DLMK_MATMUL and `shape.variant` leave the
 * choice open and no tuned entry exists (set DLMK_MATMUL_AUTOTUNE=0 to skip tuning), then warms
 * the chosen pipelines with one dispatch (Dawn on lavapipe compiles at first dispatch).
 */
export async function prepareMatmul(gpu: Gpu, shape: MatmulShape): Promise<Prepared> {
  const p = normalise({ ...shape, hasBias: !!shape.hasBias });
  const bMirror = !!shape.bMirror;
  const open = !shape.variant && !forcedByEnv();
  const key = `${adapterKey(gpu)}\n${tuneKey(p, bMirror)}`;
  if (open && process.env['DLMK_MATMUL_AUTOTUNE'] !== '0' && !lookupTuned(adapterKey(gpu), tuneKey(p, bMirror))) {
    let job = pending.get(key);
    if (!job) {
      job = autotune(gpu, p, shape, bMirror).finally(() => pending.delete(key));
      pending.set(key, job);
    }
    await job;
  }
  const choice = chooseVariant(gpu, p, { variant: shape.variant, bMirror });
  // Warm with tiny problems of the same structure (pipelines do not depend on sizes): 1x1x1
  // reaches the compute pack and the general epilogue, 1x4x4 the vec4 epilogue (copies need none).
  for (const n of [1, 4]) {
    const tinyShape: MatmulShape = { ...shape, M: 1, N: n, K: n, batch: 1, strideA: undefined, strideB: undefined, strideC: undefined, lda: undefined, ldb: undefined, ldc: undefined };
    const timer = new Timer(gpu, normalise({ ...tinyShape, hasBias: !!shape.hasBias }), tinyShape, bMirror);
    try {
      await timer.run({ impl: choice.impl, config: choice.config }, 1);
    } finally {
      timer.destroy();
    }
  }
  return { variant: choice.impl.name, config: choice.config, source: choice.source };
}
