// Adaptive Gauss-Kronrod (7-15) quadrature of a vector-valued integrand in float64, for the reset
// weights of a non-proportional kernel (docs/math.md §1.5).

const XGK = [
  0.991455371120812639206854697526329, 0.949107912342758524526189684047851, 0.864864423359769072789712788640926,
  0.741531185599394439863864773280788, 0.586087235467691130294144845693013, 0.405845151377397166906606412076961,
  0.207784955007898467600689403773245, 0.0,
];
const WGK = [
  0.022935322010529224963732008058970, 0.063092092629978553290700663189204, 0.104790010322250183839876322541518,
  0.140653259715525918745189590510238, 0.169004726639267902826583426598550, 0.190350578064785409913256402421014,
  0.204432940075298892414161999234649, 0.209482141084727828012999174891714,
];
const WG = [0.129484966168869693270611432679082, 0.279705391489276667901467771423780, 0.381830050505118944950369775488975, 0.417959183673469387755102040816327];

export interface QuadOptions {
  /** Absolute tolerance on the max-norm of the error of the whole integral. */
  absTol: number;
  /** Deepest bisection (an interval is then accepted whatever its error estimate). */
  maxDepth?: number;
}

export interface QuadResult {
  value: Float64Array;
  /** Sum of the accepted intervals' Kronrod-minus-Gauss error estimates (max-norm). */
  errorEstimate: number;
  evaluations: number;
}

/** integral_a^b f(x) dx for f writing m values into `out`. */
export function integrate(f: (x: number, out: Float64Array) => void, m: number, a: number, b: number, opts: QuadOptions): QuadResult {
  const total = new Float64Array(m);
  const fx = new Float64Array(m);
  const k = new Float64Array(m);
  const g = new Float64Array(m);
  let evaluations = 0;
  let errorEstimate = 0;
  const maxDepth = opts.maxDepth ?? 60;
  const width = b - a;
  const rule = (lo: number, hi: number) => {
    const c = 0.5 * (lo + hi);
    const h = 0.5 * (hi - lo);
    k.fill(0);
    g.fill(0);
    for (let i = 0; i < 8; i++) {
      const xs = i === 7 ? [c] : [c - h * XGK[i]!, c + h * XGK[i]!];
      for (const x of xs) {
        f(x, fx);
        evaluations++;
        for (let j = 0; j < m; j++) {
          k[j]! += WGK[i]! * fx[j]!;
          if (i % 2 === 1) g[j]! += WG[(i - 1) / 2]! * fx[j]!;
          else if (i === 7) g[j]! += WG[3]! * fx[j]!;
        }
      }
    }
    let err = 0;
    for (let j = 0; j < m; j++) {
      k[j]! *= h;
      g[j]! *= h;
      err = Math.max(err, Math.abs(k[j]! - g[j]!));
    }
    return err;
  };
  const stack: Array<[number, number, number]> = [[a, b, 0]];
  while (stack.length) {
    const [lo, hi, depth] = stack.pop()!;
    const err = rule(lo, hi);
    const allowed = (opts.absTol * (hi - lo)) / width;
    if (err <= allowed || depth >= maxDepth) {
      for (let j = 0; j < m; j++) total[j]! += k[j]!;
      errorEstimate += err;
    } else {
      const mid = 0.5 * (lo + hi);
      stack.push([mid, hi, depth + 1], [lo, mid, depth + 1]);
    }
  }
  return { value: total, errorEstimate, evaluations };
}
