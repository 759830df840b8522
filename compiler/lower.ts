// Checked pieces -> the Kernel IR (docs/ir.md). Channel lowering:
//   share  = the weight (1 when absent), or null when the channel has its own rate;
//   sigma  = share * sigma(t) of the schedule, or the channel's rate;
//   Lambda = share * Lambda(t) when the share does not depend on t (closed form); for an own
//            rate constant in t, rate * t; otherwise null (the back end integrates numerically);
//   proportional = every channel's Lambda is a constant multiple of the schedule's.
import { createHash } from 'node:crypto';
import type { Channel, Expr, Graph, Hops, KernelSpec, Loss, Param, Sampler, Schedule } from '../specs/types/kernel.ts';
import { isConstantIn } from './expr/index.ts';
import type { CheckedChannel } from './check/channels.ts';

export interface LowerInput {
  name: string;
  doc: string;
  path: string;
  text: string;
  params: Param[];
  graphs: Graph[];
  schedule: Schedule;
  channels: CheckedChannel[];
  hops: Hops;
  loss: Loss;
  sampler: Sampler;
}

const ONE: Expr = { k: 'num', v: 1 };
const isOne = (e: Expr) => e.k === 'num' && e.v === 1;
const times = (a: Expr, b: Expr | null): Expr | null => (b === null ? null : isOne(a) ? b : { k: 'binary', op: '*', a, b });

export function lowerChannel(c: CheckedChannel, schedule: Schedule): Channel {
  if (c.rate) {
    const Lambda: Expr | null = isConstantIn(c.rate, 't') ? { k: 'binary', op: '*', a: c.rate, b: { k: 'var', name: 't' } } : null;
    return { operator: c.operator, share: null, sigma: c.rate, Lambda };
  }
  const share = c.weight ?? ONE;
  const constant = isConstantIn(share, 't');
  return {
    operator: c.operator,
    share,
    sigma: times(share, schedule.sigma),
    Lambda: constant ? times(share, schedule.Lambda) : null,
  };
}

export function lowerKernel(x: LowerInput): KernelSpec {
  const channels = x.channels.map((c) => lowerChannel(c, x.schedule));
  const proportional = x.channels.every((c) => !c.rate && (!c.weight || isConstantIn(c.weight, 't')));
  return {
    format: 'dlmk.kernel/1',
    name: x.name,
    doc: x.doc,
    source: { path: x.path, sha256: createHash('sha256').update(x.text).digest('hex') },
    params: x.params,
    graphs: x.graphs,
    schedule: x.schedule,
    channels: channels as KernelSpec['channels'],
    hasMask: channels.some((c) => c.operator.op === 'mask'),
    proportional,
    hops: x.hops,
    loss: x.loss,
    sampler: x.sampler,
  };
}
