// Every broken kernel in test/fixtures/invalid produces exactly the diagnostics its `// expect:`
// lines state (line, column, severity, message), and no spec. See that folder's README.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkKernel } from '../../compiler/index.ts';

const dir = fileURLToPath(new URL('../fixtures/invalid', import.meta.url));
const files = readdirSync(dir).filter((f) => f.endsWith('.kernel')).sort();

test('there are at least 30 broken kernels, with syntax and semantic errors, several with many', () => {
  assert.ok(files.length >= 30, `${files.length} fixtures`);
  const texts = files.map((f) => readFileSync(join(dir, f), 'utf8'));
  const expects = texts.map((t) => (t.match(/^\/\/ expect: /gm) ?? []).length);
  assert.ok(expects.every((n) => n > 0), 'every fixture states what it expects');
  assert.ok(expects.filter((n) => n >= 3).length >= 5, 'several fixtures with several errors');
  const results = texts.map((t) => checkKernel(t).diagnostics);
  assert.ok(results.filter((d) => d.some((x) => x.code === 'syntax')).length >= 10, 'syntax errors');
  assert.ok(results.filter((d) => d.some((x) => x.code !== 'syntax' && x.severity === 'error')).length >= 20, 'semantic errors');
  assert.ok(results.some((d) => d.some((x) => x.code === 'syntax') && d.some((x) => x.code !== 'syntax' && x.severity === 'error')), 'both in one file');
});

for (const f of files) {
  test(f, () => {
    const text = readFileSync(join(dir, f), 'utf8');
    const expected = [...text.matchAll(/^\/\/ expect: (\d+):(\d+) (error|warning): (.*)$/gm)].map((m) => `${m[1]}:${m[2]} ${m[3]}: ${m[4]}`);
    const sets: Record<string, string> = {};
    for (const m of text.matchAll(/^\/\/ set: ([A-Za-z_]\w*)=(.*)$/gm)) sets[m[1]!] = m[2]!;
    const path = `test/fixtures/invalid/${f}`;
    const r = checkKernel(text, { path, params: sets });
    const got = r.diagnostics.map((d) => `${d.line}:${d.column} ${d.severity}: ${d.message}`);
    assert.equal(got, expected);
    assert.is(r.spec, undefined);
    assert.ok(r.diagnostics.every((d) => d.file === path));
  });
}

test.run();
