// The one error type of the metrics: bad input (no samples, a token outside 0..V-1, a missing
// graph or NLLs in the context). Plain messages; the CLI prints them as one paragraph.

export class MetricError extends Error {
  override readonly name = 'MetricError';
  constructor(
    /** The metric that refused its input, e.g. 'self-bleu'. */
    readonly metric: string,
    message: string,
  ) {
    super(`${metric}: ${message}`);
  }
}
