/** An op called with arguments it cannot run: `op` names the op, `field` the argument at fault. */
export class NnError extends Error {
  override readonly name = 'NnError';
  constructor(readonly op: string, readonly field: string, detail: string) {
    super(`${op}: ${field}: ${detail}`);
  }
}
