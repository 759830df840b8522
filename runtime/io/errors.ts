/**
 * A checkpoint file that cannot be used: `file` names it (as given, or relative to the checkpoint
 * directory), `tensor` the tensor at fault when there is one, `reason` says what is wrong.
 */
export class CheckpointError extends Error {
  override readonly name = 'CheckpointError';
  constructor(readonly file: string, readonly reason: string, readonly tensor?: string) {
    super(`${file}${tensor !== undefined ? `: tensor '${tensor}'` : ''}: ${reason}`);
  }
}
