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
// log(1 + x) without cancellation for small x (Goldberg's trick).
fn dlmk_log1p(x: f32) -> f32 {
  let u = 1.0 + x;
  if (u == 1.0) { return x; }
  return log(u) * (x / (u - 1.0));
}

// exp(x) - 1 without cancellation for small x.
fn dlmk_expm1(x: f32) -> f32 {
  let u = exp(x);
  if (u == 1.0) { return x; }
  let um1 = u - 1.0;
  if (um1 == -1.0) { return -1.0; }
  return um1 * (x / log(u));
}

// x^y as JavaScript's Math.pow for a negative base and an integer exponent.
fn dlmk_pow(x: f32, y: f32) -> f32 {
  if (x >= 0.0) { return pow(x, y); }
  if (floor(y) != y) { return (x - x) / (x - x); }
  let m = pow(-x, y);
  if (fract(y * 0.5) != 0.0) { return -m; }
  return m;
}

// phi(d) = d - log(1 + d), >= 0; a series near 0 keeps its relative precision.
fn dlmk_phi(d: f32) -> f32 {
  if (abs(d) < 0.0625) {
    return d * d * (0.5 + d * (-1.0 / 3.0 + d * (0.25 + d * (-0.2 + d * (1.0 / 6.0 + d * (-1.0 / 7.0 + d * 0.125))))));
  }
  return d - dlmk_log1p(d);
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
