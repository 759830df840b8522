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

/** One 32-bit seed from several integers (a seed and an epoch, say), well mixed (murmur3's finaliser). */
export function mixSeed(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const p of parts) {
    // Integers up to 2^53 contribute both halves.
    const lo = p >>> 0;
    const hi = Math.floor(p / 4294967296) >>> 0;
    for (const w of [lo, hi]) {
      h = Math.imul(h ^ w, 0x85ebca6b);
      h ^= h >>> 13;
      h = Math.imul(h, 0xc2b2ae35);
      h ^= h >>> 16;
    }
  }
  return h >>> 0;
}

/** A uniform integer in [0, n) from 32-bit words, without modulo bias (n <= 2^32). */
export function uniformInt(word: () => number, n: number): number {
  if (n <= 1) return 0;
  const limit = 4294967296 - (4294967296 % n);
  let w = word();
  while (w >= limit) w = word();
  return w % n;
}

/** A uniformly random permutation of 0..n-1 (Fisher-Yates) from 32-bit words. */
export function permutation(n: number, word: () => number): Uint32Array {
  const p = new Uint32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = uniformInt(word, i + 1);
    const t = p[i]!;
    p[i] = p[j]!;
    p[j] = t;
  }
  return p;
}
