// Shared fixtures for the reference tests: a seeded uniform generator, small graphs and
// distributions, and hand-built non-proportional kernels (shares that vary with t).
import { createHash } from 'node:crypto';
import type { Channel, Expr, KernelSpec, Operator } from '../../specs/types/kernel.ts';
import * as X from '../../compiler/expr/build.ts';
import { buildKnnGraph } from '../../reference/graph/index.ts';
import type { SparseGraph } from '../../runtime/kernel/tables/graph.ts';
import { mulberry32Words } from '../../runtime/data/random.ts';

/** Seeded uniforms in (0, 1) with 53-bit resolution (two mulberry32 words). */
export function seeded(seed: number): () => number {
  const word = mulberry32Words(seed);
  return () => ((word() >>> 5) * 67108864 + (word() >>> 6) + 0.5) / 9007199254740992;
}

export function randomEmbeddings(V: number, d: number, rng: () => number): Float64Array {
  return new Float64Array(V * d).map(() => rng() - 0.5);
}

export function knn(V: number, k: number, seed: number, opts: { d?: number; bandwidth?: number; symmetric?: boolean } = {}): SparseGraph {
  const d = opts.d ?? 6;
  return buildKnnGraph(randomEmbeddings(V, d, seeded(seed)), V, d, { k, bandwidth: opts.bandwidth ?? 0.3, symmetric: opts.symmetric ?? false });
}

/** A random law over V tokens with mass spread over two orders of magnitude. */
export function randomLaw(V: number, seed: number): Float64Array {
  const r = seeded(seed);
  const p = new Float64Array(V).map(() => Math.exp(4 * r()));
  const z = p.reduce((a, b) => a + b, 0);
  return p.map((x) => x / z);
}

function own(operator: Operator, sigma: Expr, Lambda: Expr | null): Channel {
  return { operator, share: null, sigma, Lambda };
}

function spec(name: string, channels: Channel[], graphs: string[]): KernelSpec {
  return {
    format: 'dlmk.kernel/1',
    name,
    doc: `hand-built ${name}`,
    source: { path: '<test>', sha256: createHash('sha256').update(name).digest('hex') },
    params: [],
    graphs: graphs.map((g) => ({ name: g, builder: 'knn', source: 'embeddings', k: 3, bandwidth: 0.3, symmetric: false, classes: null })),
    schedule: { kind: 'linear', args: { min: 0, max: 1 }, Lambda: X.t, sigma: X.num(1) },
    channels: channels as KernelSpec['channels'],
    hasMask: channels.some((c) => c.operator.op === 'mask'),
    proportional: false,
    hops: { mode: 'adaptive', cap: 64 },
    loss: { kind: 'elbo' },
    sampler: { predictor: 'ancestral', options: { steps: 16 }, rules: [], cache: false, denoise: 'argmax' },
  };
}

const t = X.t;
const oneMinusT = X.sub(1, t);

/**
 * mask + reset(unigram) + reset(uniform) + jump(near), each with its own rate, so the shares change
 * with t. `offset` adds Lambda_c(0) = offset * c to every channel (a schedule that starts corrupted).
 */
export function nonProportional(offset = 0): KernelSpec {
  const off = (e: Expr, k: number) => (offset ? X.add(offset * k, e) : e);
  return spec(
    'nonprop',
    [
      // sigma = 1.6 t, Lambda = 0.8 t^2
      own({ op: 'mask' }, X.mul(1.6, t), off(X.mul(0.8, X.mul(t, t)), 1)),
      // sigma = 0.9 (1 + sin 3t), Lambda = 0.9 (t + (1 - cos 3t) / 3)
      own({ op: 'reset', dist: { kind: 'unigram' } }, X.mul(0.9, X.add(1, X.call('sin', X.mul(3, t)))), off(X.mul(0.9, X.add(t, X.div(X.sub(1, X.call('cos', X.mul(3, t))), 3))), 0.5)),
      // sigma = 0.4 e^t, Lambda = 0.4 (e^t - 1)
      own({ op: 'reset', dist: { kind: 'uniform' } }, X.mul(0.4, X.call('exp', t)), off(X.mul(0.4, X.sub(X.call('exp', t), 1)), 0.25)),
      // sigma = 6 (1 - t)^2, Lambda = 2 (1 - (1 - t)^3)
      own({ op: 'jump', graph: 'near' }, X.mul(6, X.mul(oneMinusT, oneMinusT)), off(X.mul(2, X.sub(1, X.mul(oneMinusT, X.mul(oneMinusT, oneMinusT)))), 2)),
    ],
    ['near'],
  );
}

/** Two graphs whose relative rates change with t (no hop expansion), plus a reset. */
export function twoGraphs(): KernelSpec {
  return spec(
    'two_graphs',
    [
      // sigma = 3 (1 - t), Lambda = 3 (t - t^2 / 2)
      own({ op: 'jump', graph: 'near' }, X.mul(3, oneMinusT), X.mul(3, X.sub(t, X.div(X.mul(t, t), 2)))),
      // sigma = 4 t^2, Lambda = 4 t^3 / 3
      own({ op: 'jump', graph: 'far' }, X.mul(4, X.mul(t, t)), X.mul(4 / 3, X.mul(t, X.mul(t, t)))),
      own({ op: 'reset', dist: { kind: 'unigram' } }, X.num(0.5), X.mul(0.5, t)),
      own({ op: 'mask' }, X.num(0.3), X.mul(0.3, t)),
    ],
    ['near', 'far'],
  );
}

/** nonProportional() with the reset(unigram) channel's Lambda left to the rate tables (quadrature). */
export function tabulatedChannel(): KernelSpec {
  const s = nonProportional();
  s.channels[1] = { ...s.channels[1]!, Lambda: null };
  return s;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
