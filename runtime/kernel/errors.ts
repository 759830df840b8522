/** A kernel the runtime cannot run as asked (missing graph or distribution, bad sizes), with the spec path or argument it concerns. */
export class KernelRuntimeError extends Error {
  override readonly name = 'KernelRuntimeError';
  constructor(message: string, readonly path?: string) {
    super(path ? `${message} (at ${path})` : message);
  }
}
