// The shape of a kernel as the back end sees it: which channels mask, which reset to which
// distribution, which jump on which graph, and whether they are proportional. Shader text
// depends only on this structure (never on parameter values or times), so it stays stable.
import type { KernelSpec, Operator } from '../../specs/types/kernel.ts';
import { evalExpr, num } from '../../compiler/expr/eval.ts';
import { KernelRuntimeError } from './errors.ts';

export type ResetDist = Extract<Operator, { op: 'reset' }>['dist'];

export interface ResetGroup {
  /** 'uniform', 'unigram' or 'file:NAME'. */
  readonly id: string;
  readonly dist: ResetDist;
  /** Channel indices resetting to this distribution. */
  readonly channels: readonly number[];
}

export interface KernelStructure {
  readonly spec: KernelSpec;
  readonly hasMask: boolean;
  readonly maskChannels: readonly number[];
  readonly resets: readonly ResetGroup[];
  readonly resetChannels: readonly number[];
  readonly jumpChannels: readonly number[];
  /** Distinct graph names the jump channels use, in first-use order. */
  readonly jumpGraphs: readonly string[];
  /** Every channel's Lambda_c is share_c * Lambda(t) with constant shares. */
  readonly proportional: boolean;
  /** Shares by channel when proportional (else NaN). */
  readonly shares: Float64Array;
  readonly params: Readonly<Record<string, number | boolean>>;
}

export function paramValues(spec: KernelSpec): Record<string, number | boolean> {
  const out: Record<string, number | boolean> = {};
  for (const p of spec.params) out[p.name] = typeof p.value === 'boolean' ? p.value : num(p.value);
  return out;
}

export function kernelStructure(spec: KernelSpec): KernelStructure {
  const params = paramValues(spec);
  const maskChannels: number[] = [];
  const resetChannels: number[] = [];
  const jumpChannels: number[] = [];
  const groups = new Map<string, { dist: ResetDist; channels: number[] }>();
  const jumpGraphs: string[] = [];
  spec.channels.forEach((c, i) => {
    const op = c.operator;
    if (op.op === 'mask') maskChannels.push(i);
    else if (op.op === 'reset') {
      resetChannels.push(i);
      const id = op.dist.kind === 'file' ? `file:${op.dist.file}` : op.dist.kind;
      const g = groups.get(id) ?? { dist: op.dist, channels: [] };
      g.channels.push(i);
      groups.set(id, g);
    } else {
      jumpChannels.push(i);
      if (!spec.graphs.some((g) => g.name === op.graph)) {
        throw new KernelRuntimeError(`channel ${i} jumps on graph '${op.graph}', which the spec does not declare`, `channels[${i}]`);
      }
      if (!jumpGraphs.includes(op.graph)) jumpGraphs.push(op.graph);
    }
  });
  const shares = new Float64Array(spec.channels.length).fill(NaN);
  let proportional = spec.proportional;
  if (proportional) {
    spec.channels.forEach((c, i) => {
      if (c.share === null) proportional = false;
      else {
        try {
          shares[i] = evalExpr(c.share, { params });
        } catch {
          // A share that depends on t is not a constant multiple.
          proportional = false;
        }
      }
    });
  }
  if (!proportional) shares.fill(NaN);
  return {
    spec,
    hasMask: spec.hasMask,
    maskChannels,
    resets: [...groups].map(([id, g]) => ({ id, dist: g.dist, channels: g.channels })),
    resetChannels,
    jumpChannels,
    jumpGraphs,
    proportional,
    shares,
    params,
  };
}
