// The exact denoiser of the Markov source served through the Denoiser interface, so that
// runtime/sample's sampleTokens (and anything else that takes a Denoiser) runs on it unchanged
// (docs/eval.md, "Synthetic source and the error decomposition"). For each noisy sequence the
// float64 oracle (reference/synthetic/oracle.ts, forward-backward) gives p_hat, uploaded as f32
// logits log p_hat (-Infinity where p_hat = 0: the tokenizer's eos and pad, which the source never
// emits; the kernel runtime and the sampler rules handle it). p_hat is what the kernel's loss
// trains a model towards: p(x0^i | x_t^{-i}) for `loss elbo`, p(x0^i | x_t) for `ce` and
// `weighted_ce`. Results are memoised per distinct (t, x_t); a kernel whose every channel is mask
// has a posterior that does not depend on t given x_t, so there the oracle is not time-conditioned
// (as MDLM's denoiser) and the sampler's cache applies.
import type { KernelSpec } from '../../../specs/types/kernel.ts';
import type { Recorder } from '../../gpu/index.ts';
import { maskOnly, type Denoiser, type DenoiserInputs } from '../../denoiser/index.ts';
import { tempTensor, type Tensor } from '../../nn/index.ts';
import type { ReferenceKernel } from '../../../reference/kernel/index.ts';
import { MarkovOracle, SyntheticError, type MarkovOracleOptions, type MarkovSource } from '../../../reference/synthetic/index.ts';

/** Memoised sequences before the memo is cleared (each holds L V floats). */
const MEMO = 1 << 15;

export class MarkovOracleDenoiser implements Denoiser {
  readonly V: number;
  readonly timeConditioned: boolean;
  readonly oracle: MarkovOracle;
  readonly target: 'elbo' | 'posterior';
  /** Calls, sequences asked for, and sequences computed (not memoised). */
  calls = 0;
  sequences = 0;
  computed = 0;
  private readonly memo = new Map<string, Float32Array>();

  constructor(spec: KernelSpec, ref: ReferenceKernel, source: MarkovSource, o: MarkovOracleOptions & { target?: 'elbo' | 'posterior' } = {}) {
    this.oracle = new MarkovOracle(source, ref, o);
    this.V = ref.V;
    this.timeConditioned = !maskOnly(spec);
    this.target = o.target ?? (spec.loss.kind === 'elbo' ? 'elbo' : 'posterior');
  }

  /** log p_hat(x0^i = v | x_t) as [L, V] f32 for the sequence of x_t at `at`. */
  logProbs(t: number, xt: ArrayLike<number>, at = 0): Float32Array {
    const L = this.oracle.L;
    let key = this.timeConditioned ? `${t}:` : '';
    for (let i = 0; i < L; i++) key += `${xt[at + i]!},`;
    let out = this.memo.get(key);
    if (!out) {
      out = Float32Array.from(this.oracle.denoiser(this.target, t, xt, at), Math.log);
      if (this.memo.size >= MEMO) this.memo.clear();
      this.memo.set(key, out);
      this.computed++;
    }
    return out;
  }

  async logits(rec: Recorder, inp: DenoiserInputs): Promise<Tensor> {
    const { B, L } = inp;
    if (L !== this.oracle.L) throw new SyntheticError(`the Markov oracle knows sequences of L = ${this.oracle.L} tokens, not ${L}`);
    const xt = new Uint32Array(B * L);
    rec.read(inp.xt, xt);
    await rec.submit();
    const host = new Float32Array(B * L * this.V);
    for (let b = 0; b < B; b++) host.set(this.logProbs(inp.t[b]!, xt, b * L), b * L * this.V);
    const out = tempTensor(rec, [B, L, this.V], 'f32', 'markov oracle logits');
    rec.upload(out, host);
    this.calls++;
    this.sequences += B;
    return out;
  }
}
