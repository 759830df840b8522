/** A spec and its inputs that the reference cannot evaluate (a graph or distribution missing, tables needed, ...). */
export class ReferenceKernelError extends Error {
  override readonly name = 'ReferenceKernelError';
}
