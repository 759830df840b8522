// The comparison's outputs from results.json: the Markdown table (results.md) and the HTML report
// (report.html, runtime/eval/report's renderer): the main table, training and validation curves,
// gen-PPL against entropy across step counts, the three factors, the error decomposition on the
// synthetic source, and samples side by side, with the settings that produced them.
import { renderReport, type ReportBlock, type Series } from '../eval/report/index.ts';
import type { CompareResults, RunResult } from './run.ts';
import { factorBlocks, factorColumns } from './factors.ts';
import { syntheticBlocks } from './synthetic.ts';

function mean(xs: readonly number[]): number | null {
  const f = xs.filter((x) => Number.isFinite(x));
  return f.length ? f.reduce((a, b) => a + b, 0) / f.length : null;
}

function byKernel(r: CompareResults): { name: string; runs: RunResult[] }[] {
  return r.kernels.map((k) => ({ name: k.name, runs: r.runs.filter((x) => x.label === k.name) }));
}

function stepsOf(r: CompareResults): number[] {
  return [...new Set(r.runs.flatMap((x) => (x.sampling ?? []).map((s) => s.steps)))].sort((a, b) => a - b);
}

function samplingAt(runs: RunResult[], steps: number, f: (q: NonNullable<RunResult['sampling']>[number]) => number | null): number | null {
  return mean(runs.map((x) => x.sampling?.find((s) => s.steps === steps)).filter((s) => s !== undefined).map((s) => f(s!) ?? NaN));
}

/** The main table: one row per kernel (means over seeds). */
export function mainTable(r: CompareResults): { columns: string[]; rows: (string | number | null)[][] } {
  const steps = stepsOf(r);
  const last = steps[steps.length - 1];
  const columns = [
    'kernel', 'val NELBO (nats/tok)', 'PPL bound', ...factorColumns(r).map((c) => c.title),
    ...steps.map((s) => `gen-PPL @${s}`), ...(last ? [`entropy @${last}`, `basin @${last}`, `self-BLEU @${last}`] : []), 'train tok/s',
  ];
  const rows = byKernel(r).map(({ name, runs }) => {
    const val = mean(runs.map((x) => x.validation?.nats ?? NaN));
    return [
      name, val, val === null ? null : Math.exp(val), ...factorColumns(r).map((c) => mean(runs.map((x) => c.value(x) ?? NaN))),
      ...steps.map((s) => samplingAt(runs, s, (q) => q.quality.genPpl)),
      ...(last ? [samplingAt(runs, last, (q) => q.quality.entropy), samplingAt(runs, last, (q) => q.quality.basin), samplingAt(runs, last, (q) => q.quality.selfBleu)] : []),
      mean(runs.map((x) => x.tokensPerSec)),
    ];
  });
  if (r.data && last) {
    const d = r.data;
    rows.push(['held-out data', null, null, ...factorColumns(r).map(() => null), ...steps.map(() => d.genPpl), d.entropy, d.basin, d.selfBleu, null]);
  }
  const ar = r.runs.filter((x) => x.label === 'ar');
  if (ar.length) {
    const v = mean(ar.map((x) => x.validation?.nats ?? NaN));
    rows.push(['AR reference (exact NLL)', v, v === null ? null : Math.exp(v), ...factorColumns(r).map(() => null), ...steps.map(() => null), ...(last ? [null, null, null] : []), mean(ar.map((x) => x.tokensPerSec))]);
  }
  return { columns, rows };
}

function fmt(x: string | number | null): string {
  if (x === null) return '-';
  if (typeof x === 'string') return x;
  const a = Math.abs(x);
  return a !== 0 && (a >= 1e5 || a < 1e-3) ? x.toExponential(2) : a >= 100 ? x.toFixed(0) : a >= 10 ? x.toFixed(1) : x.toFixed(3);
}

/** results.md: the main table and the settings, as Markdown. */
export function resultsMarkdown(r: CompareResults): string {
  const t = mainTable(r);
  return [
    `# ${r.experiment}: kernel comparison`,
    '',
    ...Object.entries(r.settings).map(([k, v]) => `- ${k}: ${v}`),
    `- dlmk ${r.dlmkVersion} on ${r.adapter}, ${new Date(r.created).toUTCString()}, ${Math.round(r.seconds)} s`,
    '',
    `| ${t.columns.join(' | ')} |`,
    `| ${t.columns.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`,
    ...t.rows.map((row) => `| ${row.map(fmt).join(' | ')} |`),
    '',
    'NELBO: validation bound with the prior term (nats/token; lower is better). gen-PPL: token-level perplexity of samples under the AR reference trained on the same data, ' +
      'always to be read with the entropy next to it (low gen-PPL with low entropy is collapse). basin: share of sampled tokens with a graph neighbour elsewhere in the same sample.',
    '',
  ].join('\n');
}

/** report.html. */
export function resultsHtml(r: CompareResults): string {
  const kernels = byKernel(r);
  const t = mainTable(r);
  const curves = (pick: (x: RunResult) => [number, number][]): Series[] =>
    [...kernels, { name: 'ar', runs: r.runs.filter((x) => x.label === 'ar') }].flatMap(({ name, runs }) => runs.map((x) => ({ name: runs.length > 1 ? `${name} s${x.seed}` : name, points: pick(x), mode: 'both' as const })));
  const steps = stepsOf(r);
  const tradeoff: Series[] = kernels.map(({ name, runs }) => ({
    name,
    mode: 'both',
    points: steps.map((s) => [samplingAt(runs, s, (q) => q.quality.entropy) ?? NaN, samplingAt(runs, s, (q) => q.quality.genPpl) ?? NaN] as [number, number]),
    labels: steps.map((s) => `${s} steps`),
  }));
  if (r.data) tradeoff.push({ name: 'held-out data', mode: 'markers', points: [[r.data.entropy, r.data.genPpl ?? NaN]], labels: ['held-out text'] });
  const blocks: ReportBlock[] = [
    { kind: 'heading', text: 'Results' },
    { kind: 'table', caption: 'Each kernel with the same model, data and budget (means over seeds)', columns: t.columns, rows: t.rows, best: Object.fromEntries(t.columns.filter((c) => /NELBO|PPL bound|gen-PPL/.test(c)).map((c) => [c, 'min' as const])), note: 'NELBO and the PPL bound: lower is better. gen-PPL must be read with entropy: a sampler that collapses to a few words has a low gen-PPL and a low entropy.' },
    { kind: 'heading', text: 'Training' },
    { kind: 'plot', title: 'Training loss (the kernel\'s ELBO integrand, nats/token)', x: { label: 'step' }, y: { label: 'loss' }, series: curves((x) => x.curve.train) },
    { kind: 'plot', title: 'Validation NELBO (nats/token, with the prior term; AR: exact NLL)', x: { label: 'step' }, y: { label: 'nats/token' }, series: curves((x) => x.curve.val) },
    { kind: 'heading', text: 'Quality against diversity' },
    { kind: 'plot', title: 'Generative perplexity against per-sample entropy, across sampling step counts', x: { label: 'unigram entropy of a sample (nats)' }, y: { label: 'gen-PPL (AR reference)', log: true }, series: tradeoff, note: 'Each point is one step count (hover for it). Down and to the right is better: lower perplexity without losing diversity.' },
    {
      kind: 'bars',
      title: 'The semantic basin: tokens with a graph neighbour elsewhere in the same sample',
      groups: [...kernels.map((k) => k.name), ...(r.data ? ['held-out data'] : [])],
      series: steps.map((s) => ({ name: `${s} steps`, values: [...kernels.map(({ runs }) => samplingAt(runs, s, (q) => q.quality.basin)), ...(r.data ? [r.data.basin] : [])] })),
      y: { label: 'share of tokens', min: 0 },
      note: 'The same reference graph (k = 10, bandwidth 0.3 on the corpus vectors) for every kernel. The data\'s own rate is the baseline: a sampler stuck in a basin repeats neighbours far more often.',
    },
    ...factorBlocks(r),
    ...syntheticBlocks(r),
    { kind: 'heading', text: 'Samples' },
    ...steps.slice(-1).map((s): ReportBlock => ({
      kind: 'samples',
      title: `Samples at ${s} steps (seed ${r.runs[0]?.seed ?? 0})`,
      columns: kernels.map(({ name, runs }) => ({ name, texts: runs[0]?.sampling?.find((q) => q.steps === s)?.examples ?? [] })),
    })),
  ];
  return renderReport({
    title: `${r.experiment}: kernel comparison`,
    subtitle: 'masking, uniform, semantic and SemDLM+ kernels with one model, one dataset and one budget',
    settings: { ...r.settings, dlmk: `${r.dlmkVersion} on ${r.adapter}`, created: r.created, time: `${Math.round(r.seconds)} s` },
    blocks,
    footer: 'Generated by dlmk compare; results.json holds every number shown here.',
  });
}
