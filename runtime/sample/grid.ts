// The sampler's time grid and the confidence predictor's block plan (docs/sampling.md).
import { SampleError } from './errors.ts';

/**
 * The uniform grid of a run of `steps` reverse steps from `t0` (1, or a given start): t_k =
 * t0 (1 - k / steps) for k = 0..steps, the last point exactly 0, so the last step lands on clean
 * data (no separate t -> 0 jump).
 */
export function timeGrid(steps: number, t0 = 1): Float64Array {
  const g = new Float64Array(steps + 1);
  for (let k = 0; k < steps; k++) g[k] = t0 === 1 ? 1 - k / steps : t0 * (1 - k / steps);
  g[steps] = 0;
  return g;
}

/** One step of the confidence predictor: the block [start, end) it decodes and its steps left in that block (this one included). */
export interface BlockStep {
  block: number;
  start: number;
  end: number;
  left: number;
}

/**
 * Blocks of `block` positions from the left (the last may be shorter); the steps are shared out as
 * evenly as possible, the first blocks taking the remainder (LLaDA's semi-autoregressive decoding
 * needs steps divisible by the number of blocks; this is its natural extension). Every block needs
 * at least one step.
 */
export function confidencePlan(L: number, block: number, steps: number): BlockStep[] {
  const nb = Math.ceil(L / block);
  if (steps < nb) {
    throw new SampleError(`confidence decodes ${nb} blocks of ${block} positions (L = ${L}) and needs at least one step per block; steps = ${steps}`, 'steps');
  }
  const out: BlockStep[] = [];
  for (let b = 0; b < nb; b++) {
    const n = Math.floor(steps / nb) + (b < steps % nb ? 1 : 0);
    const start = b * block;
    const end = Math.min(L, start + block);
    for (let j = 0; j < n; j++) out.push({ block: b, start, end, left: n - j });
  }
  return out;
}
