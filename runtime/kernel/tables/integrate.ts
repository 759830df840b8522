// Adaptive Gauss-Kronrod (7-15) quadrature of a scalar function, for channels whose Lambda_c has no
// closed form (Lambda_c(t) = Lambda_c(0) + integral_0^t sigma_c).

const XGK = [0.991455371120812639, 0.949107912342758525, 0.864864423359769073, 0.741531185599394440, 0.586087235467691130, 0.405845151377397167, 0.207784955007898468, 0];
const WGK = [0.022935322010529225, 0.063092092629978553, 0.104790010322250184, 0.140653259715525919, 0.169004726639267903, 0.190350578064785410, 0.204432940075298892, 0.209482141084727828];
const WG = [0.129484966168869693, 0.279705391489276668, 0.381830050505118945, 0.417959183673469388];

/** integral_a^b f with absolute error estimate <= tol (bisection to depth 40). */
export function integrate(f: (x: number) => number, a: number, b: number, tol: number): number {
  if (b <= a) return 0;
  let total = 0;
  const stack: Array<[number, number, number]> = [[a, b, 0]];
  while (stack.length) {
    const [lo, hi, depth] = stack.pop()!;
    const c = 0.5 * (lo + hi), h = 0.5 * (hi - lo);
    let k = 0, g = 0;
    for (let i = 0; i < 8; i++) {
      const v = i === 7 ? f(c) : f(c - h * XGK[i]!) + f(c + h * XGK[i]!);
      k += WGK[i]! * v;
      if (i % 2 === 1) g += WG[(i - 1) / 2]! * v;
    }
    k *= h;
    g *= h;
    if (Math.abs(k - g) <= (tol * (hi - lo)) / (b - a) || depth >= 40) total += k;
    else stack.push([c, hi, depth + 1], [lo, c, depth + 1]);
  }
  return total;
}
