// Dense generator and transition matrices (docs/math.md §6), the independent check of the
// structured forms for S <= 64. Operators act on S states; [MASK] is absorbing for all of them.
//   proportional spec: P_{s->t} = exp( sum_c (Lambda_c(t) - Lambda_c(s)) (Op_c - I) ), by uniformisation
//     (a generator: non-negative terms, rigorous tail);
//   otherwise: a time-ordered product of sixth-order Magnus steps, each exponentiated by Pade
//     scaling and squaring, on steps of equal total clock sum_c Lambda_c.
import { axpby, expmPade, expmUniformisation, identity, magnus6Omega, matMul } from '../math/dense.ts';
import type { Structure } from './structure.ts';
import { clockPartition } from './partition.ts';

export const DENSE_MAX_S = 64;
/** Total-clock length of one Magnus step. */
export const MAGNUS_CLOCK_STEP = 0.05;
const MAGNUS_MIN_STEPS = 8;

export class Dense {
  private readonly ops: Float64Array[];
  readonly S: number;

  constructor(private readonly st: Structure) {
    const S = st.S;
    if (S > DENSE_MAX_S) throw new RangeError(`dense matrices are for S <= ${DENSE_MAX_S}; this kernel has S = ${S}`);
    this.S = S;
    const V = st.V;
    this.ops = st.spec.channels.map((ch, c) => {
      const O = new Float64Array(S * S);
      const op = ch.operator;
      for (let x = 0; x < V; x++) {
        if (op.op === 'mask') O[x * S + st.m] = 1;
        else if (op.op === 'reset') {
          const pi = st.resets.find((r) => r.c === c)!.pi;
          for (let y = 0; y < V; y++) O[x * S + y] = pi[y]!;
        } else {
          const A = st.jumps.find((j) => j.c === c)!.A;
          for (let p = A.rowPtr[x]!; p < A.rowPtr[x + 1]!; p++) O[x * S + A.col[p]!]! += A.w[p]!;
        }
      }
      if (st.hasMask) O[st.m * S + st.m] = 1;
      return O;
    });
  }

  /** sum_c k_c (Op_c - I). */
  generator(k: Float64Array): Float64Array {
    const S = this.S;
    let G: Float64Array = new Float64Array(S * S);
    const I = identity(S);
    this.ops.forEach((O, c) => {
      if (k[c] !== 0) G = axpby(1, G, k[c]!, axpby(1, O, -1, I));
    });
    return G;
  }

  denseGenerator(t: number): Float64Array {
    return this.generator(this.st.sigmas(t));
  }

  denseTransition(s: number, t: number): Float64Array {
    if (!(s <= t)) throw new RangeError(`denseTransition needs s <= t, got s = ${s}, t = ${t}`);
    const st = this.st;
    const S = this.S;
    if (st.spec.proportional) {
      const Ls = st.lambdas(s);
      return expmUniformisation(this.generator(st.lambdas(t).map((x, c) => x - Ls[c]!)), S);
    }
    const clock = (tau: number) => st.lambdas(tau).reduce((a, b) => a + b, 0);
    const taus = clockPartition(clock, s, t, MAGNUS_CLOCK_STEP, MAGNUS_MIN_STEPS);
    const g = Math.sqrt(15) / 10;
    let P = identity(S);
    for (let k = 0; k + 1 < taus.length; k++) {
      const a = taus[k]!;
      const h = taus[k + 1]! - a;
      if (h <= 0) continue;
      const A1 = this.denseGenerator(a + h * (0.5 - g));
      const A2 = this.denseGenerator(a + h * 0.5);
      const A3 = this.denseGenerator(a + h * (0.5 + g));
      P = matMul(P, expmPade(magnus6Omega(A1, A2, A3, h, S), S), S);
    }
    return P;
  }

  denseForward(t: number): Float64Array {
    const st = this.st;
    if (st.spec.proportional) return expmUniformisation(this.generator(st.lambdas(t)), this.S);
    const pre = expmUniformisation(this.generator(st.lambdas(0)), this.S);
    return matMul(pre, this.denseTransition(0, t), this.S);
  }
}
