// One categorical draw from a non-negative vector over V tokens without losing the tail in fp32
// (docs/math.md §5): a workgroup of W lanes owns the vector, lane l the tokens l, l + W, ...;
// the draw descends a four-way tree, first over the W lane sums, then inside the chosen lane's
// tokens; at every node it picks a quarter by inversion of ONE fresh 48-bit uniform over the four
// sums sorted ascending, so each quarter is compared where the uniform's resolution is finest
// (next to 0). A token's probability is then a product of ratios each exact to fp32 relative
// precision, whatever its size relative to the total: no cumulative sum near 1, no arg-max of
// noisy logits.
import { dimsModule } from './dims.ts';
import { program, wgslModule } from './module.ts';
import { mathModule, rngModule } from './math.ts';

export const categoricalModule = wgslModule(
  'categorical',
  /* wgsl */ `
// Counter-based uniform stream of one draw: rng4 words two at a time.
struct Stream {
  key: vec2<u32>,
  pos: u32,
  seq: u32,
  purpose: u32,
  draw: u32,
  spare: vec2<u32>,
  has: bool,
}

fn stream_new(key: vec2<u32>, pos: u32, seq: u32, purpose: u32) -> Stream {
  var s: Stream;
  s.key = key; s.pos = pos; s.seq = seq; s.purpose = purpose; s.draw = 0u; s.has = false;
  return s;
}

fn stream_u(s: ptr<function, Stream>) -> f32 {
  if ((*s).has) {
    (*s).has = false;
    return rand_open01((*s).spare.x, (*s).spare.y);
  }
  let r = rng4((*s).key, (*s).pos, (*s).seq, (*s).purpose, (*s).draw);
  (*s).draw = (*s).draw + 1u;
  (*s).spare = r.zw;
  (*s).has = true;
  return rand_open01(r.x, r.y);
}

// true: take the right part (mass b) rather than the left (mass a). The smaller side is the one
// compared with u, so a tiny side keeps its relative precision.
fn pick_right(a: f32, b: f32, u: f32) -> bool {
  if (!(b > 0.0)) { return false; }
  if (!(a > 0.0)) { return true; }
  let tot = a + b;
  if (a <= b) { return !(u * tot < a); }
  return u * tot < b;
}

// Index among n weights by smallest-first inversion (ascending order, so small weights sit where
// the uniform's resolution is finest). At most 4 weights.
fn pick_component(w: vec4<f32>, u: f32) -> u32 {
  var idx = vec4<u32>(0u, 1u, 2u, 3u);
  var v = w;
  // Sort ascending (4 elements, a small network).
  for (var i = 0u; i < 3u; i = i + 1u) {
    for (var j = 0u; j < 3u - i; j = j + 1u) {
      if (v[j] > v[j + 1u]) {
        let tv = v[j]; v[j] = v[j + 1u]; v[j + 1u] = tv;
        let ti = idx[j]; idx[j] = idx[j + 1u]; idx[j + 1u] = ti;
      }
    }
  }
  let tot = v.x + v.y + v.z + v.w;
  var tg = u * tot;
  var k = 3u;
  for (var i = 0u; i < 4u; i = i + 1u) {
    if (v[i] > 0.0 && tg < v[i]) { k = i; break; }
    tg = tg - v[i];
  }
  // Fall back to the largest weight if rounding ran past the end.
  return idx[k];
}
`,
  [rngModule, mathModule],
);

/**
 * The descent itself as WGSL text over a value accessor: `laneSum(lo, hi)` sums the lane sums of
 * lanes [lo, hi), `value(y)` is the vector at token y; declares `pick` (the token) from stream `st`.
 * Four-way: every level splits the range in four, sums each quarter and picks one with
 * pick_component (smallest first), one uniform per level.
 */
export function descentWgsl(W: number, laneSum: (lo: string, hi: string) => string, value: (y: string) => string): string {
  return /* wgsl */ `
    var lo = 0u;
    var hi = ${W}u;
    loop {
      if (hi - lo <= 1u) { break; }
      let q = (hi - lo + 3u) / 4u;
      let e = vec4<u32>(min(lo + q, hi), min(lo + 2u * q, hi), min(lo + 3u * q, hi), hi);
      let k = pick_component(vec4<f32>(${laneSum('lo', 'e.x')}, ${laneSum('e.x', 'e.y')}, ${laneSum('e.y', 'e.z')}, ${laneSum('e.z', 'e.w')}), stream_u(&st));
      if (k > 0u) { lo = e[k - 1u]; }
      hi = e[k];
    }
    let lane = lo;
    var jlo = 0u;
    var jhi = (d.V - lane + ${W}u - 1u) / ${W}u;
    loop {
      if (jhi - jlo <= 1u) { break; }
      let q = (jhi - jlo + 3u) / 4u;
      let e = vec4<u32>(min(jlo + q, jhi), min(jlo + 2u * q, jhi), min(jlo + 3u * q, jhi), jhi);
      var ws = vec4<f32>(0.0);
      var j = jlo;
      for (var part = 0u; part < 4u; part = part + 1u) {
        var acc = vec2<f32>(0.0);
        for (; j < e[part]; j = j + 1u) { acc = kahan_add(acc, ${value(`(lane + ${W}u * j)`)}); }
        ws[part] = acc.x - acc.y;
      }
      let k = pick_component(ws, stream_u(&st));
      if (k > 0u) { jlo = e[k - 1u]; }
      jhi = e[k];
    }
    let pick = lane + ${W}u * jlo;`;
}

/**
 * Many draws from one vector, for the statistical test of the tail: the vector's four-way sum tree
 * (levels of ceil(n / 4) sums, root last, built by the host in float64 and stored in f32) is
 * descended with the same pick_component rule and uniform stream as the reverse step; every lane
 * makes d.n draws and counts them in counts[V] (atomic). Bindings: 1 tree (level 0 = the vector),
 * 2 level offsets and sizes (u32 pairs, root last), 3 counts. Dims: V, R = number of levels, n, seeds, stream.
 */
export function categoricalDrawsProgram(W: number) {
  const code = /* wgsl */ `
@group(0) @binding(1) var<storage, read> tree: array<f32>;
@group(0) @binding(2) var<storage, read> levels: array<vec2<u32>>;
@group(0) @binding(3) var<storage, read_write> counts: array<atomic<u32>>;

fn node(level: u32, i: u32) -> f32 {
  let lv = levels[level];
  if (i >= lv.y) { return 0.0; }
  return tree[lv.x + i];
}

@compute @workgroup_size(${W})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) l: u32) {
  for (var k = 0u; k < d.n; k = k + 1u) {
    var st = stream_new(vec2<u32>(d.seed0, d.seed1), l, wid.x, d.stream);
    st.draw = k * 16u;
    var i = 0u;
    for (var lev = d.R - 1u; lev > 0u; lev = lev - 1u) {
      let c = 4u * i;
      let w = vec4<f32>(node(lev - 1u, c), node(lev - 1u, c + 1u), node(lev - 1u, c + 2u), node(lev - 1u, c + 3u));
      i = c + pick_component(w, stream_u(&st));
    }
    atomicAdd(&counts[i], 1u);
  }
}
`;
  return program('categorical_draws', [W], dimsModule, categoricalModule, wgslModule('categorical_draws_main', code));
}

/** The four-way sum tree of `p` for categoricalDrawsProgram: values and (offset, size) per level, root last. */
export function sumTree4(p: ArrayLike<number>): { tree: Float32Array; levels: Uint32Array } {
  const lv: Float64Array[] = [Float64Array.from(p)];
  while (lv[lv.length - 1]!.length > 1) {
    const prev = lv[lv.length - 1]!;
    const next = new Float64Array(Math.ceil(prev.length / 4));
    for (let i = 0; i < prev.length; i++) next[i >> 2]! += prev[i]!;
    lv.push(next);
  }
  const total = lv.reduce((a, x) => a + x.length, 0);
  const tree = new Float32Array(total);
  const levels = new Uint32Array(2 * lv.length);
  let off = 0;
  lv.forEach((x, i) => {
    tree.set(Float32Array.from(x), off);
    levels[2 * i] = off;
    levels[2 * i + 1] = x.length;
    off += x.length;
  });
  return { tree, levels };
}
