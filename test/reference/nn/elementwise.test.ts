// The GELU and SiLU references' derivatives against central finite differences, including the
// tails where the tanh form cancels in floating point.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { gelu, geluGrad, silu, siluGrad } from '../../../reference/nn/elementwise.ts';

test('GELU and SiLU derivatives match finite differences on [-12, 12]', () => {
  for (let x = -12; x <= 12; x += 0.37) {
    const h = 1e-6;
    for (const [name, f, df] of [['gelu', gelu, geluGrad], ['silu', silu, siluGrad]] as const) {
      const fd = (f(x + h) - f(x - h)) / (2 * h);
      assert.ok(Math.abs(fd - df(x)) <= 1e-7 + 1e-6 * Math.abs(df(x)), `${name}'(${x}) = ${df(x)}, finite differences ${fd}`);
    }
  }
});

test('GELU matches its tanh definition and its limits', () => {
  for (const x of [-3, -1, -0.1, 0, 0.5, 2, 4]) {
    const want = 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
    assert.ok(Math.abs(gelu(x) - want) < 1e-15);
  }
  assert.ok(Math.abs(gelu(30) - 30) < 1e-12 && Math.abs(gelu(-30)) < 1e-12);
});

test.run();
