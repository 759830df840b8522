// formatKernel: parse(fmt(x)) equals parse(x) up to locations, fmt is idempotent, every comment
// survives, the shipped kernels are already in canonical form, and broken files are refused.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatKernel, KernelSyntaxError } from '../../compiler/index.ts';
import { parse } from '../../grammar/index.ts';
import { astShape } from './ast-shape.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const list = (dir: string) => readdirSync(join(root, dir)).filter((f) => f.endsWith('.kernel')).map((f) => `${dir}/${f}`);
const all = [...list('kernels'), ...list('test/fixtures/valid'), ...list('test/fixtures/valid/language-md'), ...list('test/fixtures/invalid')];
const read = (rel: string) => readFileSync(join(root, rel), 'utf8');
const parsesCleanly = (text: string) => !parse(text).diagnostics.some((d) => d.severity === 'error');

test('round trip and idempotence on every kernel and fixture that parses', () => {
  let checked = 0;
  for (const rel of all) {
    const text = read(rel);
    if (!parsesCleanly(text)) continue;
    const once = formatKernel(text);
    assert.is(formatKernel(once), once, `${rel}: not idempotent`);
    assert.equal(astShape(parse(once).ast), astShape(parse(text).ast), `${rel}: meaning changed`);
    checked++;
  }
  assert.ok(checked >= 40, `${checked} files`);
});

test('files that do not parse are refused with their diagnostics, not mangled', () => {
  let refused = 0;
  for (const rel of all) {
    const text = read(rel);
    if (parsesCleanly(text)) continue;
    try {
      formatKernel(text, rel);
      assert.unreachable(rel);
    } catch (err) {
      assert.instance(err, KernelSyntaxError, rel);
      assert.ok((err as KernelSyntaxError).diagnostics.length > 0);
    }
    refused++;
  }
  assert.ok(refused >= 10, `${refused} files`);
});

test('the shipped kernels are in canonical form', () => {
  for (const rel of list('kernels')) assert.is(formatKernel(read(rel)), read(rel), rel);
});

test('layout: one statement a line, spacing, short blocks inline, long or logit blocks one rule a line', () => {
  const messy = `kernel   k "d" ; param a:real=0.5 in[0,1]
schedule loglinear( eps=1e-3 )
channel mask weight(1-a) ; channel reset( uniform )weight a
loss elbo sampler ancestral( steps=8 ){cache;denoise argmax}
`;
  assert.is(
    formatKernel(messy),
    `kernel k "d"
param a: real = 0.5 in [0, 1]
schedule loglinear(eps = 1e-3)
channel mask weight (1 - a)
channel reset(uniform) weight a
loss elbo
sampler ancestral(steps = 8) { cache; denoise argmax }
`,
  );
  const logit = `kernel k\nschedule linear\nchannel mask\nloss elbo\nsampler ancestral(steps = 8) { logit[v] -= 2^-count[v]; denoise argmax }\n`;
  assert.is(
    formatKernel(logit).split('\n').slice(4).join('\n'),
    `sampler ancestral(steps = 8) {\n  logit[v] -= 2^-count[v]\n  denoise argmax\n}\n`,
  );
});

test('comments: kept in place, trailing ones aligned in a run, one inside a statement moved above it', () => {
  const text = `// head

kernel k // the kernel
param a: real = 0.5 in [0, 1] // first
param bb: real = 0.5 // second
schedule linear
channel mask
  // inside the channel
  weight a
channel reset(uniform) weight bb
loss elbo
sampler ancestral(steps = 8) { // header
  // lead
  denoise argmax // tail
  // end
} // after
// last
`;
  assert.is(
    formatKernel(text),
    `// head

kernel k  // the kernel
param a: real = 0.5 in [0, 1]  // first
param bb: real = 0.5           // second
schedule linear
// inside the channel
channel mask weight a
channel reset(uniform) weight bb
loss elbo
sampler ancestral(steps = 8) {  // header
  // lead
  denoise argmax  // tail
  // end
}  // after
// last
`,
  );
  const before = parse(text).ast.comments.map((c) => c.text);
  assert.equal(parse(formatKernel(text)).ast.comments.map((c) => c.text), before);
});

test('a param keeps its doc (the comment ending its line) through formatting', () => {
  const text = `kernel k\nparam gamma: real = 0.5 in [0, 1]   //   penalty strength\n`;
  const p = parse(formatKernel(text)).ast.statements[1];
  assert.is(p?.kind === 'param' ? p.doc : undefined, 'penalty strength');
});

test.run();
