// Directed rounding for the interval evaluator. JavaScript rounds to nearest and has no rounding
// modes, so each bound is computed to nearest and then moved outward only when the operation was
// inexact (error-free transformations tell), or by a few ulps for the transcendental functions,
// whose Math implementations (fdlibm ports) are within 1 ulp but not correctly rounded.
const f64 = new Float64Array(1);
const i64 = new BigInt64Array(f64.buffer);

/** The next float above x (x itself for +inf and NaN). */
export function nextUp(x: number): number {
  if (Number.isNaN(x) || x === Infinity) return x;
  if (x === 0) return Number.MIN_VALUE;
  f64[0] = x;
  i64[0] = x > 0 ? i64[0]! + 1n : i64[0]! - 1n;
  return f64[0];
}

/** The next float below x (x itself for -inf and NaN). */
export function nextDown(x: number): number {
  return -nextUp(-x);
}

/** Moves x down (dir < 0) or up (dir > 0) by n ulps. */
export function ulps(x: number, dir: -1 | 1, n: number): number {
  let y = x;
  for (let i = 0; i < n; i++) y = dir < 0 ? nextDown(y) : nextUp(y);
  return y;
}

const SAFE_HI = 2 ** 995;
const SAFE_LO = 2 ** -960;

function safe(x: number): boolean {
  const a = Math.abs(x);
  return a === 0 || (a > SAFE_LO && a < SAFE_HI);
}

/** Exact error of a + b = s (Knuth's TwoSum); valid when s is finite. */
function twoSumErr(a: number, b: number, s: number): number {
  const bb = s - a;
  return a - (s - bb) + (b - bb);
}

function split(a: number): [number, number] {
  const c = 134217729 * a;
  const hi = c - (c - a);
  return [hi, a - hi];
}

/** Exact error of a * b = p (Dekker's TwoProduct); valid away from overflow and underflow. */
function twoProductErr(a: number, b: number, p: number): number {
  const [ah, al] = split(a);
  const [bh, bl] = split(b);
  return ah * bh - p + ah * bl + al * bh + al * bl;
}

/**
 * Round the exact value whose nearest float is r, knowing the sign of (exact - r) when `err` is
 * a number (0: exact), or nothing when it is null (then widen by one ulp, which always suffices
 * for a correctly rounded operation). `sign` is the sign of the exact value, when known, so that
 * widening never crosses zero.
 */
function directed(r: number, err: number | null, dir: -1 | 1, sign: number): number {
  let y: number;
  if (err === null) y = dir < 0 ? nextDown(r) : nextUp(r);
  else if (err === 0) y = r;
  else if (dir < 0) y = err < 0 ? nextDown(r) : r;
  else y = err > 0 ? nextUp(r) : r;
  if (sign > 0 && y < 0) y = 0;
  if (sign < 0 && y > 0) y = 0;
  return y;
}

export function addDir(a: number, b: number, dir: -1 | 1): number {
  const s = a + b;
  if (!Number.isFinite(a) || !Number.isFinite(b)) return s;
  if (!Number.isFinite(s)) return dir < 0 ? nextDown(s) : s; // overflow: the exact sum is finite
  if (!safe(s) || !safe(a) || !safe(b)) return directed(s, null, dir, 0);
  return directed(s, twoSumErr(a, b, s), dir, 0);
}

export function mulDir(a: number, b: number, dir: -1 | 1): number {
  const p = a * b;
  if (a === 0 || b === 0 || !Number.isFinite(a) || !Number.isFinite(b)) return p;
  const sign = Math.sign(a) * Math.sign(b);
  if (!Number.isFinite(p)) return dir < 0 ? nextDown(p) : nextUp(p);
  if (!safe(a) || !safe(b) || !safe(p) || p === 0) return directed(p, null, dir, sign);
  return directed(p, twoProductErr(a, b, p), dir, sign);
}

export function divDir(a: number, b: number, dir: -1 | 1): number {
  const q = a / b;
  if (a === 0 || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) return q;
  const sign = Math.sign(a) * Math.sign(b);
  if (!Number.isFinite(q)) return dir < 0 ? nextDown(q) : nextUp(q);
  if (!safe(a) || !safe(b) || !safe(q) || q === 0) return directed(q, null, dir, sign);
  // a/b = q + r/b with r = a - q*b computed exactly: q*b = p + e, a - p is exact (Sterbenz).
  const p = q * b;
  const e = twoProductErr(q, b, p);
  const r = a - p - e;
  return directed(q, r === 0 ? 0 : Math.sign(r) * Math.sign(b), dir, sign);
}

export function sqrtDir(x: number, dir: -1 | 1): number {
  const r = Math.sqrt(x);
  if (!(x > 0) || !Number.isFinite(x)) return r;
  if (!safe(x) || !safe(r)) return directed(r, null, dir, 1);
  const p = r * r;
  const e = twoProductErr(r, r, p);
  const res = x - p - e;
  return directed(r, res === 0 ? 0 : Math.sign(res), dir, 1);
}
