// Public face of evaluation: generation-quality and diversity metrics (metrics/) and the
// self-contained HTML comparison report (report/). docs/eval.md.
export * from './metrics/index.ts';
export * from './report/index.ts';
