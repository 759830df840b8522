// The embedding reference's table gradient against central finite differences.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { embeddingBackward, embeddingForward } from '../../../reference/nn/embedding.ts';
import { dot, maxRelErr, numericGrad } from '../../../reference/nn/gradcheck.ts';
import { f64, randn } from '../../runtime/nn/helpers.ts';

test('embedding: dtable matches finite differences (repeated and out-of-vocabulary ids)', () => {
  const [V, D] = [5, 3];
  const ids = [0, 3, 3, 1, 9, 3, 0];
  const table = f64(randn(V * D, 1));
  const w = f64(randn(ids.length * D, 2));
  const loss = () => dot(w, embeddingForward(ids, table, V, D));
  assert.ok(maxRelErr(embeddingBackward(ids, w, V, D), numericGrad(loss, table), 1e-8) < 1e-7);
});

test.run();
