// The synthetic-source decomposition of a comparison (runtime/eval/synthetic, integrated next).
import type { CompareHooks } from './run.ts';
import type { Plan } from './spec.ts';
export async function syntheticDecomposition(_plan: Plan, _out: string, _hooks: CompareHooks): Promise<unknown> {
  return undefined;
}
