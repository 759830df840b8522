// Public face of the report renderer: a typed document in, one self-contained HTML page out. docs/eval.md, "Report".
export { renderReport } from './render.ts';
export { ReportError, type ReportDocument, type ReportBlock, type Axis, type Series, type BarSeries, type Cell } from './model.ts';
export { formatNumber } from './format.ts';
export { PALETTE } from './palette.ts';
