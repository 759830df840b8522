// The three factors and the test likelihood in the comparison's table and report, from each run's
// `evaluation` record (runtime/eval evaluate()).
import type { ReportBlock } from '../eval/report/index.ts';
import type { CompareResults, RunResult } from './run.ts';

export interface FactorColumn {
  title: string;
  value: (run: RunResult) => number | null;
}

/** Columns of the main table taken from the evaluation records. */
export function factorColumns(_r: CompareResults): FactorColumn[] {
  return [];
}

/** Report blocks of the factors. */
export function factorBlocks(_r: CompareResults): ReportBlock[] {
  return [];
}
