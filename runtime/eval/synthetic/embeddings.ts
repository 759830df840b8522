// The Markov source's token vectors as a matrix (docs/eval.md, "Synthetic source and the error
// decomposition"), with or without the tokenizer's eos and pad rows. Kept apart from kernel.ts so
// that the plugins (imported wherever a run spec is resolved) do not load the GPU runtime.
import type { MarkovSource } from '../../../reference/synthetic/index.ts';

/** Tokens after the source's in the tokenizer's vocabulary: eos at V, pad at V + 1. */
export const SPECIAL_TOKENS = ['<eos>', '<pad>'] as const;

/**
 * The source's embeddings as a [rows, d] matrix: with `specials`, two more rows (eos, pad) and two
 * more columns. Every source token has first component 1 (so cosines between tokens are >= 0);
 * eos and pad have -1 there and a unit axis of their own, so their cosine with every token is
 * negative: a knn graph never picks them as a token's neighbour while any token is left.
 */
export function sourceEmbeddings(src: MarkovSource, o: { specials?: boolean } = {}): { data: Float64Array; V: number; d: number } {
  if (!o.specials) return { data: Float64Array.from(src.embeddings), V: src.V, d: src.d };
  const d = src.d + 2;
  const V = src.V + SPECIAL_TOKENS.length;
  const data = new Float64Array(V * d);
  for (let v = 0; v < src.V; v++) data.set(src.embeddings.subarray(v * src.d, (v + 1) * src.d), v * d);
  for (let s = 0; s < SPECIAL_TOKENS.length; s++) {
    const row = (src.V + s) * d;
    data[row] = -1;
    data[row + src.d + s] = 1;
  }
  return { data, V, d };
}
