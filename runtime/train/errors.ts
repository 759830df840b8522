// Errors of a training run: one clear paragraph each, for the CLI to print as it is.
/** A run that cannot start or continue; `code` is the process exit code the CLI uses. */
export class TrainError extends Error {
  override readonly name = 'TrainError';
  constructor(message: string, readonly code = 1) {
    super(message);
  }
}

/** Training stopped at a non-finite loss or gradient; the last good checkpoint is left intact. */
export class NonFiniteError extends TrainError {
  constructor(readonly step: number, readonly what: string, readonly lastGood: string | null) {
    super(
      `training stopped at step ${step}: the ${what} is not finite (NaN or Inf). ` +
        (lastGood ? `The last good checkpoint, ${lastGood}, is intact; ` : 'No checkpoint was written yet; ') +
        'lower the learning rate (optimizer.lr) or check the data, then resume with --resume.',
    );
  }
}
