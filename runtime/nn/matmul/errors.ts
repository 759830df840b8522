/** A matmul call that cannot be run as given; `field` names the argument at fault. */
export class MatmulError extends Error {
  override readonly name = 'MatmulError';
  constructor(message: string, readonly field: string) {
    super(`matmul: ${field}: ${message}`);
  }
}
