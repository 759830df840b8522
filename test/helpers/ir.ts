// Hand-built Kernel IR for the shipped kernels, for back-end tests that must not depend on the
// front end. A compiler test checks that compiling kernels/*.kernel gives the same IR.
import { createHash } from 'node:crypto';
import type { Channel, Expr, KernelSpec, Operator, Rule, Schedule } from '../../specs/types/kernel.ts';
import * as X from '../../compiler/expr/build.ts';

/** loglinear(eps): Lambda(t) = -log(1 - (1 - eps) t), sigma(t) = (1 - eps) / (1 - (1 - eps) t). */
export function loglinear(eps = 1e-3): Schedule {
  const inner = X.sub(1, X.mul(1 - eps, X.t));
  return { kind: 'loglinear', args: { eps }, Lambda: X.neg(X.call('log', inner)), sigma: X.div(1 - eps, inner) };
}

/** linear(min, max): Lambda(t) = min + (max - min) t. */
export function linear(min: number, max: number): Schedule {
  return { kind: 'linear', args: { min, max }, Lambda: X.add(min, X.mul(max - min, X.t)), sigma: X.num(max - min) };
}

export function mutualInfo(eps = 1e-3): Schedule {
  return { kind: 'mutual_info', args: { eps }, Lambda: null, sigma: null };
}

function channel(operator: Operator, share: number, schedule: Schedule): Channel {
  const scale = (e: Expr | null) => (e === null ? null : share === 1 ? e : X.mul(share, e));
  return { operator, share: X.num(share), sigma: scale(schedule.sigma), Lambda: scale(schedule.Lambda) };
}

function spec(name: string, schedule: Schedule, parts: Array<[Operator, number]>, extra: Partial<KernelSpec> = {}): KernelSpec {
  return {
    format: 'dlmk.kernel/1',
    name,
    doc: `hand-built ${name}`,
    source: { path: '<test>', sha256: createHash('sha256').update(name).digest('hex') },
    params: [],
    graphs: [],
    schedule,
    channels: parts.map(([op, w]) => channel(op, w, schedule)) as KernelSpec['channels'],
    hasMask: parts.some(([op]) => op.op === 'mask'),
    proportional: true,
    hops: { mode: 'adaptive', cap: 64 },
    loss: { kind: 'elbo' },
    sampler: { predictor: 'ancestral', options: { steps: 128 }, rules: [], cache: false, denoise: 'argmax' },
    ...extra,
  };
}

const near = (k = 4, bandwidth = 0.3) =>
  ({ name: 'near', builder: 'knn', source: 'embeddings', k, bandwidth, symmetric: false, classes: null }) as const;

export function masking(schedule = loglinear()): KernelSpec {
  return spec('masking', schedule, [[{ op: 'mask' }, 1]], {
    sampler: { predictor: 'ancestral', options: { steps: 128 }, rules: [], cache: true, denoise: 'argmax' },
  });
}

export function uniform(schedule = loglinear()): KernelSpec {
  return spec('uniform', schedule, [[{ op: 'reset', dist: { kind: 'uniform' } }, 1]]);
}

export function semdlm(schedule = loglinear(), k = 4): KernelSpec {
  return spec('semdlm', schedule, [[{ op: 'jump', graph: 'near' }, 1]], { graphs: [near(k)] });
}

/** SemDLM+: jump with share 1 - global, reset(unigram) with share global; the semantic-frequency penalty. */
export function semdlmPlus(schedule = loglinear(), opts: { global?: number; gamma?: number; beta?: number; k?: number } = {}): KernelSpec {
  const global = opts.global ?? 0.2;
  const rules: Rule[] = [
    {
      kind: 'logit',
      op: '-=',
      expr: X.mul(X.param('gamma'), X.add(X.field('count'), X.mul(X.param('beta'), X.graphSum('near', 'count')))),
    },
    { kind: 'top_p', value: X.num(0.95) },
  ];
  return spec('semdlm_plus', schedule, [[{ op: 'jump', graph: 'near' }, 1 - global], [{ op: 'reset', dist: { kind: 'unigram' } }, global]], {
    graphs: [near(opts.k ?? 4)],
    params: [
      { name: 'gamma', type: 'real', default: 0.5, value: opts.gamma ?? 0.5, range: { lo: 0, hi: 'inf', loOpen: false, hiOpen: true } },
      { name: 'beta', type: 'real', default: 0.5, value: opts.beta ?? 0.5, range: { lo: 0, hi: 1, loOpen: false, hiOpen: false } },
    ],
    sampler: { predictor: 'ancestral', options: { steps: 128 }, rules, cache: false, denoise: 'argmax' },
  });
}

/** mask + uniform channels (GIDD-like hybrid). */
export function hybrid(schedule = loglinear(), uniformShare = 0.3): KernelSpec {
  return spec('hybrid', schedule, [[{ op: 'mask' }, 1 - uniformShare], [{ op: 'reset', dist: { kind: 'uniform' } }, uniformShare]]);
}

/** All three operators together: mask, reset(unigram), jump(near). */
export function everything(schedule = loglinear(), shares: [number, number, number] = [0.3, 0.2, 0.5]): KernelSpec {
  return spec(
    'everything',
    schedule,
    [
      [{ op: 'mask' }, shares[0]],
      [{ op: 'reset', dist: { kind: 'unigram' } }, shares[1]],
      [{ op: 'jump', graph: 'near' }, shares[2]],
    ],
    { graphs: [near()] },
  );
}

/** Any proportional combination of the operators on one schedule (shares sum to 1), for randomised tests. */
export function custom(name: string, schedule: Schedule, parts: Array<[Operator, number]>): KernelSpec {
  return spec(name, schedule, parts, parts.some(([op]) => op.op === 'jump') ? { graphs: [near()] } : {});
}

export const all = { masking, uniform, semdlm, semdlmPlus, hybrid, everything };
