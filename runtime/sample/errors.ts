// The sampler's errors: a value with a clear message (and what it is about), never a stack trace
// for the user. `where` names the option or input at fault ('steps', 'clamp[3]', 'predictor').
export class SampleError extends Error {
  override name = 'SampleError';
  constructor(
    message: string,
    readonly where?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
