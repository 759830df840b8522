// The test likelihood and the three factors in the comparison's table and report, from each run's
// `evaluation` record (runtime/eval evaluate(), docs/eval.md).
import type { EvalRecord } from '../eval/evaluate.ts';
import type { BarSeries, ReportBlock, Series } from '../eval/report/index.ts';
import type { CompareResults, RunResult } from './run.ts';

export interface FactorColumn {
  title: string;
  value: (run: RunResult) => number | null;
}

const ev = (run: RunResult): EvalRecord | null => (run.evaluation as EvalRecord | undefined) ?? null;
const lastVariance = (run: RunResult) => ev(run)?.factors.variance?.at(-1) ?? null;
/** Repair at the middle time measured. */
const midRepair = (run: RunResult) => {
  const r = ev(run)?.factors.repair?.repair;
  return r?.length ? r[Math.floor(r.length / 2)]! : null;
};

/** Columns of the main table taken from the evaluation records (present when some run has one). */
export function factorColumns(r: CompareResults): FactorColumn[] {
  if (!r.runs.some((x) => ev(x))) return [];
  return [
    { title: 'test NELBO (quadrature)', value: (x) => ev(x)?.likelihood?.quadrature?.nats ?? null },
    { title: '± s.e.', value: (x) => ev(x)?.likelihood?.quadrature?.se ?? null },
    { title: 'loss s.d. (t, x_t)', value: (x) => lastVariance(x)?.fixedX0?.loss.sd ?? null },
    { title: 'B_noise', value: (x) => lastVariance(x)?.freshX0.gradient.bNoise ?? null },
    { title: 'restored @t mid', value: (x) => midRepair(x)?.restored ?? null },
  ];
}

function mean(xs: (number | null | undefined)[]): number | null {
  const f = xs.filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
  return f.length ? f.reduce((a, b) => a + b, 0) / f.length : null;
}

/** Report blocks of the likelihood and the three factors. */
export function factorBlocks(r: CompareResults): ReportBlock[] {
  const runs = r.runs.filter((x) => ev(x));
  if (!runs.length) return [];
  const kernels = r.kernels.map((k) => k.name);
  const first = (name: string) => runs.find((x) => x.label === name);
  const likeRows = kernels.map((k) => {
    const l = ev(first(k)!)?.likelihood;
    return [k, l?.quadrature?.nats ?? null, l?.quadrature?.se ?? null, l?.monteCarlo?.nats ?? null, l?.monteCarlo?.se ?? null, l?.agreement?.z ?? null, l?.quadrature?.prior ?? null, l?.quadrature ? Math.exp(l.quadrature.nats) : null];
  });
  const lossCurve: Series[] = kernels.map((k) => {
    const c = ev(first(k)!)?.likelihood?.curve;
    return { name: k, mode: 'both', points: c ? c.t.map((t, i) => [t, c.integrand[i]!] as [number, number]) : [] };
  });
  const entropy: Series[] = kernels.map((k) => ({ name: k, mode: 'both', points: (ev(first(k)!)?.factors.posterior?.points ?? []).map((p) => [p.t, p.entropy] as [number, number]) }));
  const varianceOverTraining: Series[] = kernels.map((k) => ({ name: k, mode: 'both', points: (ev(first(k)!)?.factors.variance ?? []).map((v) => [v.step, v.freshX0.gradient.bNoise ?? NaN] as [number, number]) }));
  const lossSd: BarSeries[] = [
    { name: 'from t and x_t (x0 fixed)', values: kernels.map((k) => mean(runs.filter((x) => x.label === k).map((x) => lastVariance(x)?.fixedX0?.loss.sd))) },
    { name: 'total (x0 fresh)', values: kernels.map((k) => mean(runs.filter((x) => x.label === k).map((x) => lastVariance(x)?.freshX0.loss.sd))) },
  ];
  const times = [...new Set(runs.flatMap((x) => (ev(x)?.factors.repair?.repair ?? []).map((p) => p.t)))].sort((a, b) => a - b);
  const repair: BarSeries[] = times.map((t) => ({
    name: `restored, from t = ${t}`,
    values: kernels.map((k) => mean(runs.filter((x) => x.label === k).map((x) => ev(x)?.factors.repair?.repair.find((p) => p.t === t)?.restored))),
    errors: kernels.map((k) => ev(first(k)!)?.factors.repair?.repair.find((p) => p.t === t)?.restoredSe ?? null),
  }));
  const drift: Series[] = kernels.flatMap((k) => {
    const d = ev(first(k)!)?.factors.repair?.drift ?? [];
    const c = d[Math.floor(d.length / 2)];
    if (!c) return [];
    // A statistic of x_s alone (the mean log unigram probability of its tokens): zero drift in
    // expectation under the exact reverse process (docs/eval.md); `differ` is not (the sampler does not know x0).
    const st = c.frequency ?? c.masked;
    if (!st) return [];
    return [{ name: k, mode: 'line' as const, points: c.s.map((s, i) => [s, st.value[i]! - st.expected[i]!] as [number, number]) }];
  });
  return [
    { kind: 'heading', text: 'Likelihood' },
    {
      kind: 'table',
      caption: 'Test NELBO (nats/token, with the prior term): Gauss-Legendre quadrature in sqrt(t) and stratified Monte Carlo on the same rows',
      columns: ['kernel', 'quadrature', '± s.e.', 'Monte Carlo', '± s.e.', 'z (difference)', 'prior term', 'PPL bound'],
      rows: likeRows,
      best: { quadrature: 'min', 'PPL bound': 'min' },
      note: 'Standard errors are across held-out rows. |z| below 2 means the two estimators agree within their error.',
    },
    { kind: 'plot', title: 'The ELBO integrand over t (nats/token): where each kernel pays its likelihood', x: { label: 't' }, y: { label: 'loss at t' }, series: lossCurve },
    { kind: 'heading', text: 'The three factors' },
    { kind: 'plot', title: 'Asymptotic bias: entropy of the model\'s posterior prediction over t (nats)', x: { label: 't' }, y: { label: 'entropy of p_hat(x0 | x_t)' }, series: entropy, note: 'On real data the exact posterior is unknown: this is the trained model\'s estimate of it (docs/eval.md). The synthetic source below has the exact one.' },
    { kind: 'bars', title: 'Optimisation variance: standard deviation of the training loss at fixed weights', groups: kernels, series: lossSd, y: { label: 'loss s.d. (nats/token)', min: 0 }, note: 'At the last checkpoint, over minibatches of the training batch shape.' },
    { kind: 'plot', title: 'Gradient noise scale B_noise = tr(Σ) / |G|² over training', x: { label: 'step' }, y: { label: 'B_noise (examples)', log: true }, series: varianceOverTraining, note: 'McCandlish et al. (2018): the batch size beyond which a larger batch stops helping; noisier kernels have larger values.' },
    { kind: 'bars', title: 'Exposure bias and repair: share of m corrupted tokens restored by the sampler started at t', groups: kernels, series: repair, y: { label: 'restored', min: 0, max: 1 } },
    { kind: 'plot', title: 'Drift of the visited states from the forward marginals: mean log unigram probability of x_s, minus its value under q_s', x: { label: 's (sampler time)' }, y: { label: 'observed - expected (nats)' }, series: drift, note: 'From the middle start time. Zero in expectation for the exact reverse of the forward process (a statistic of x_s alone); the sign says whether the visited states hold more frequent (positive) or rarer tokens than the forward process has at s.' },
  ];
}
