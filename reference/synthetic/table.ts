// The Markov source as a table law over all V^L sequences (reference/sample's DataLaw), for
// brute-force checks on tiny configurations: the table oracle, the exact reverse law and the ideal
// sampler of reference/sample then apply to the source unchanged.
import { seqOf, type DataLaw } from '../sample/index.ts';
import { SyntheticError, type MarkovSource } from './source.ts';

/** Largest table (V^L sequences). */
export const MAX_TABLE = 1 << 16;

/** Every sequence of the source with its probability (index base V, position 0 most significant). */
export function sourceTable(src: MarkovSource): DataLaw {
  const n = src.V ** src.L;
  if (n > MAX_TABLE) throw new SyntheticError(`the source has V^L = ${src.V}^${src.L} = ${n} sequences, more than the ${MAX_TABLE} a table may hold`);
  const seqs: Int32Array[] = [];
  const probs = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const x = seqOf(k, src.V, src.L);
    seqs.push(x);
    probs[k] = Math.exp(src.logProb(x));
  }
  return { V: src.V, L: src.L, seqs, probs };
}
