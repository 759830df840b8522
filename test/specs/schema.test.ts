import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { assertValid, checkAgainst, SpecValidationError } from '../../specs/validate.ts';
import { all } from '../helpers/ir.ts';

test('the hand-built IR of every shipped kernel matches specs/kernel.schema.json', () => {
  for (const [name, make] of Object.entries(all)) {
    const issues = checkAgainst('kernel', make());
    assert.equal(issues, [], name);
  }
});

test('a wrong spec is refused with JSON paths', () => {
  const bad = JSON.parse(JSON.stringify(all.semdlmPlus())) as Record<string, unknown>;
  (bad['channels'] as Array<Record<string, unknown>>)[1]!['operator'] = { op: 'teleport' };
  delete bad['hops'];
  bad['extra'] = 1;
  try {
    assertValid('kernel', bad, 'kernel spec');
    assert.unreachable();
  } catch (err) {
    assert.instance(err, SpecValidationError);
    const paths = (err as SpecValidationError).issues.map((i) => `${i.path} ${i.message}`);
    assert.ok(paths.some((p) => p.startsWith('$.channels[1].operator')), paths.join('\n'));
    assert.ok(paths.some((p) => p === "$ is missing the property 'hops'"), paths.join('\n'));
    assert.ok(paths.some((p) => p === "$ has an unknown property 'extra'"), paths.join('\n'));
  }
});

test('specs/types is generated from the schemas and up to date', () => {
  execFileSync(process.execPath, ['--import', 'tsx', 'scripts/gen-types.ts', '--check'], { stdio: 'pipe' });
});

test.run();
