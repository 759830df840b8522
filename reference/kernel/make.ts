// makeReferenceKernel: a compiled spec plus its inputs -> the float64 ReferenceKernel
// (kernel-contract.md). Intervals (with their rho vectors) are cached per (s, t).
import type { KernelSpec } from '../../specs/types/kernel.ts';
import { poissonQuantileForTail } from '../math/special.ts';
import { Dense } from './dense.ts';
import { elbo } from './elbo.ts';
import { ReferenceKernelError } from './errors.ts';
import { Pvec, unit, vecP } from './forward.ts';
import { Interval, type Start } from './interval.ts';
import { kl, priorLaw } from './prior.ts';
import { reverseMixture, reverseRates, reverseStep, type Ctx } from './reverse.ts';
import { sampleForward } from './sample.ts';
import { elboEstimate, type ElboEstimate, type ElboEstimateOptions } from './sparse-elbo.ts';
import { reverseParts, sampleReverse, type ReverseParts } from './sparse-reverse.ts';
import { Structure } from './structure.ts';
import type { KernelInputs, ReferenceKernel } from './types.ts';

export { ReferenceKernelError };

const CACHE = 64;

class Kernel implements ReferenceKernel, Ctx {
  readonly st: Structure;
  private readonly cache = new Map<string, Interval>();
  private denseImpl: Dense | null = null;
  private priorCache: Float64Array | null = null;

  constructor(spec: KernelSpec, inputs: KernelInputs) {
    this.st = new Structure(spec, inputs);
  }

  get S(): number {
    return this.st.S;
  }
  get V(): number {
    return this.st.V;
  }
  get hopExpansion(): boolean {
    return this.st.hopExpansion;
  }

  interval(start: Start, t: number): Interval {
    checkTime(t);
    if (start !== null) checkTime(start);
    const key = `${start}:${t}`;
    let iv = this.cache.get(key);
    if (iv) {
      // Refresh its place in the LRU order.
      this.cache.delete(key);
    } else {
      iv = new Interval(this.st, start, t);
      if (this.cache.size >= CACHE) this.cache.delete(this.cache.keys().next().value!);
    }
    this.cache.set(key, iv);
    return iv;
  }

  lambdas(t: number): Float64Array {
    return this.st.lambdas(t);
  }
  sigmas(t: number): Float64Array {
    return this.st.sigmas(t);
  }

  hops(t: number): { H: number; bound: number } {
    const iv = this.interval(null, t);
    const H = iv.defaultHops();
    return { H, bound: iv.bound(H) };
  }

  hopsBetween(s: number, t: number): { H: number; bound: number } {
    const iv = this.interval(s, t);
    const H = iv.defaultHops();
    return { H, bound: iv.bound(H) };
  }

  hopsExact(t: number, tol = 1e-16): number {
    const iv = this.interval(null, t);
    return poissonQuantileForTail(iv.La, tol, iv.em * iv.eu);
  }

  row(t: number, x0: number, H?: number): Float64Array {
    this.checkToken(x0, 'x0');
    const iv = this.interval(null, t);
    return vecP(iv, unit(this.S, x0), H ?? iv.defaultHops());
  }

  column(t: number, xt: number, H?: number): Float64Array {
    this.checkState(xt, 'xt');
    const iv = this.interval(null, t);
    return Pvec(iv, unit(this.S, xt), H ?? iv.defaultHops()).slice(0, this.V);
  }

  transitionRow(s: number, t: number, xs: number, H?: number): Float64Array {
    this.checkState(xs, 'xs');
    const iv = this.interval(s, t);
    return vecP(iv, unit(this.S, xs), H ?? iv.defaultHops());
  }

  reverseStep(probs: Float64Array, xt: number, t: number, s: number, H?: number): Float64Array {
    return reverseStep(this, probs, xt, t, s, H);
  }

  reverseMixture(probs: Float64Array, xt: number, t: number, s: number, H?: number): { weights: Float64Array; components: Float64Array[] } {
    return reverseMixture(this, probs, xt, t, s, H);
  }

  reverseRates(probs: Float64Array, xt: number, t: number, H?: number): Float64Array {
    return reverseRates(this, probs, xt, t, H);
  }

  elbo(logits: Float64Array, x0: number, xt: number, t: number, H?: number): { value: number; grad: Float64Array; byChannel: Float64Array } {
    return elbo(this, logits, x0, xt, t, H);
  }

  elboEstimate(logits: Float64Array, x0: number, xt: number, t: number, rng: () => number, o?: ElboEstimateOptions): ElboEstimate {
    return elboEstimate(this, logits, x0, xt, t, rng, o);
  }

  reverseParts(probs: Float64Array, xt: number, t: number, s: number, H?: number): ReverseParts {
    return reverseParts(this, probs, xt, t, s, H);
  }

  sampleReverse(probs: Float64Array, xt: number, t: number, s: number, rng: () => number, H?: number): number {
    return sampleReverse(this, probs, xt, t, s, rng, H);
  }

  prior(): Float64Array {
    if (!this.priorCache) this.priorCache = priorLaw(this.st);
    return Float64Array.from(this.priorCache);
  }

  priorKL(x0: number): number {
    return kl(this.row(1, x0, this.hopsExact(1, 1e-18)), this.prior());
  }

  sampleForward(x0: number, t: number, rng: () => number): number {
    checkTime(t);
    return sampleForward(this.st, x0, t, rng);
  }

  private dense(): Dense {
    if (!this.denseImpl) this.denseImpl = new Dense(this.st);
    return this.denseImpl;
  }
  denseGenerator(t: number): Float64Array {
    checkTime(t);
    return this.dense().denseGenerator(t);
  }
  denseTransition(s: number, t: number): Float64Array {
    checkTime(s);
    checkTime(t);
    return this.dense().denseTransition(s, t);
  }
  denseForward(t: number): Float64Array {
    checkTime(t);
    return this.dense().denseForward(t);
  }

  private checkToken(x: number, what: string): void {
    if (!Number.isInteger(x) || x < 0 || x >= this.V) throw new RangeError(`${what} = ${x} is not a token (0..${this.V - 1})`);
  }
  private checkState(x: number, what: string): void {
    if (!Number.isInteger(x) || x < 0 || x >= this.S) throw new RangeError(`${what} = ${x} is not a state (0..${this.S - 1})`);
  }
}

function checkTime(t: number): void {
  if (!(t >= 0 && t <= 1)) throw new RangeError(`time ${t} is outside [0, 1]`);
}

export function makeReferenceKernel(spec: KernelSpec, inputs: KernelInputs): ReferenceKernel {
  return new Kernel(spec, inputs);
}
