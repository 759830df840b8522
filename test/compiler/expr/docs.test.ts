import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { FUNCTIONS, GRID_POINTS, VAR_DOMAIN } from '../../../compiler/expr/index.ts';

const doc = readFileSync(new URL('../../../docs/expressions.md', import.meta.url), 'utf8');

test('docs/expressions.md lists every function with its arity and the domain in compiler/expr/functions.ts', () => {
  const rows = new Map<string, string[]>();
  for (const line of doc.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    const fn = /^`(\w+)`$/.exec(cells[1] ?? '')?.[1];
    if (fn && cells.length === 5) rows.set(fn, cells.slice(2, 4));
  }
  for (const [fn, info] of Object.entries(FUNCTIONS)) {
    const row = rows.get(fn);
    assert.ok(row, `docs/expressions.md has no row for ${fn}`);
    assert.is(row![0], info.arity === 'many' ? '1 or more' : String(info.arity), `${fn} arity`);
    assert.is(row![1], info.domain, `${fn} domain`);
  }
});

test('docs/expressions.md states the domains and grid size the code uses', () => {
  assert.ok(doc.includes(`evaluated at ${GRID_POINTS} points`));
  assert.equal(VAR_DOMAIN.t, [0, 1]);
  assert.ok(/\| `t` \| current time \| \[0, 1\] \|/.test(doc));
});

test.run();
