// Seeded host random numbers (mulberry32) for synthetic data, stand-in embeddings, tests and
// benches: small, fast, and the same sequence on every machine for a given seed. GPU-side
// randomness is Philox (runtime/gpu/philox.ts); this is only for the host.

/** The raw 32-bit words of mulberry32. */
export function mulberry32Words(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** Uniforms in [0, 1) (`open: true`: in (0, 1), each word offset by half a step). */
export function mulberry32(seed: number, opts: { open?: boolean } = {}): () => number {
  const word = mulberry32Words(seed);
  const half = opts.open ? 0.5 : 0;
  return () => (word() + half) / 4294967296;
}
