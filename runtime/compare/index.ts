// Public face of the kernel comparison (docs/compare.md):
//
//   const r = await compare('specs/examples/paper.json', { out: 'experiments/paper' });
//
// writes OUT/runs/KERNEL-sSEED (each a training run), OUT/results.json, OUT/results.md and
// OUT/report.html (self-contained). Rerunning reuses finished runs and resumes unfinished ones.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '../io/index.ts';
import { loadExperiment, planExperiment, type Plan } from './spec.ts';
import { runComparison, type CompareHooks, type CompareResults } from './run.ts';
import { resultsHtml, resultsMarkdown } from './report.ts';

export { planExperiment, loadExperiment, type Plan, type PlannedRun, type ExperimentSpec, type KernelEntry } from './spec.ts';
export { runComparison, BASIN_GRAPH, type CompareResults, type RunResult, type SamplingResult, type CompareHooks } from './run.ts';
export { mainTable, resultsMarkdown, resultsHtml } from './report.ts';

export interface CompareOptions extends CompareHooks {
  /** Output folder (default experiments/NAME). */
  out?: string;
  /** --set PATH=VALUE overrides of the experiment document. */
  sets?: readonly string[];
  /** Where relative paths of an object spec resolve (default: the cwd). */
  baseDir?: string;
}

export interface CompareOutput {
  out: string;
  results: CompareResults;
  files: { results: string; markdown: string; report: string };
}

/** Runs an experiment (a path or a parsed document) and writes its results and report. */
export async function compare(experiment: string | object, o: CompareOptions = {}): Promise<CompareOutput> {
  const plan: Plan = typeof experiment === 'string' ? loadExperiment(experiment, o.sets ?? []) : planExperiment(experiment, { baseDir: o.baseDir ?? process.cwd() });
  const out = resolve(o.out ?? join('experiments', plan.spec.name));
  mkdirSync(out, { recursive: true });
  const hooks: CompareHooks = { ...o };
  if (hooks.evaluate === undefined) {
    const { evaluateRun } = await import('./evaluate.ts');
    hooks.evaluate = evaluateRun;
  }
  if (hooks.synthetic === undefined) {
    const { syntheticDecomposition } = await import('./synthetic-run.ts');
    hooks.synthetic = syntheticDecomposition;
  }
  const results = await runComparison(plan, out, hooks);
  const files = { results: join(out, 'results.json'), markdown: join(out, 'results.md'), report: join(out, 'report.html') };
  await writeFileAtomic(files.results, JSON.stringify(results, null, 2) + '\n');
  await writeFileAtomic(files.markdown, resultsMarkdown(results));
  await writeFileAtomic(files.report, resultsHtml(results));
  return { out, results, files };
}
