// Numeric helpers shared by the kernel shaders. Everything here is fp32 written so that the
// low-probability tail survives (docs/math.md, precision): log1p/expm1 without cancellation,
// the Bregman term D(u || v) = u log(u/v) - u + v through a series near u = v, Kahan sums.
import { PHILOX_WGSL } from '../../runtime/gpu/philox.ts';
import { wgslModule } from './module.ts';

export const philoxModule = wgslModule('philox', PHILOX_WGSL);

/**
 * Counter-based draws: the counter is (position, sequence, purpose, draw) and the key the seed,
 * so every random number depends only on what it is for, never on the dispatch shape.
 */
export const rngModule = wgslModule(
  'rng',
  /* wgsl */ `
fn rng4(key: vec2<u32>, pos: u32, seq: u32, purpose: u32, draw: u32) -> vec4<u32> {
  return philox4x32_10(vec4<u32>(pos, seq, purpose, draw), key);
}
`,
  [philoxModule],
);

export const mathModule = wgslModule(
  'math',
  /* wgsl */ `
// WGSL's log is only accurate to an ABSOLUTE 2^-21 on [0.5, 2] (and GPUs use that latitude), so
// logs of ratios near 1 go through a series here: log1p(x) = 2 atanh(x / (2 + x)), whose argument
// is at most 1/3 in size for x in (-0.5, 1); ten odd terms reach fp32 precision.
fn dlmk_log1p(x: f32) -> f32 {
  if (x > -0.5 && x < 1.0) {
    let z = x / (2.0 + x);
    let z2 = z * z;
    return 2.0 * z * (dlmk_atanh_tail(z2) * z2 + 1.0);
  }
  return log(1.0 + x);
}

// atanh(z) / z - 1 over z^2 = 1/3 + z^2/5 + ... + z^18/21 (Horner): ten odd terms reach fp32
// precision for |z| <= 1/3.
fn dlmk_atanh_tail(z2: f32) -> f32 {
  var acc = 1.0 / 21.0;
  acc = acc * z2 + 1.0 / 19.0;
  acc = acc * z2 + 1.0 / 17.0;
  acc = acc * z2 + 1.0 / 15.0;
  acc = acc * z2 + 1.0 / 13.0;
  acc = acc * z2 + 1.0 / 11.0;
  acc = acc * z2 + 1.0 / 9.0;
  acc = acc * z2 + 1.0 / 7.0;
  acc = acc * z2 + 1.0 / 5.0;
  return acc * z2 + 1.0 / 3.0;
}

// log(x) with full relative precision near 1 (x - 1 is exact there).
fn dlmk_log(x: f32) -> f32 {
  if (x > 0.5 && x < 2.0) { return dlmk_log1p(x - 1.0); }
  return log(x);
}

// exp(x) - 1 without cancellation: Taylor series for |x| < 1/4, else exp(x) - 1.
fn dlmk_expm1(x: f32) -> f32 {
  if (abs(x) < 0.25) {
    var acc = 1.0 / 362880.0;
    acc = acc * x + 1.0 / 40320.0;
    acc = acc * x + 1.0 / 5040.0;
    acc = acc * x + 1.0 / 720.0;
    acc = acc * x + 1.0 / 120.0;
    acc = acc * x + 1.0 / 24.0;
    acc = acc * x + 1.0 / 6.0;
    acc = acc * x + 0.5;
    acc = acc * x + 1.0;
    return x * acc;
  }
  return exp(x) - 1.0;
}

// x^y as JavaScript's Math.pow for a negative base and an integer exponent.
fn dlmk_pow(x: f32, y: f32) -> f32 {
  if (x >= 0.0) {
    if (x == 0.0) { return select(select(1.0, 0.0, y > 0.0), 1.0 / x, y < 0.0); }
    return exp(y * dlmk_log(x));
  }
  if (floor(y) != y) { return (x - x) / (x - x); }
  let m = exp(y * dlmk_log(-x));
  if (fract(y * 0.5) != 0.0) { return -m; }
  return m;
}

// phi(d) = d - log(1 + d) >= 0 with full relative precision, without branches (a CPU adapter runs
// both sides of a divergent branch anyway). For d in (-0.5, 1), with z = d / (2 + d) (|z| < 1/3):
// log(1 + d) = 2 atanh(z) and d - 2z = z d exactly, so phi = z d - 2 z^3 (1/3 + z^2/5 + z^4/7 + ...),
// where the subtracted part is at most 15% of z d: no cancellation. Elsewhere phi >= 0.19 and the
// difference d - log(1 + d) is safe.
fn dlmk_phi(d: f32) -> f32 {
  let z = d / (2.0 + d);
  let z2 = z * z;
  let near = z * d - 2.0 * z * z2 * dlmk_atanh_tail(z2);
  let far = d - log(1.0 + d);
  return select(far, near, d > -0.5 && d < 1.0);
}

// D(u || v) = u log(u / v) - u + v for u, v >= 0 (the generalised KL of docs/math.md, ELBO).
fn dlmk_breg(u: f32, v: f32) -> f32 {
  if (u <= 0.0) { return v; }
  if (v <= 0.0) { return 3.4028234663852886e38; }
  // u * phi(v/u - 1) with phi(d) = d - log(1+d): equals u log(u/v) - u + v.
  return u * dlmk_phi(v / u - 1.0);
}

// Kahan-compensated sum: s holds the sum, c the running compensation.
fn kahan_add(acc: vec2<f32>, x: f32) -> vec2<f32> {
  let y = x - acc.y;
  let t = acc.x + y;
  return vec2<f32>(t, (t - acc.x) - y);
}
`,
);
