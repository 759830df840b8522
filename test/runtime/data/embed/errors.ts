// The embedding tests' error assertions: an EmbeddingsError whose message contains a given text.
import * as assert from 'uvu/assert';
import { EmbeddingsError } from '../../../../runtime/data/embeddings.ts';

function check(err: unknown, text: string): void {
  assert.instance(err, EmbeddingsError);
  assert.ok((err as Error).message.includes(text), `message "${(err as Error).message}" lacks "${text}"`);
}

export function throwsWith(f: () => unknown, text: string): void {
  try {
    f();
  } catch (err) {
    check(err, text);
    return;
  }
  assert.unreachable(`expected an error mentioning "${text}"`);
}

export async function rejectsWith(f: () => Promise<unknown>, text: string): Promise<void> {
  try {
    await f();
  } catch (err) {
    check(err, text);
    return;
  }
  assert.unreachable(`expected an error mentioning "${text}"`);
}
