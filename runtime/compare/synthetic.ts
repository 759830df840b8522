// The exact error decomposition on the synthetic source, in the comparison's report (one table and
// one bar chart; docs/eval.md, "Synthetic source and the error decomposition").
import type { ReportBlock } from '../eval/report/index.ts';
import type { CompareResults } from './run.ts';
import type { SyntheticResults } from './synthetic-run.ts';

export function syntheticBlocks(r: CompareResults): ReportBlock[] {
  const s = r.synthetic as SyntheticResults | undefined;
  if (!s?.kernels.length) return [];
  const ks = s.kernels;
  const P = (k: (typeof ks)[number]) => k.decomposition.parts;
  const difficulty: ReportBlock[] = ks.some((k) => k.difficulty?.length)
    ? [
        { kind: 'plot', title: 'Asymptotic bias, exact: entropy of the x0-prediction target p(x0^i | x_t^{-i}) on the synthetic source (nats)', x: { label: 't' }, y: { label: 'entropy' }, series: ks.map((k) => ({ name: k.name, mode: 'both' as const, points: k.difficulty.map((d) => [d.t, d.targetEntropy] as [number, number]) })) },
        { kind: 'plot', title: 'The irreducible loss at t: the ELBO integrand of the exact denoiser (nats/token)', x: { label: 't' }, y: { label: 'loss floor' }, series: ks.map((k) => ({ name: k.name, mode: 'both' as const, points: k.difficulty.map((d) => [d.t, d.lossFloor] as [number, number]) })), note: 'A harder posterior target means a higher floor that no model can go below; the gap between a trained model and this floor is its approximation error.' },
      ]
    : [];
  return [
    { kind: 'heading', text: 'The exact decomposition on a synthetic source' },
    {
      kind: 'text',
      text:
        `A Markov source over ${String(s.source['V'])} tokens in ${String(s.source['clusters'])} semantic clusters (seed ${String(s.source['seed'])}; sequences of ${s.L}, entropy ${s.entropyRate.toFixed(4)} nats/token) whose posteriors are computed exactly. ` +
        `Each kernel is trained on it with the same model and budget; its sampler (${s.steps} steps, no rules) is compared with the exact oracle denoiser and with the exact reverse process. ` +
        'F is the cross-entropy rate of a law under the true source; the parts telescope, so they sum to the total exactly: approximation = F(model) - F(oracle), sampling = F(oracle) - F(exact reverse), forward-kernel mismatch = F(exact reverse) - F(data). ' +
        'F can fall below the data\'s entropy when a sampler concentrates on likely sequences: read it with the entropy of the samples.',
    },
    {
      kind: 'table',
      caption: `Decomposition of F(model) - H(data), nats/token (${s.samples} samples per law, standard errors from paired draws)`,
      columns: ['kernel', 'val NELBO', 'approximation', '± s.e.', 'sampling', '± s.e.', 'mismatch', '± s.e.', 'total', '± s.e.', 'entropy (model)', 'entropy (data)', 'bigram TV (model)'],
      rows: ks.map((k) => [
        k.name, k.validation, P(k).approximation.value, P(k).approximation.se, P(k).sampling.value, P(k).sampling.se, P(k).mismatch.value, P(k).mismatch.se,
        P(k).total.value, P(k).total.se, k.decomposition.laws.model?.entropy ?? null, k.decomposition.laws.data.entropy, k.decomposition.laws.model?.bigramTV ?? null,
      ]),
      best: { total: 'min', approximation: 'min' },
    },
    {
      kind: 'bars',
      title: 'Where each kernel\'s generation error comes from (nats/token)',
      groups: ks.map((k) => k.name),
      series: (['approximation', 'sampling', 'mismatch'] as const).map((part) => ({ name: part, values: ks.map((k) => P(k)[part].value), errors: ks.map((k) => P(k)[part].se) })),
      y: { label: 'nats/token' },
      note: 'approximation: the trained model against the exact denoiser; sampling: finitely many steps against the exact reverse process; mismatch: the reverse process from the prior against the data (a kernel that does not forget x0 by t = 1).',
    },
    ...difficulty,
  ];
}
