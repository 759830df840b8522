// metrics.jsonl of a run: one JSON object a line, `step` first. Training lines (loss, lr, gradient
// norm, tokens/s) every log.every steps; validation lines with `val`. On resume the file is cut
// back to the checkpoint's step, so that an interrupted and an uninterrupted run end with the same
// lines (up to the wall-clock fields).
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../io/atomic.ts';

export interface MetricLine {
  step: number;
  [key: string]: unknown;
}

export class MetricsLog {
  constructor(readonly path: string) {}

  /** Every line with step <= `step` (lines that do not parse are dropped: a torn last line from a kill). */
  read(step = Infinity): MetricLine[] {
    if (!existsSync(this.path)) return [];
    const out: MetricLine[] = [];
    for (const line of readFileSync(this.path, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        const o = JSON.parse(line) as MetricLine;
        if (typeof o.step === 'number' && o.step <= step) out.push(o);
      } catch {
        // A line cut by a crash: the run rewrites from its checkpoint.
      }
    }
    return out;
  }

  /** Keeps the lines up to `step` (inclusive), atomically. */
  async truncate(step: number): Promise<void> {
    const kept = this.read(step);
    await writeFileAtomic(this.path, kept.map((l) => JSON.stringify(l) + '\n').join(''));
  }

  append(line: MetricLine): void {
    appendFileSync(this.path, JSON.stringify(line) + '\n');
  }
}
