// The exact denoiser of a known data law, served through the Denoiser interface
// (docs/sampling.md, "The oracle"): for each noisy sequence, logits = log p_hat from the float64
// oracle (reference/sample/oracle.ts), uploaded as f32. p_hat is what the kernel's loss trains a
// model towards: for `loss elbo` the ELBO's minimiser p(x0^i | x_t^{-i}) (Oracle.elboOptimal, with
// which the plug-in reverse step is exact per position), for `ce` and `weighted_ce` the posterior
// p(x0^i | x_t); both agree at a masked position. A zero probability is -Infinity,
// which the kernel runtime handles (its softmax statistics skip it; the sampler rules treat it as a
// removed token). Posteriors are memoised per (t, x_t); for a kernel whose every channel is mask
// the posterior does not depend on t given x_t (the t-dependence of q_t cancels), so the oracle is
// not time-conditioned there, like MDLM's denoiser, and the sampler's cache applies to it.
import type { KernelSpec } from '../../specs/types/kernel.ts';
import type { Recorder } from '../gpu/index.ts';
import { maskOnly, type Denoiser, type DenoiserInputs } from '../denoiser/index.ts';
import { tempTensor, type Tensor } from '../nn/index.ts';
import { Oracle, type DataLaw } from '../../reference/sample/index.ts';
import type { ReferenceKernel } from '../../reference/kernel/index.ts';
import { SampleError } from './errors.ts';

const MEMO = 1 << 17;

export class OracleDenoiser implements Denoiser {
  readonly V: number;
  readonly timeConditioned: boolean;
  readonly oracle: Oracle;
  /** Calls, and sequences evaluated (for tests of the cache). */
  calls = 0;
  sequences = 0;
  /** Memo by t (one entry when not time-conditioned), then by the index of x_t in base S. */
  private readonly memo = new Map<number, Map<number, Float32Array>>();
  private memoSize = 0;

  readonly target: 'elbo' | 'posterior';

  constructor(spec: KernelSpec, ref: ReferenceKernel, law: DataLaw, o: { target?: 'elbo' | 'posterior' } = {}) {
    this.oracle = new Oracle(ref, law);
    this.V = law.V;
    this.timeConditioned = !maskOnly(spec);
    this.target = o.target ?? (spec.loss.kind === 'elbo' ? 'elbo' : 'posterior');
  }

  /** log p_hat(x0^i = v | x_t) as [L, V] f32. */
  logPosterior(t: number, xt: ArrayLike<number>, at = 0): Float32Array {
    const { L, S } = this.oracle;
    const tk = this.timeConditioned ? t : 0;
    let byX = this.memo.get(tk);
    if (!byX) {
      if (this.memoSize >= MEMO) {
        this.memo.clear();
        this.memoSize = 0;
      }
      this.memo.set(tk, (byX = new Map()));
    }
    let key = 0;
    for (let i = 0; i < L; i++) key = key * S + xt[at + i]!;
    let out = byX.get(key);
    if (!out) {
      out = Float32Array.from(this.oracle.denoiser(this.target, t, xt, at), Math.log);
      byX.set(key, out);
      this.memoSize++;
    }
    return out;
  }

  async logits(rec: Recorder, inp: DenoiserInputs): Promise<Tensor> {
    const { B, L } = inp;
    if (L !== this.oracle.L) throw new SampleError(`the oracle knows sequences of L = ${this.oracle.L} tokens, not ${L}`, 'L');
    const xt = new Uint32Array(B * L);
    rec.read(inp.xt, xt);
    await rec.submit();
    const V = this.V;
    const host = new Float32Array(B * L * V);
    for (let b = 0; b < B; b++) host.set(this.logPosterior(inp.t[b]!, xt, b * L), b * L * V);
    const out = tempTensor(rec, [B, L, V], 'f32', 'oracle logits');
    rec.upload(out, host);
    this.calls++;
    this.sequences += B;
    return out;
  }
}
