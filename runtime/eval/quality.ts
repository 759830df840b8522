// Quality and diversity of generated samples (docs/eval.md): generative perplexity under an
// autoregressive reference model (dlmk's own AR twin trained on the same data), always reported
// next to the diversity metrics (per-sample unigram entropy, distinct-n, self-BLEU, repetition) and
// the semantic-basin statistics on a reference knn graph (low gen-PPL with low entropy is collapse,
// not quality).
import type { CsrGraph } from '../kernel/index.ts';
import { allocTensor, crossEntropy, freeTensor, Recorder, tempTensor } from '../nn/index.ts';
import { NO_TARGET, type TransformerModel } from '../nn/models/index.ts';
import {
  basinScore, communityEntropy, detectCommunities, distinctN, genPerplexity, mdlmScoreMask, repetitionRate, selfBleu, unigramEntropy,
} from './metrics/index.ts';

/**
 * Per-token NLLs of each sample under a causal model (nats; position 0 is not scored and gets 0 with
 * weight 0), in batches of `batch`. Samples may be shorter than others; [MASK] (id >= V) is not
 * scored (nor predicted from: its position's NLL weight is 0 and the token itself is fed as <0>).
 */
export async function arNlls(model: TransformerModel, samples: readonly ArrayLike<number>[], o: { batch?: number } = {}): Promise<{ nll: Float64Array[]; weight: Float64Array[] }> {
  if (model.cfg.arch !== 'ar') throw new Error(`generative perplexity needs an autoregressive model, got '${model.cfg.arch}'`);
  const V = model.cfg.vocabSize;
  const rec = new Recorder(model.gpu);
  const nll: Float64Array[] = [];
  const weight: Float64Array[] = [];
  const L = Math.max(...samples.map((s) => s.length));
  const B = Math.max(1, Math.min(o.batch ?? 16, samples.length, model.maxSequences(L)));
  const N = B * L;
  const ids = allocTensor(rec.pool, [N], 'u32', 'scored ids');
  const tg = allocTensor(rec.pool, [N], 'u32', 'scored targets');
  const host = new Float32Array(N);
  try {
    for (let s0 = 0; s0 < samples.length; s0 += B) {
      const nb = Math.min(B, samples.length - s0);
      const x = new Uint32Array(N);
      const t = new Uint32Array(N).fill(NO_TARGET);
      for (let i = 0; i < nb; i++) {
        const smp = samples[s0 + i]!;
        for (let l = 0; l < smp.length; l++) x[i * L + l] = smp[l]! < V ? smp[l]! : 0;
        for (let l = 0; l + 1 < smp.length; l++) if (smp[l + 1]! < V && smp[l]! < V) t[i * L + l] = smp[l + 1]!;
      }
      rec.upload(ids, x);
      rec.upload(tg, t);
      const fwd = model.forward(rec, { B, L, ids });
      const loss = tempTensor(rec, [N], 'f32', 'nll');
      crossEntropy(rec, { logits: fwd.logits, targets: tg, loss, ignoreIndex: NO_TARGET });
      rec.read(loss, host);
      await rec.submit();
      for (let i = 0; i < nb; i++) {
        const n = samples[s0 + i]!.length;
        const a = new Float64Array(n);
        const w = new Float64Array(n);
        // The target of row position l is token l + 1.
        for (let l = 0; l + 1 < n; l++) {
          if (t[i * L + l] === NO_TARGET) continue;
          a[l + 1] = Math.max(0, host[i * L + l]!);
          w[l + 1] = 1;
        }
        nll.push(a);
        weight.push(w);
      }
    }
  } finally {
    freeTensor(rec.pool, ids);
    freeTensor(rec.pool, tg);
  }
  return { nll, weight };
}

export interface SampleQuality {
  samples: number;
  /** Token-level gen-PPL and mean NLL (nats) under the reference; null without one. */
  genPpl: number | null;
  genNll: number | null;
  /** Mean per-sample unigram entropy (nats; MDLM/DUO). */
  entropy: number;
  distinct1: number;
  distinct2: number;
  distinct3: number;
  /** Self-BLEU-4 (Texygen/NLTK method 1). */
  selfBleu: number;
  /** seq-rep-4: the share of repeated 4-grams within a sample. */
  repetition: number;
  /** Semantic basin: tokens with a graph neighbour elsewhere in the same sample; entropy of the communities visited. */
  basin: number | null;
  communityEntropy: number | null;
}

/** A reference LM that scores samples: the AR twin (arScorer) or an ONNX export (onnxReference). */
export interface ReferenceScorer {
  /** One line for reports: what scored the samples. */
  readonly name: string;
  /** The samples in the reference's vocabulary (re-encoded when its tokenizer is another). */
  prepare(samples: readonly number[][]): number[][];
  nlls(seqs: readonly number[][]): Promise<{ nll: Float64Array[]; weight: Float64Array[] }>;
  /** The reference's EOS id (every EOS after the first is not scored). */
  readonly eos?: number;
}

/** dlmk's AR twin (same tokenizer as the samples). */
export function arScorer(model: TransformerModel, eos?: number): ReferenceScorer {
  return { name: 'dlmk AR twin', prepare: (s) => s.map((x) => [...x]), nlls: (seqs) => arNlls(model, seqs), ...(eos !== undefined ? { eos } : {}) };
}

export interface QualityOptions {
  /** A causal reference model (gen-PPL); none: genPpl is null. */
  reference?: TransformerModel;
  /** Any reference scorer (takes precedence over `reference`). */
  scorer?: ReferenceScorer;
  /** EOS id: every EOS after the first is not scored (MDLM's mask). */
  eos?: number;
  /** The reference graph of the basin statistics (the same for every kernel compared). */
  graph?: CsrGraph;
  /** Community labels of `graph` (computed once when omitted). */
  communities?: Int32Array;
  /** Self-BLEU uses at most this many samples (quadratic cost). */
  selfBleuSamples?: number;
}

/** Every quality and diversity number of a set of samples (ids 0..V-1). */
export async function sampleQuality(samples: readonly number[][], o: QualityOptions = {}): Promise<SampleQuality> {
  let genPpl: number | null = null;
  let genNll: number | null = null;
  const scorer = o.scorer ?? (o.reference ? arScorer(o.reference, o.eos) : undefined);
  if (scorer) {
    const seqs = scorer.prepare(samples);
    const { nll, weight } = await scorer.nlls(seqs);
    // mdlmScoreMask's entry t - 1 weighs token t (every EOS after the first is not scored).
    const eos = scorer.eos;
    const w = eos === undefined ? weight : weight.map((wi, s) => {
      const m = mdlmScoreMask(seqs[s]!, eos);
      return Float64Array.from(wi, (x, t) => (t === 0 ? 0 : x * m[t - 1]!));
    });
    const g = genPerplexity(nll, w);
    genPpl = g.ppl;
    genNll = g.meanNll;
  }
  let basin: number | null = null;
  let ce: number | null = null;
  if (o.graph) {
    const g = { rowPtr: o.graph.rowPtr, col: o.graph.col, w: o.graph.w };
    basin = basinScore(samples, g as never).score;
    const labels = o.communities ?? detectCommunities(g as never, { seed: 0 }).label;
    ce = communityEntropy(samples, labels).mean;
  }
  return {
    samples: samples.length,
    genPpl,
    genNll,
    entropy: unigramEntropy(samples),
    distinct1: distinctN(samples, 1),
    distinct2: distinctN(samples, 2),
    distinct3: distinctN(samples, 3),
    selfBleu: selfBleu(samples, { maxSamples: o.selfBleuSamples ?? 64 }),
    repetition: repetitionRate(samples, 4),
    basin,
    communityEntropy: ce,
  };
}
