// The fallback rule (docs/embeddings.md, "Tokens without a vector"): a token with no vector of
// its own (rare in the corpus, never seen, not in GloVe) gets
//
//   row = scale * (SPREAD * r_id, 1) / sqrt(1 + SPREAD^2)
//
// where r_id is a unit vector in the first d - 1 coordinates drawn from a generator seeded by the
// token id alone, and the last coordinate is the fallback axis (0 on every semantic row). So the
// row is never zero or NaN; fallback tokens are each other's neighbours (cosine >= (1 - SPREAD^2) /
// (1 + SPREAD^2) = 0.88 among them), in an arbitrary but stable order; and their cosine with a
// semantic row is at most SPREAD / sqrt(1 + SPREAD^2) = 0.24 (about 0.02 typically), so they do not
// crowd a frequent token's semantic neighbours out of its top k. Nothing about them pretends to be
// semantic.
import { gaussianFill } from './svd.ts';

/** How far a fallback row leans off the fallback axis. */
export const FALLBACK_SPREAD = 0.25;

/** A 32-bit seed from a token id (murmur3's finaliser: neighbouring ids get unrelated streams). */
export function fallbackSeed(id: number): number {
  let h = (id ^ 0x9e3779b9) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/** Writes token `id`'s fallback row (d >= 2 values, the last the fallback axis) at out[offset ..]. */
export function writeFallbackRow(id: number, d: number, scale: number, out: Float32Array | Float64Array, offset: number): void {
  const r = gaussianFill(new Float64Array(d - 1), fallbackSeed(id));
  let n2 = 0;
  for (const x of r) n2 += x * x;
  // A Gaussian vector of zero norm has probability 0; guard anyway so the rule never yields NaN.
  const inv = n2 > 0 ? 1 / Math.sqrt(n2) : 0;
  if (n2 === 0 && d > 1) r[0] = 1;
  const s = scale / Math.sqrt(1 + FALLBACK_SPREAD * FALLBACK_SPREAD);
  for (let j = 0; j < d - 1; j++) out[offset + j] = s * FALLBACK_SPREAD * (n2 > 0 ? r[j]! * inv : r[j]!);
  out[offset + d - 1] = s;
}

/** The median Euclidean norm of the given rows of a [*, d] matrix (1 when there are none or it is 0): the fallback rows' scale. */
export function medianRowNorm(data: Float32Array | Float64Array, d: number, rows: ArrayLike<number>): number {
  if (rows.length === 0) return 1;
  const norms = new Float64Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const o = rows[i]! * d;
    let s = 0;
    for (let j = 0; j < d; j++) s += data[o + j]! ** 2;
    norms[i] = Math.sqrt(s);
  }
  norms.sort();
  const m = norms[Math.floor((norms.length - 1) / 2)]!;
  return m > 0 && Number.isFinite(m) ? m : 1;
}
