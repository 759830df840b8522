// The evaluation protocol of a comparison run: runtime/eval evaluate() with the experiment's
// `evaluation` options (the same for every kernel, so the numbers are comparable).
import { evaluate, type EvalRecord, type EvaluateOptions } from '../eval/evaluate.ts';
import type { LoadedRun } from '../train/index.ts';

export async function evaluateRun(run: LoadedRun, options: Record<string, unknown>): Promise<EvalRecord> {
  return evaluate(run, options as EvaluateOptions);
}
