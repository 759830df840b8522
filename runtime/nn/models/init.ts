// Deterministic initialisation on the host. Each parameter tensor draws from its own stream, keyed
// by the run's seed and the tensor's NAME (not its position), so adding a parameter does not
// change the others. The generator (docs/checkpoint.md, "Initialisation"):
//   h       = FNV-1a 32-bit of the UTF-8 name
//   state   = four words from splitmix32 applied to (seed_lo ^ h), seed_hi, then chained
//   stream  = xoshiro128** over that state
//   u       = (w1 >>> 5) * 2^-27 + (w2 >>> 6) * 2^-53      (53-bit uniform in [0, 1))
//   value   = fround((2u - 1) * bound)
// PyTorch's defaults give the bounds: nn.Linear and MDLM's embedding use kaiming_uniform(a=sqrt(5)),
// i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and Linear biases the same bound.

export type Init = { readonly kind: 'zeros' } | { readonly kind: 'ones' } | { readonly kind: 'uniform'; readonly bound: number };

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(s, 'utf8')) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

function splitmix32(x: number): number {
  let z = (x + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** A xoshiro128** stream for (seed, name); returns a function giving 53-bit uniforms in [0, 1). */
export function uniformStream(seed: number, name: string): () => number {
  if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError(`seed must be a non-negative safe integer, got ${seed}`);
  const lo = seed >>> 0;
  const hi = Math.floor(seed / 2 ** 32) >>> 0;
  let s0 = splitmix32((lo ^ fnv1a(name)) >>> 0);
  let s1 = splitmix32(hi ^ s0);
  let s2 = splitmix32(s1 ^ 0x6a09e667);
  let s3 = splitmix32(s2 ^ 0xbb67ae85);
  if ((s0 | s1 | s2 | s3) === 0) s0 = 1;
  const next = (): number => {
    const r = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotl(s3, 11);
    return r;
  };
  return () => (next() >>> 5) * 2 ** -27 + (next() >>> 6) * 2 ** -53;
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** Fills `out` with the initial values of the tensor `name`. */
export function initTensor(out: Float32Array, init: Init, seed: number, name: string): void {
  if (init.kind === 'zeros') out.fill(0);
  else if (init.kind === 'ones') out.fill(1);
  else {
    const u = uniformStream(seed, name);
    const b = init.bound;
    for (let i = 0; i < out.length; i++) out[i] = (2 * u() - 1) * b;
  }
}

/** kaiming_uniform(a = sqrt(5)) of PyTorch: U(-1/sqrt(fan_in), 1/sqrt(fan_in)). */
export function fanIn(fan: number): Init {
  return { kind: 'uniform', bound: 1 / Math.sqrt(fan) };
}
