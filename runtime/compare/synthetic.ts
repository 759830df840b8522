// The exact error decomposition on the synthetic source, in the comparison's report.
import type { ReportBlock } from '../eval/report/index.ts';
import type { CompareResults } from './run.ts';

export function syntheticBlocks(_r: CompareResults): ReportBlock[] {
  return [];
}
