// Self-BLEU (Zhu et al. 2018, "Texygen: A Benchmarking Platform for Text Generation Models",
// SIGIR): each sample is a hypothesis scored by BLEU against all the other samples as references,
// and the scores are averaged. Texygen calls NLTK's sentence_bleu with uniform weights 1/N over
// orders 1..N and SmoothingFunction().method1 (a zero n-gram match count becomes epsilon = 0.1,
// Chen & Cherry 2014); we follow NLTK's sentence_bleu exactly, on token ids instead of
// nltk.word_tokenize words. Texygen's default "fast" mode keeps only the first 500 samples;
// `maxSamples` does the same when asked. docs/eval.md, "Self-BLEU".
import { MetricError } from './errors.ts';
import { checkN, checkSamples, ngramCounts, type GramKey, type Samples } from './samples.ts';

export interface BleuOptions {
  /** Highest n-gram order N (weights 1/N each); default 4 (BLEU-4). */
  n?: number;
  /** 'method1' (default, Texygen): a precision with no match becomes epsilon / count. 'none': it makes BLEU 0. */
  smoothing?: 'method1' | 'none';
  /** The epsilon of method1; default 0.1 (NLTK's). */
  epsilon?: number;
}

export interface SelfBleuOptions extends BleuOptions {
  /** Use only the first this-many samples as hypotheses and references (Texygen's fast mode uses 500). Default: all. */
  maxSamples?: number;
  V?: number;
}

function options(metric: string, o: BleuOptions): { n: number; smoothing: 'method1' | 'none'; epsilon: number } {
  const n = o.n ?? 4;
  checkN(metric, n);
  const smoothing = o.smoothing ?? 'method1';
  if (smoothing !== 'method1' && smoothing !== 'none') throw new MetricError(metric, `smoothing must be 'method1' or 'none', got '${String(smoothing)}'`);
  const epsilon = o.epsilon ?? 0.1;
  if (!(epsilon > 0)) throw new MetricError(metric, `epsilon must be > 0, got ${epsilon}`);
  return { n, smoothing, epsilon };
}

/** NLTK's brevity penalty with the closest reference length r (ties: the shorter) and hypothesis length c. */
function brevityPenalty(r: number, c: number): number {
  if (c > r) return 1;
  if (c === 0) return 0;
  return Math.exp(1 - r / c);
}

/** BLEU from per-order clipped matches and counts (NLTK's corpus_bleu for one hypothesis). */
function combine(num: number[], den: number[], bp: number, o: { n: number; smoothing: 'method1' | 'none'; epsilon: number }): number {
  // No unigram match: 0 whatever the smoothing (NLTK checks p_numerators[1] == 0 first).
  if (num[0] === 0) return 0;
  let s = 0;
  for (let k = 0; k < o.n; k++) {
    let p = num[k]! / den[k]!;
    if (num[k] === 0) {
      if (o.smoothing === 'none') return 0;
      p = o.epsilon / den[k]!;
    }
    s += Math.log(p) / o.n;
  }
  return bp * Math.exp(s);
}

/**
 * NLTK's sentence_bleu(references, hypothesis, weights = (1/N,)*N, smoothing_function) on token
 * ids, written straight from the definition (the float64 reference of the fast self-BLEU below).
 */
export function sentenceBleu(references: readonly ArrayLike<number>[], hypothesis: ArrayLike<number>, opts: BleuOptions = {}): number {
  const o = options('bleu', opts);
  if (references.length === 0) throw new MetricError('bleu', 'needs at least one reference');
  const base = checkSamples('bleu', [hypothesis, ...references]);
  const num: number[] = [];
  const den: number[] = [];
  for (let k = 1; k <= o.n; k++) {
    const counts = ngramCounts(hypothesis, k, base);
    const refCounts = references.map((r) => ngramCounts(r, k, base));
    let m = 0;
    let total = 0;
    for (const [g, c] of counts) {
      let maxRef = 0;
      for (const rc of refCounts) maxRef = Math.max(maxRef, rc.get(g) ?? 0);
      m += Math.min(c, maxRef);
      total += c;
    }
    num.push(m);
    den.push(Math.max(1, total));
  }
  const c = hypothesis.length;
  let r = references[0]!.length;
  for (const ref of references) {
    const d = Math.abs(ref.length - c) - Math.abs(r - c);
    if (d < 0 || (d === 0 && ref.length < r)) r = ref.length;
  }
  return combine(num, den, brevityPenalty(r, c), o);
}

/**
 * Each sample's BLEU against all the other samples. For every n-gram the largest count in any
 * sample, its owner and the second largest are kept, so that "the largest count among the other
 * samples" costs O(1): O(total n-grams + S^2) in all instead of O(S^2 L).
 */
export function selfBleuScores(samples: Samples, opts: SelfBleuOptions = {}): Float64Array {
  const o = options('self-bleu', opts);
  const base = checkSamples('self-bleu', samples, opts.V);
  let xs = samples;
  if (opts.maxSamples !== undefined) {
    if (!(Number.isInteger(opts.maxSamples) && opts.maxSamples >= 2)) throw new MetricError('self-bleu', `maxSamples must be an integer >= 2, got ${opts.maxSamples}`);
    xs = samples.slice(0, opts.maxSamples);
  }
  const S = xs.length;
  if (S < 2) throw new MetricError('self-bleu', 'needs at least two samples (each is scored against the others)');
  const num = Array.from({ length: S }, () => new Array<number>(o.n).fill(0));
  const den = Array.from({ length: S }, () => new Array<number>(o.n).fill(0));
  for (let k = 1; k <= o.n; k++) {
    const counts = xs.map((x) => ngramCounts(x, k, base));
    const top = new Map<GramKey, { m1: number; owner: number; m2: number }>();
    counts.forEach((cm, s) => {
      for (const [g, c] of cm) {
        const t = top.get(g);
        if (!t) top.set(g, { m1: c, owner: s, m2: 0 });
        else if (c > t.m1) {
          t.m2 = t.m1;
          t.m1 = c;
          t.owner = s;
        } else if (c > t.m2) t.m2 = c;
      }
    });
    counts.forEach((cm, s) => {
      let m = 0;
      let total = 0;
      for (const [g, c] of cm) {
        const t = top.get(g)!;
        m += Math.min(c, t.owner === s ? t.m2 : t.m1);
        total += c;
      }
      num[s]![k - 1] = m;
      den[s]![k - 1] = Math.max(1, total);
    });
  }
  const out = new Float64Array(S);
  for (let s = 0; s < S; s++) {
    const c = xs[s]!.length;
    let r = -1;
    for (let t = 0; t < S; t++) {
      if (t === s) continue;
      const len = xs[t]!.length;
      if (r < 0) r = len;
      const d = Math.abs(len - c) - Math.abs(r - c);
      if (d < 0 || (d === 0 && len < r)) r = len;
    }
    out[s] = combine(num[s]!, den[s]!, brevityPenalty(r, c), o);
  }
  return out;
}

/** Self-BLEU: the mean of selfBleuScores (higher = samples more alike = less diverse). */
export function selfBleu(samples: Samples, opts: SelfBleuOptions = {}): number {
  const b = selfBleuScores(samples, opts);
  let s = 0;
  for (const x of b) s += x;
  return s / b.length;
}
