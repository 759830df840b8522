// Generative perplexity under a user's causal LM exported to ONNX (e.g. GPT-2 from Hugging Face's
// exporters), through onnxruntime-node (docs/eval.md, "Generative perplexity"). The package is an
// optional peer: `npm install onnxruntime-node --ignore-scripts` (its install script only fetches
// CUDA extras; the CPU binaries ship in the package). Samples are scored with the model's own
// tokenizer: when it is not the run's, they are decoded to text and re-encoded (MDLM's `retokenize`).
//
// The session gets `input_ids` (int64 [B, T]) and, when the model declares them, `attention_mask`
// (ones) and `position_ids` (0..T-1); its first output (or `logits`) must be [B, T, V'] logits, the
// logit at position l scoring token l + 1.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { EvaluationError } from './factors/errors.ts';
import type { Tokenizer } from '../data/index.ts';
import type { ReferenceScorer } from './quality.ts';

/** The package dlmk loads at run time (not a dependency: users install it when they want this). */
export const ONNX_PACKAGE = 'onnxruntime-node';

interface OrtTensor {
  readonly data: Float32Array | BigInt64Array;
  readonly dims: readonly number[];
}
interface OrtSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
}
interface Ort {
  InferenceSession: { create(path: string): Promise<OrtSession> };
  Tensor: new (type: 'int64' | 'float32', data: BigInt64Array | Float32Array, dims: number[]) => OrtTensor;
}

/** onnxruntime-node from the user's project, dlmk's own node_modules, or $DLMK_ONNXRUNTIME_DIR (a folder with node_modules/). */
function loadOrt(): Ort {
  const bases = [resolve('package.json'), import.meta.url, ...(process.env['DLMK_ONNXRUNTIME_DIR'] ? [resolve(process.env['DLMK_ONNXRUNTIME_DIR'], 'package.json')] : [])];
  for (const b of bases) {
    try {
      return createRequire(b)(ONNX_PACKAGE) as Ort;
    } catch {
      // Not there: try the next place.
    }
  }
  throw new EvaluationError(`scoring with an ONNX model needs the package ${ONNX_PACKAGE}: run \`npm install ${ONNX_PACKAGE} --ignore-scripts\` (about 300 MB; its install script is not needed)`);
}

/** An ONNX causal LM ready to score token sequences of its own vocabulary. */
export class OnnxScorer {
  private constructor(private readonly ort: Ort, private readonly session: OrtSession, readonly path: string) {}

  static async open(path: string): Promise<OnnxScorer> {
    if (!existsSync(path)) throw new EvaluationError(`${path}: no such ONNX file`);
    const ort = loadOrt();
    let session: OrtSession;
    try {
      session = await ort.InferenceSession.create(path);
    } catch (err) {
      throw new EvaluationError(`${path}: onnxruntime cannot load it (${(err as Error).message.split('\n')[0]})`);
    }
    if (!session.inputNames.includes('input_ids')) throw new EvaluationError(`${path}: the model has no input 'input_ids' (its inputs: ${session.inputNames.join(', ')}); export a causal LM with input_ids`);
    return new OnnxScorer(ort, session, path);
  }

  /**
   * Per-token NLLs (nats) of each sequence: nll[l] = -log p(x_l | x_<l) for l >= 1 with weight 1;
   * position 0 has weight 0 (as arNlls in quality.ts). Sequences of equal length are batched.
   */
  async nlls(seqs: readonly ArrayLike<number>[], o: { batch?: number } = {}): Promise<{ nll: Float64Array[]; weight: Float64Array[] }> {
    const nll: Float64Array[] = [];
    const weight: Float64Array[] = [];
    const B = Math.max(1, o.batch ?? 8);
    for (let s0 = 0; s0 < seqs.length; ) {
      const T = seqs[s0]!.length;
      let nb = 1;
      while (nb < B && s0 + nb < seqs.length && seqs[s0 + nb]!.length === T) nb++;
      const ids = new BigInt64Array(nb * T);
      for (let i = 0; i < nb; i++) for (let l = 0; l < T; l++) ids[i * T + l] = BigInt(seqs[s0 + i]![l]!);
      const feeds: Record<string, OrtTensor> = { input_ids: new this.ort.Tensor('int64', ids, [nb, T]) };
      if (this.session.inputNames.includes('attention_mask')) feeds['attention_mask'] = new this.ort.Tensor('int64', new BigInt64Array(nb * T).fill(1n), [nb, T]);
      if (this.session.inputNames.includes('position_ids')) feeds['position_ids'] = new this.ort.Tensor('int64', BigInt64Array.from({ length: nb * T }, (_, k) => BigInt(k % T)), [nb, T]);
      let out: OrtTensor;
      try {
        const r = await this.session.run(feeds);
        out = r['logits'] ?? r[this.session.outputNames[0]!]!;
      } catch (err) {
        throw new EvaluationError(`${this.path}: scoring failed (${(err as Error).message.split('\n')[0]})`);
      }
      const [b, t, V] = out.dims as [number, number, number];
      if (b !== nb || t !== T || !(out.data instanceof Float32Array)) throw new EvaluationError(`${this.path}: expected float logits [${nb}, ${T}, V], got [${out.dims.join(', ')}]`);
      for (let i = 0; i < nb; i++) {
        const a = new Float64Array(T);
        const w = new Float64Array(T);
        for (let l = 0; l + 1 < T; l++) {
          const at = (i * T + l) * V;
          let mx = -Infinity;
          for (let v = 0; v < V; v++) mx = Math.max(mx, out.data[at + v]!);
          let z = 0;
          for (let v = 0; v < V; v++) z += Math.exp(out.data[at + v]! - mx);
          const y = seqs[s0 + i]![l + 1]!;
          if (!(y >= 0 && y < V)) throw new EvaluationError(`${this.path}: token ${y} is outside the model's ${V} logits: the samples are not in its vocabulary (give its tokenizer)`);
          a[l + 1] = Math.max(0, mx + Math.log(z) - out.data[at + y]!);
          w[l + 1] = 1;
        }
        nll.push(a);
        weight.push(w);
      }
      s0 += nb;
    }
    return { nll, weight };
  }
}

/**
 * An ONNX reference for sampleQuality: samples decoded with the run's tokenizer and re-encoded with
 * the reference's (`tokenizer`, e.g. gpt2) unless they share one; EOS is the reference tokenizer's.
 */
export function onnxReference(scorer: OnnxScorer, o: { from: Tokenizer; to?: Tokenizer }): ReferenceScorer {
  const to = o.to;
  const same = !to || to.id === o.from.id;
  return {
    name: `ONNX ${scorer.path}${same ? '' : ` (re-tokenized with ${to!.id})`}`,
    prepare: (samples) => (same ? samples.map((x) => [...x]) : samples.map((x) => Array.from(to!.encode(o.from.decode(x))))),
    nlls: (seqs) => scorer.nlls(seqs),
    eos: (to ?? o.from).eos,
  };
}
