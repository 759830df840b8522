// Content hash of a built graph (kernel-contract.md): SHA-256 over V (uint32), rowPtr (int32),
// col (int32) and w (float32), all little-endian, in that order; lower-case hex.
import { createHash } from 'node:crypto';
import type { SparseGraph } from '../../runtime/kernel/tables/graph.ts';

export function graphHash(g: SparseGraph): string {
  const nnz = g.col.length;
  const buf = Buffer.alloc(4 + 4 * (g.V + 1) + 8 * nnz);
  let o = buf.writeUInt32LE(g.V, 0);
  for (let i = 0; i <= g.V; i++) o = buf.writeInt32LE(g.rowPtr[i]!, o);
  for (let j = 0; j < nnz; j++) o = buf.writeInt32LE(g.col[j]!, o);
  for (let j = 0; j < nnz; j++) o = buf.writeFloatLE(g.w[j]!, o);
  return createHash('sha256').update(buf).digest('hex');
}
