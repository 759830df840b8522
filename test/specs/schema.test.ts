import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { assertValid, checkAgainst, schemaPath, SpecValidationError } from '../../specs/validate.ts';
import { all } from '../helpers/ir.ts';
import * as X from '../../compiler/expr/build.ts';
import type { Expr } from '../../specs/types/kernel.ts';

test('the hand-built IR of every shipped kernel matches specs/kernel.schema.json', () => {
  for (const [name, make] of Object.entries(all)) {
    const issues = checkAgainst('kernel', make());
    assert.equal(issues, [], name);
  }
});

test('every shipped schema is a valid JSON Schema (2020-12): the runtime compiles them without that check', async () => {
  const { Ajv2020 } = await import('ajv/dist/2020.js');
  const { readdirSync, readFileSync } = await import('node:fs');
  const { dirname, join } = await import('node:path');
  const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, discriminator: true });
  const dir = dirname(schemaPath('kernel'));
  const files = readdirSync(dir).filter((f) => f.endsWith('.schema.json'));
  assert.ok(files.length >= 4, files.join(', '));
  for (const f of files) {
    const ok = ajv.validateSchema(JSON.parse(readFileSync(join(dir, f), 'utf8')));
    assert.ok(ok, `${f}: ${JSON.stringify(ajv.errors)}`);
  }
  // And a schema that breaks the meta-schema is caught by this check.
  assert.not.ok(ajv.validateSchema({ type: 'object', properties: { x: { type: 'strng' } } }));
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

test('deeply nested expressions validate (the Expr union is discriminated by k, not tried branch by branch)', () => {
  // Without the discriminator, ajv's allErrors oneOf re-validated each subtree under every
  // branch: exponential in depth (a 22-deep sum took 24 s). 300 levels must be immediate.
  const spec = all.masking();
  let e: Expr = X.t;
  for (let i = 0; i < 300; i++) e = X.add(e, X.mul(i, X.t));
  spec.channels[0].share = e;
  assert.equal(checkAgainst('kernel', spec), []);
  spec.channels[0].share = X.add(e, { k: 'binary', op: '%', a: X.t, b: X.t } as unknown as Expr);
  const issues = checkAgainst('kernel', spec);
  assert.ok(issues.some((i) => i.path.endsWith('.b.op') && /must be one of/.test(i.message)), JSON.stringify(issues));
});

test('specs/types is generated from the schemas and up to date', () => {
  execFileSync(process.execPath, ['--import', 'tsx', 'scripts/gen-types.ts', '--check'], { stdio: 'pipe' });
});

test.run();
