// docs/language.md is the reference the grammar matches: every ```kernel block compiles without
// errors or warnings, every ```kernel-error block fails, and the ```text block after it is the
// compiler's exact output. Its tables name every built-in schedule and predictor option.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { checkKernel, formatDiagnostics } from '../../compiler/index.ts';
import { SCHEDULES } from '../../compiler/schedules.ts';
import { PREDICTORS } from '../../compiler/check/sampler.ts';
import { reservedWords } from '../../grammar/index.ts';

const doc = readFileSync(fileURLToPath(new URL('../../docs/language.md', import.meta.url)), 'utf8');
const blocks = [...doc.matchAll(/^```([\w-]*)\n([\s\S]*?)^```$/gm)].map((m) => ({ lang: m[1]!, body: m[2]!, line: doc.slice(0, m.index).split('\n').length }));

test('the reference has examples of each kind', () => {
  assert.ok(blocks.filter((b) => b.lang === 'kernel').length >= 10);
  assert.ok(blocks.filter((b) => b.lang === 'kernel-error').length >= 5);
});

test('every kernel block compiles, without warnings', () => {
  for (const b of blocks.filter((x) => x.lang === 'kernel')) {
    const r = checkKernel(b.body, { path: 'example.kernel' });
    assert.ok(r.spec && r.diagnostics.length === 0, `docs/language.md line ${b.line}:\n${formatDiagnostics(r.diagnostics, b.body)}`);
  }
});

test('every kernel-error block fails, and the output shown after it is exact', () => {
  blocks.forEach((b, i) => {
    if (b.lang !== 'kernel-error') return;
    const r = checkKernel(b.body, { path: 'example.kernel' });
    assert.ok(!r.spec && r.diagnostics.some((d) => d.severity === 'error'), `docs/language.md line ${b.line} compiles`);
    const next = blocks[i + 1];
    if (next?.lang === 'text') assert.fixture(formatDiagnostics(r.diagnostics, b.body) + '\n', next.body, `docs/language.md line ${next.line}`);
  });
});

test('the list of reserved words is complete', () => {
  const para = doc.slice(doc.indexOf('- **Reserved words**'), doc.indexOf('- **Reserved words**') + 600);
  for (const w of reservedWords) assert.ok(new RegExp(`[\\s\`]${w}[\\s\`]`).test(para), w);
});

test('the schedule and predictor tables list every built-in and option', () => {
  const row = (name: string) => doc.split('\n').find((l) => l.startsWith(`| \`${name}\` |`));
  for (const [name, info] of Object.entries(SCHEDULES)) {
    const r = row(name);
    assert.ok(r, `schedule ${name}`);
    for (const a of info.args) {
      const m = new RegExp(`\`${a.name} = ([^\`]+)\``).exec(r);
      assert.ok(m && Number(m[1]) === a.default, `${name}(${a.name} = ${a.default}) in: ${r}`);
    }
  }
  for (const [name, info] of Object.entries(PREDICTORS)) {
    const r = row(name);
    assert.ok(r, `predictor ${name}`);
    for (const o of Object.keys(info.options)) assert.ok(r.includes(`\`${o}\``), `${name} option ${o}`);
  }
});

test.run();
