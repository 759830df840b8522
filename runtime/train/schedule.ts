// What a training step draws and uses that is not data: the learning rate and EMA decay at a
// step, the batch's times, and the seeds of the GPU draws (corruption, dropout). Every one is a
// function of (run seed, step[, micro-batch]) only, so a resumed run draws exactly what an
// uninterrupted one would (docs/training.md, "Determinism").
import { mulberry32 } from '../data/random.ts';

export interface LrSchedule {
  lr: number;
  warmupSteps: number;
  decay: 'constant' | 'cosine' | 'linear';
  minLrRatio: number;
  totalSteps: number;
}

/** The learning rate of optimiser step `n` (0-based): linear warm-up to lr, then the decay to minLrRatio * lr at the last step. */
export function lrAt(s: LrSchedule, n: number): number {
  if (n < s.warmupSteps) return (s.lr * (n + 1)) / s.warmupSteps;
  if (s.decay === 'constant') return s.lr;
  const span = Math.max(1, s.totalSteps - s.warmupSteps - 1);
  const p = Math.min(1, (n - s.warmupSteps) / span);
  const f = s.decay === 'cosine' ? 0.5 * (1 + Math.cos(Math.PI * p)) : 1 - p;
  return s.lr * (s.minLrRatio + (1 - s.minLrRatio) * f);
}

/** The EMA decay in force after optimiser step `n` (0-based): min(decay, (1 + n) / (10 + n)), the usual warm-up. */
export function emaDecayAt(decay: number, n: number): number {
  return Math.min(decay, (1 + n) / (10 + n));
}

/** A 32-bit hash of small integers (murmur3's finaliser over a running mix): independent streams from (seed, step, salt). */
export function mix(...xs: number[]): number {
  let h = 0x9e3779b9;
  for (const x of xs) {
    h = Math.imul(h ^ (x >>> 0), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    // The high part of numbers above 2^32 (seeds up to 2^53) mixes in too.
    const hi = Math.floor(x / 4294967296);
    if (hi) h = Math.imul(h ^ hi, 0x27d4eb2f);
  }
  return h >>> 0;
}

/** Salts of the per-step streams. */
export const SALT = { time: 1, corrupt: 2, dropout: 3, validation: 4 } as const;

/**
 * The B times of micro-batch `micro` of step `step` on [eps, 1]:
 * antithetic (MDLM): t_i = eps + (1 - eps) * ((u + i / B) mod 1), one uniform u;
 * stratified: t_i = eps + (1 - eps) * (i + u_i) / B;  uniform: independent.
 */
export function sampleTimes(B: number, o: { sampling: 'antithetic' | 'stratified' | 'uniform'; eps: number }, seed: number, step: number, micro = 0): Float64Array {
  const u = mulberry32(mix(seed, step, micro, SALT.time));
  const t = new Float64Array(B);
  const u0 = u();
  for (let i = 0; i < B; i++) {
    const r = o.sampling === 'antithetic' ? (u0 + i / B) % 1 : o.sampling === 'stratified' ? (i + u()) / B : u();
    t[i] = o.eps + (1 - o.eps) * r;
  }
  return t;
}

/** The midpoints of `G` equal intervals of (0, 1]: the validation grid. */
export function midpointGrid(G: number): Float64Array {
  return Float64Array.from({ length: G }, (_, j) => (j + 0.5) / G);
}
