// The clock of forward corruption for kernels whose reset and jump channels change their shares
// with t (compiler/wgsl/corrupt.ts draws the time of the last reset by bisection on Lambda_u): the
// cumulative rates Lambda_u, Lambda_a and the group shares sigma_g as WGSL from the IR's closed
// forms, or, where a channel has none, a table of the host's values at tau = i / CLOCK_NODES.
import type { ClockWgsl } from '../../compiler/wgsl/corrupt.ts';
import { exprToWgsl, f32Literal, type ExprTarget } from '../../compiler/wgsl/expr.ts';
import { KernelRuntimeError } from './errors.ts';
import type { KernelStructure } from './structure.ts';

/** Nodes of the tabulated clock (cubic Hermite between them). */
export const CLOCK_NODES = 4096;

/** The closed-form clock, or null when some reset or jump channel has no closed Lambda and sigma. */
export function closedFormClock(st: KernelStructure): Extract<ClockWgsl, { kind: 'expr' }> | null {
  const chans = st.spec.channels;
  if (![...st.resetChannels, ...st.jumpChannels].every((c) => chans[c]!.Lambda && chans[c]!.sigma)) return null;
  const target: ExprTarget = {
    variable: (n) => {
      if (n !== 't') throw new KernelRuntimeError(`a channel rate uses '${n}'; rates are functions of t`);
      return 'tau';
    },
    param: (n) => {
      const v = st.params[n];
      return f32Literal(typeof v === 'boolean' ? (v ? 1 : 0) : (v as number), 'd.f3');
    },
    field: () => {
      throw new KernelRuntimeError('a channel rate reads a token field');
    },
    graphAgg: () => {
      throw new KernelRuntimeError('a channel rate reads a graph aggregate');
    },
    infinity: 'd.f3',
  };
  const sum = (cs: readonly number[], what: 'Lambda' | 'sigma') => (cs.length ? cs.map((c) => `(${exprToWgsl(chans[c]![what]!, target)})`).join(' + ') : '0.0');
  return { kind: 'expr', lamU: sum(st.resetChannels, 'Lambda'), lamA: sum(st.jumpChannels, 'Lambda'), sig: st.resets.map((g) => sum(g.channels, 'sigma')) };
}
