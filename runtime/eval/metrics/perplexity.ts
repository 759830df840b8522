// Generative perplexity helpers. The NLLs come from a reference (autoregressive) model that scores
// the generated samples; dlmk does not pick that model here. MDLM (kuleshov-group/mdlm,
// diffusion.py `compute_generative_perplexity`) and DUO (s-sahoo/duo, metrics.py
// `record_generative_perplexity`) both compute
//   gen-PPL = exp( sum_{s,t} m_{s,t} nll_{s,t} / sum_{s,t} m_{s,t} ),
// one token-level mean over all scored tokens of all samples (torchmetrics MeanMetric with
// weights m), where nll_{s,t} = -log p_ref(x_t | x_<t) for t = 1..L-1 (the first token of each
// evaluation chunk is not scored) and m masks every EOS after the first one (mdlmScoreMask).
// docs/eval.md, "Generative perplexity".
import { MetricError } from './errors.ts';

export interface GenPerplexity {
  /** exp(meanNll). */
  readonly ppl: number;
  /** sum m * nll / sum m (nats per token). */
  readonly meanNll: number;
  /** sum m: the number of scored tokens (weighted). */
  readonly tokens: number;
}

function checkNlls(nlls: readonly ArrayLike<number>[], weights: readonly ArrayLike<number>[] | undefined): void {
  if (nlls.length === 0) throw new MetricError('gen-ppl', 'needs the NLLs of at least one sample');
  if (weights && weights.length !== nlls.length) throw new MetricError('gen-ppl', `has NLLs for ${nlls.length} samples but weights for ${weights.length}`);
  nlls.forEach((a, s) => {
    const w = weights?.[s];
    if (w && w.length !== a.length) throw new MetricError('gen-ppl', `sample ${s} has ${a.length} NLLs but ${w.length} weights`);
    for (let t = 0; t < a.length; t++) {
      if (!(a[t]! >= 0)) throw new MetricError('gen-ppl', `sample ${s}, token ${t}: NLL ${a[t]} is not a number >= 0`);
      if (w && !(w[t]! >= 0 && Number.isFinite(w[t]!))) throw new MetricError('gen-ppl', `sample ${s}, token ${t}: weight ${w[t]} is not a finite number >= 0`);
    }
  });
}

/** Token-level generative perplexity over all samples (weights default to 1; see the file comment). */
export function genPerplexity(nlls: readonly ArrayLike<number>[], weights?: readonly ArrayLike<number>[]): GenPerplexity {
  checkNlls(nlls, weights);
  let num = 0;
  let den = 0;
  nlls.forEach((a, s) => {
    const w = weights?.[s];
    for (let t = 0; t < a.length; t++) {
      const m = w ? w[t]! : 1;
      if (m === 0) continue;
      num += m * a[t]!;
      den += m;
    }
  });
  if (den === 0) throw new MetricError('gen-ppl', 'no token is scored (all weights are 0)');
  const meanNll = num / den;
  return { ppl: Math.exp(meanNll), meanNll, tokens: den };
}

/**
 * exp of each sample's own mean NLL (NaN for a sample with no scored token). Not what MDLM/DUO
 * report (they pool tokens), but its spread gives an error bar; the mean of these is not gen-PPL.
 */
export function samplePerplexities(nlls: readonly ArrayLike<number>[], weights?: readonly ArrayLike<number>[]): Float64Array {
  checkNlls(nlls, weights);
  return Float64Array.from(nlls, (a, s) => {
    const w = weights?.[s];
    let num = 0;
    let den = 0;
    for (let t = 0; t < a.length; t++) {
      const m = w ? w[t]! : 1;
      if (m === 0) continue;
      num += m * a[t]!;
      den += m;
    }
    return den === 0 ? NaN : Math.exp(num / den);
  });
}

/**
 * The MDLM/DUO mask over the targets x_1..x_{L-1} of one sample (entry t-1 is x_t's weight):
 * 1 where x_t is not EOS, and 1 at the first EOS of the sample (position 0 included when looking
 * for it), 0 at every later EOS (the padding of GPT-2 style tokenizers is EOS). In their code:
 * first_eos = cumsum(x == eos) == 1; mask = first_eos[1:] | (x != eos)[1:].
 */
export function mdlmScoreMask(tokens: ArrayLike<number>, eosId: number): Float64Array {
  const L = tokens.length;
  const out = new Float64Array(Math.max(0, L - 1));
  let eosSeen = 0;
  for (let t = 0; t < L; t++) {
    const isEos = tokens[t] === eosId;
    if (isEos) eosSeen++;
    if (t > 0) out[t - 1] = !isEos || eosSeen === 1 ? 1 : 0;
  }
  return out;
}
