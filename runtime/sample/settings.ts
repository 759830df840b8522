// The sampler settings in force: the kernel's `sampler` block with the caller's overrides, checked
// the way the compiler checks the block (compiler/check/sampler.ts), with the defaults of
// docs/sampling.md for options the block leaves out.
import type { KernelSpec, Rule, Sampler } from '../../specs/types/kernel.ts';
import { PREDICTORS, predictorProblem, type ChannelOp } from '../../compiler/check/sampler.ts';
import { SampleError } from './errors.ts';

export type Predictor = Sampler['predictor'];
export type DenoiseMode = Sampler['denoise'];

/** Overrides of the kernel's sampler block (anything left out keeps the block's value). */
export interface SamplerOverrides {
  predictor?: Predictor;
  steps?: number;
  /** Predictor options by name (eta, t_on, t_off, block, passes, t_start). */
  options?: Record<string, number>;
  /** The kernel's `cache` rule. */
  cache?: boolean;
  denoise?: DenoiseMode;
  /** Replace the rules (e.g. [] to sample the model's own law). */
  rules?: readonly Rule[];
  /** Values of params that the rules read (--set gamma=0.8); params of the process itself need a new runtime. */
  params?: Record<string, number | boolean>;
}

export interface SamplerSettings {
  predictor: Predictor;
  steps: number;
  /** Every option of the predictor, defaults filled in (confidence's `block` absent means one block of the whole sequence). */
  options: Record<string, number>;
  cache: boolean;
  denoise: DenoiseMode;
  rules: readonly Rule[];
  /** Overridden rule params only. */
  params: Record<string, number | boolean>;
}

/** Steps and passes at most this (Philox streams hold 24 bits). */
export const MAX_STEPS = 1 << 20;

const PREDICTOR_NAMES = Object.keys(PREDICTORS) as Predictor[];

export function channelOps(spec: KernelSpec): ChannelOp[] {
  return spec.channels.map((c) => c.operator.op);
}

export function resolveSettings(spec: KernelSpec, o: SamplerOverrides = {}): SamplerSettings {
  const block = spec.sampler;
  const predictor = o.predictor ?? block.predictor;
  const info = PREDICTORS[predictor];
  if (!info) throw new SampleError(`unknown predictor '${String(predictor)}': a sampler is ${PREDICTOR_NAMES.join(', ')}`, 'predictor');
  const problem = predictorProblem(predictor, channelOps(spec));
  if (problem) throw new SampleError(`kernel '${spec.name}': ${problem}`, 'predictor');
  // The block's options count only for its own predictor.
  const given: Record<string, number> = {};
  if (predictor === block.predictor) {
    for (const [k, v] of Object.entries(block.options)) if (typeof v === 'number') given[k] = v;
  }
  if (o.steps !== undefined) given['steps'] = o.steps;
  for (const [k, v] of Object.entries(o.options ?? {})) given[k] = v;
  const options: Record<string, number> = {};
  for (const [name, v] of Object.entries(given)) {
    const spec = info.options[name];
    if (!spec) throw new SampleError(`${predictor} has no option '${name}'; it takes ${Object.keys(info.options).join(', ')}`, `options.${name}`);
    if (typeof v !== 'number' || Number.isNaN(v)) throw new SampleError(`${name} (${spec.doc}) must be a number, not ${String(v)}`, `options.${name}`);
    if (spec.type === 'int' && !Number.isInteger(v)) throw new SampleError(`${name} (${spec.doc}) must be a whole number, not ${v}`, `options.${name}`);
    const r = spec.range;
    if (r && !((r.loOpen ? v > r.lo : v >= r.lo) && (r.hiOpen ? v < r.hi : v <= r.hi))) {
      throw new SampleError(`${name} (${spec.doc}) must be in ${r.loOpen ? '(' : '['}${r.lo}, ${r.hi === Infinity ? 'inf' : r.hi}${r.hiOpen ? ')' : ']'}, not ${v}`, `options.${name}`);
    }
    options[name] = v;
  }
  for (const [name, spec] of Object.entries(info.options)) if (options[name] === undefined && spec.default !== undefined) options[name] = spec.default;
  const steps = options['steps'];
  if (steps === undefined) throw new SampleError(`the sampler needs its number of steps, as in ${predictor}(steps = 128)`, 'steps');
  if (steps > MAX_STEPS) throw new SampleError(`steps must be at most ${MAX_STEPS}, not ${steps}`, 'steps');
  if ((options['passes'] ?? 0) > MAX_STEPS) throw new SampleError(`passes must be at most ${MAX_STEPS}, not ${options['passes']}`, 'options.passes');
  if (predictor === 'remask' && options['t_off']! > options['t_on']!) {
    throw new SampleError(`t_off (${options['t_off']}) must not exceed t_on (${options['t_on']}): remasking runs while t_off < t <= t_on`, 'options.t_off');
  }
  const denoise = o.denoise ?? block.denoise;
  if (!['argmax', 'sample', 'none'].includes(denoise)) throw new SampleError(`denoise takes argmax, sample or none, not '${String(denoise)}'`, 'denoise');
  return { predictor, steps, options, cache: o.cache ?? block.cache, denoise, rules: o.rules ?? block.rules, params: { ...(o.params ?? {}) } };
}
