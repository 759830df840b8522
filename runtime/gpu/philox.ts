// Philox4x32-10 counter-based random numbers (Salmon et al., SC'11), in WGSL and in TypeScript.
// The two agree bit for bit (test/runtime/gpu/philox.test.ts, with Random123's known answers).
// Uniforms: 48 bits from two words, so the tail near 0 has 2^-48 resolution (docs/math.md, precision).

/** WGSL functions: philox4x32_10, rand_open01 (two words -> (0,1)), rand_exp (-log of it). */
export const PHILOX_WGSL = /* wgsl */ `
fn philox_mulhilo(a: u32, b: u32) -> vec2<u32> {
  // 32x32 -> 64-bit product from 16-bit halves; returns (hi, lo).
  let a0 = a & 0xffffu; let a1 = a >> 16u;
  let b0 = b & 0xffffu; let b1 = b >> 16u;
  let p00 = a0 * b0; let p01 = a0 * b1; let p10 = a1 * b0; let p11 = a1 * b1;
  let mid = (p00 >> 16u) + (p01 & 0xffffu) + (p10 & 0xffffu);
  let hi = p11 + (p01 >> 16u) + (p10 >> 16u) + (mid >> 16u);
  let lo = (mid << 16u) | (p00 & 0xffffu);
  return vec2<u32>(hi, lo);
}

fn philox4x32_10(counter: vec4<u32>, key_in: vec2<u32>) -> vec4<u32> {
  var c = counter;
  var k = key_in;
  for (var r = 0u; r < 10u; r = r + 1u) {
    let p0 = philox_mulhilo(0xD2511F53u, c.x);
    let p1 = philox_mulhilo(0xCD9E8D57u, c.z);
    c = vec4<u32>(p1.x ^ c.y ^ k.x, p1.y, p0.x ^ c.w ^ k.y, p0.y);
    k = k + vec2<u32>(0x9E3779B9u, 0xBB67AE85u);
  }
  return c;
}

// A uniform in (0, 1) from two words: 48 random bits, never 0 or 1 exactly; values near 0
// are resolved to 2^-48, so -log(u) reaches the far tail of an exponential. Near 1 the sum
// can round up to 1; it is clamped to the largest float below 1 (a 2^-25 sliver of mass).
fn rand_open01(w0: u32, w1: u32) -> f32 {
  let hi = f32(w0 >> 8u);
  let lo = f32(w1 >> 8u) + 0.5;
  return min((hi + lo * 5.9604644775390625e-8) * 5.9604644775390625e-8, 0.99999994039535522);
}

// An Exp(1) draw.
fn rand_exp(w0: u32, w1: u32) -> f32 {
  return -log(rand_open01(w0, w1));
}
`;

function mulhilo(a: number, b: number): [number, number] {
  const p = BigInt(a >>> 0) * BigInt(b >>> 0);
  return [Number(p >> 32n) >>> 0, Number(p & 0xffffffffn) >>> 0];
}

/** Philox4x32-10 of a 128-bit counter under a 64-bit key. */
export function philox4x32_10(counter: readonly [number, number, number, number], key: readonly [number, number]): [number, number, number, number] {
  let [c0, c1, c2, c3] = counter.map((x) => x >>> 0) as [number, number, number, number];
  let [k0, k1] = key.map((x) => x >>> 0) as [number, number];
  for (let r = 0; r < 10; r++) {
    const [h0, l0] = mulhilo(0xd2511f53, c0);
    const [h1, l1] = mulhilo(0xcd9e8d57, c2);
    [c0, c1, c2, c3] = [(h1 ^ c1 ^ k0) >>> 0, l1, (h0 ^ c3 ^ k1) >>> 0, l0];
    k0 = (k0 + 0x9e3779b9) >>> 0;
    k1 = (k1 + 0xbb67ae85) >>> 0;
  }
  return [c0, c1, c2, c3];
}

/** The float32 value rand_open01 computes in WGSL, in float64 (exact: all steps are exact in f32 too). */
export function randOpen01(w0: number, w1: number): number {
  const hi = (w0 >>> 8);
  const lo = (w1 >>> 8) + 0.5;
  return Math.min(Math.fround(Math.fround(hi + Math.fround(lo * 2 ** -24)) * 2 ** -24), 1 - 2 ** -24);
}

/** A seed (any 53-bit integer) as a Philox key. */
export function seedKey(seed: number): [number, number] {
  const s = Math.floor(Math.abs(seed));
  return [s >>> 0, Math.floor(s / 2 ** 32) >>> 0];
}
