// Timing of matmul variants for bench/ and the docs: the autotuner's harness, public.
import type { Gpu } from '../../gpu/index.ts';
import { candidateName, candidates, flops, Timer, type Candidate } from './autotune.ts';
import { MatmulError } from './errors.ts';
import { normalise } from './problem.ts';
import { chooseVariant } from './select.ts';
import type { MatmulShape, MatmulVariant } from './types.ts';
import { VARIANTS } from './variants/index.ts';

export interface MatmulTiming {
  /** e.g. "subgroup {R16 CPL1}". */
  name: string;
  variant: MatmulVariant;
  config: Readonly<Record<string, number>>;
  msPerCall: number;
  gflops: number;
}

/** The candidates the autotuner would try for this shape, by name. */
export function matmulCandidates(gpu: Gpu, shape: MatmulShape): string[] {
  return candidates(gpu, normalise(shape)).map(candidateName);
}

/**
 * Times calls of `shape` (scratch operands, zero-filled) with the variant the runtime would
 * choose, or `opts.candidate` (a name from matmulCandidates). Each call includes its own
 * operand packing; with bMirror, B is packed once and not re-packed.
 */
export async function timeMatmul(
  gpu: Gpu,
  shape: MatmulShape,
  opts: { candidate?: string; bMirror?: boolean; targetMs?: number; trials?: number; giveUpMs?: number } = {},
): Promise<MatmulTiming> {
  const p = normalise({ ...shape, hasBias: !!shape.hasBias });
  const bMirror = !!opts.bMirror;
  let c: Candidate;
  if (opts.candidate) {
    const found = candidates(gpu, p).find((x) => candidateName(x) === opts.candidate);
    if (!found) throw new MatmulError(`'${opts.candidate}' is not a candidate here (have: ${candidates(gpu, p).map(candidateName).join('; ')})`, 'candidate');
    c = found;
  } else {
    const ch = chooseVariant(gpu, p, { variant: shape.variant, bMirror });
    c = { impl: VARIANTS[ch.impl.name], config: ch.config };
  }
  const timer = new Timer(gpu, p, shape, bMirror);
  try {
    const ms = await timer.time(c, { targetMs: opts.targetMs ?? 200, trials: opts.trials ?? 3, giveUpMs: opts.giveUpMs });
    return { name: candidateName(c), variant: c.impl.name, config: c.config, msPerCall: ms, gflops: flops(p) / ms / 1e6 };
  } finally {
    timer.destroy();
  }
}

/** Milliseconds to re-pack a weight mirror of B for this shape (what invalidate() costs once per change). */
export async function timeMirrorRefresh(gpu: Gpu, shape: MatmulShape, reps = 10): Promise<number> {
  const p = normalise({ ...shape, hasBias: false });
  const ch = chooseVariant(gpu, p, { variant: shape.variant, bMirror: true });
  const timer = new Timer(gpu, p, shape, true);
  try {
    return await timer.refreshMs({ impl: ch.impl, config: ch.config }, reps);
  } finally {
    timer.destroy();
  }
}
