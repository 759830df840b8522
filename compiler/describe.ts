// A short, human-readable account of a compiled kernel (used by `dlmk demo` and error reports).
import type { KernelSpec, Operator } from '../specs/types/kernel.ts';
import { formatExpr, simplify } from './expr/index.ts';

export interface KernelSummary {
  name: string;
  doc: string;
  states: string;
  schedule: string;
  channels: string[];
  params: string[];
  loss: string;
  sampler: string;
  hops: string;
}

function operatorText(op: Operator): string {
  switch (op.op) {
    case 'mask':
      return 'mask';
    case 'reset':
      return `reset(${op.dist.kind === 'file' ? JSON.stringify(op.dist.file) : op.dist.kind})`;
    case 'jump':
      return `jump(${op.graph})`;
  }
}

export function describeKernel(spec: KernelSpec): KernelSummary {
  const sched = spec.schedule;
  const args = Object.entries(sched.args).map(([k, v]) => `${k} = ${v}`).join(', ');
  const Lambda = sched.Lambda ? `Lambda(t) = ${formatExpr(simplify(sched.Lambda))}` : 'Lambda(t) tabulated at run time';
  return {
    name: spec.name,
    doc: spec.doc,
    states: spec.hasMask ? 'V tokens + [MASK]' : 'V tokens',
    schedule: `${sched.kind}(${args}): ${Lambda}`,
    channels: spec.channels.map((c) => {
      const how = c.share ? `share ${formatExpr(simplify(c.share))}` : `rate ${c.sigma ? formatExpr(simplify(c.sigma)) : 'tabulated'}`;
      return `${operatorText(c.operator)}  ${how}`;
    }),
    params: spec.params.map((p) => `${p.name}: ${p.type} = ${p.value}`),
    loss: spec.loss.kind === 'weighted_ce' ? `weighted_ce(${formatExpr(spec.loss.weight)})` : spec.loss.kind,
    sampler:
      `${spec.sampler.predictor}(steps = ${spec.sampler.options.steps})` +
      `, ${spec.sampler.rules.length} rule${spec.sampler.rules.length === 1 ? '' : 's'}` +
      (spec.sampler.rules.length ? ` (${spec.sampler.rules.map((r) => (r.kind === 'logit' ? `logit ${r.op}` : r.kind)).join(', ')})` : '') +
      `, denoise ${spec.sampler.denoise}${spec.sampler.cache ? ', cache' : ''}`,
    hops: spec.hops.mode === 'fixed' ? `fixed H = ${spec.hops.H}` : `adaptive (cap ${spec.hops.cap})`,
  };
}
