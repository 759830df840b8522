// "Did you mean": optimal-string-alignment distance and the typo threshold.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { closest, didYouMean, editDistance } from '../../grammar/index.ts';

test('edit distance counts insertions, deletions, substitutions and swaps of neighbours', () => {
  assert.is(editDistance('', ''), 0);
  assert.is(editDistance('mask', ''), 4);
  assert.is(editDistance('mask', 'mask'), 0);
  assert.is(editDistance('msk', 'mask'), 1);
  assert.is(editDistance('loglinaer', 'loglinear'), 1);
  assert.is(editDistance('kitten', 'sitting'), 3);
  assert.is(editDistance('ab', 'ba'), 1);
});

test('closest: within a typo distance, ties broken alphabetically, case differences always close', () => {
  assert.is(closest('ancestrl', ['ancestral', 'tau_leap', 'remask']), 'ancestral');
  assert.is(closest('zeta', ['gamma', 'beta']), 'beta');
  assert.is(closest('xyz', ['gamma', 'beta']), undefined);
  assert.is(closest('Mask', ['mask']), 'mask');
  assert.is(closest('ab', ['ac', 'ad']), 'ac');
  assert.is(closest('mask', ['mask']), undefined, 'the word itself is no suggestion');
  assert.is(didYouMean('top_pp', ['top_p', 'top_k']), "; did you mean 'top_p'?");
  assert.is(didYouMean('qqqq', ['top_p']), '');
});

test.run();
