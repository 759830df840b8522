// Small helpers the tokenizers share: id checks with clear errors, and text runs between masks.
import { DataError } from '../errors.ts';

/** Throws unless `id` is an integer in 0..V (V being the mask). */
export function checkId(id: number, V: number, who: string): void {
  if (!Number.isInteger(id) || id < 0 || id > V) throw new DataError(`${who}: id ${id} is neither a token (0..${V - 1}) nor the mask (${V})`);
}

/**
 * Decodes `ids` as runs of real tokens (decoded by `run`) separated by the mask id, which becomes
 * `marker`. Each run is decoded whole, so multi-token characters and word joins stay intact.
 */
export function decodeRuns(ids: ArrayLike<number>, V: number, who: string, run: (ids: number[]) => string, join: (parts: string[]) => string, marker: string): string {
  const parts: string[] = [];
  let cur: number[] = [];
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    checkId(id, V, who);
    if (id === V) {
      if (cur.length) parts.push(run(cur));
      cur = [];
      parts.push(marker);
    } else cur.push(id);
  }
  if (cur.length) parts.push(run(cur));
  return join(parts);
}
