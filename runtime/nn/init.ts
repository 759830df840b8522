// Seeded initial values, generated on the host. Each parameter draws from a stream keyed by the
// run's seed and a hash of its name, so adding a parameter does not change the others' values.

/** FNV-1a of a string, 32 bits. */
export function hashName(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** xoshiro128** seeded through splitmix32; uniforms in [0, 1) with 32 random bits. */
export function uniformStream(seed: number, stream: number): () => number {
  let x = (seed ^ Math.imul(stream, 0x9e3779b9)) >>> 0;
  const split = () => {
    x = (x + 0x9e3779b9) >>> 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = split(), b = split(), c = split(), d = split();
  return () => {
    const r = Math.imul(((Math.imul(b, 5) << 7) | (Math.imul(b, 5) >>> 25)) >>> 0, 9) >>> 0;
    const t = (b << 9) >>> 0;
    c ^= a; d ^= b; b ^= c; a ^= d; c ^= t;
    d = ((d << 11) | (d >>> 21)) >>> 0;
    a >>>= 0; b >>>= 0; c >>>= 0;
    return r / 4294967296;
  };
}

export type Init =
  | { kind: 'zeros' }
  | { kind: 'ones' }
  | { kind: 'constant'; value: number }
  /** Normal(0, std), truncated at 3 std (resampled). */
  | { kind: 'normal'; std: number }
  | { kind: 'uniform'; bound: number }
  | { kind: 'values'; data: Float32Array };

export function initValues(init: Init, count: number, seed: number, name: string): Float32Array {
  const out = new Float32Array(count);
  switch (init.kind) {
    case 'zeros':
      return out;
    case 'ones':
      return out.fill(1);
    case 'constant':
      return out.fill(init.value);
    case 'values':
      if (init.data.length !== count) throw new RangeError(`init of ${name}: ${init.data.length} values for ${count} elements`);
      out.set(init.data);
      return out;
    case 'uniform': {
      const u = uniformStream(seed, hashName(name));
      for (let i = 0; i < count; i++) out[i] = (2 * u() - 1) * init.bound;
      return out;
    }
    case 'normal': {
      const u = uniformStream(seed, hashName(name));
      for (let i = 0; i < count; i++) {
        let z: number;
        do z = Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
        while (Math.abs(z) > 3);
        out[i] = z * init.std;
      }
      return out;
    }
  }
}
