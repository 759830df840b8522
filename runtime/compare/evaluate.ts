// The evaluation protocol of a comparison run (runtime/eval evaluate(), integrated next).
import type { LoadedRun } from '../train/index.ts';
export async function evaluateRun(_run: LoadedRun, _options: Record<string, unknown>): Promise<unknown> {
  return undefined;
}
