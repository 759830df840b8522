// Inputs shared by the kernel benchmarks: a random k-regular graph with random row weights (the
// kernels' cost depends on degrees, not on which tokens are neighbours) and a Zipf-like unigram.
import type { CsrGraph } from '../runtime/kernel/index.ts';
import { mulberry32 } from '../runtime/data/random.ts';

/** Each row: min(k, V - 1) distinct other tokens, weights 0.1 + U(0, 1) normalised (seeded). */
export function randomRegularGraph(V: number, k: number, seed: number): CsrGraph {
  const r = mulberry32(seed, { open: true });
  const kk = Math.min(k, V - 1);
  const rowPtr = new Int32Array(V + 1);
  const col = new Int32Array(V * kk);
  const w = new Float64Array(V * kk);
  for (let v = 0; v < V; v++) {
    const nb = new Set<number>();
    while (nb.size < kk) {
      const u = Math.floor(r() * V);
      if (u !== v) nb.add(u);
    }
    const cols = [...nb].sort((a, b) => a - b);
    const ws = cols.map(() => 0.1 + r());
    const z = ws.reduce((a, b) => a + b, 0);
    cols.forEach((u, j) => {
      col[v * kk + j] = u;
      w[v * kk + j] = ws[j]! / z;
    });
    rowPtr[v + 1] = (v + 1) * kk;
  }
  return { V, rowPtr, col, w };
}

/** p(i) proportional to 1 / (i + 10). */
export function zipfUnigram(V: number): Float64Array {
  const u = Float64Array.from({ length: V }, (_, i) => 1 / (i + 10));
  const z = u.reduce((a, b) => a + b, 0);
  return u.map((x) => x / z);
}
