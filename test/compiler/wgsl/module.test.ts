// The WGSL module linker and program keys: pure text, no GPU.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { link, program, wgslModule } from '../../../compiler/wgsl/module.ts';
import { hopProgram } from '../../../compiler/wgsl/hop.ts';
import { rulesProgram } from '../../../compiler/wgsl/rules.ts';
import * as IR from '../../helpers/ir.ts';

test('link emits each module once, dependencies first, enables hoisted', () => {
  const a = wgslModule('a', 'fn a() {}');
  const b = wgslModule('b', 'fn b() { a(); }', [a], ['subgroups']);
  const c = wgslModule('c', 'fn c() { a(); b(); }', [a, b]);
  const text = link(c, b);
  assert.ok(text.startsWith('enable subgroups;'));
  const ia = text.indexOf('fn a()');
  const ib = text.indexOf('fn b()');
  const ic = text.indexOf('fn c()');
  assert.ok(ia >= 0 && ia < ib && ib < ic);
  assert.is(text.split('fn a()').length, 2, 'a once');
});

test('link rejects a name defined twice differently, and cycles', () => {
  assert.throws(() => link(wgslModule('x', 'fn x() {}'), wgslModule('x', 'fn x() { return; }')), /defined twice/);
  const p: { name: string; code: string; deps: unknown[] } = { name: 'p', code: '', deps: [] };
  const q = { name: 'q', code: '', deps: [p] };
  p.deps.push(q);
  assert.throws(() => link(p as never), /cycle/);
});

test('program text and key depend only on the options (pipeline caches hit)', () => {
  const a = hopProgram({ mats: 2, wx: 64, wy: 1, cpt: 4 });
  const b = hopProgram({ mats: 2, wx: 64, wy: 1, cpt: 4 });
  const c = hopProgram({ mats: 1, wx: 64, wy: 1, cpt: 4 });
  assert.is(a.key, b.key);
  assert.is(a.code, b.code);
  assert.is.not(a.key, c.key);
  assert.ok(a.key.startsWith('dlmk/kernel/hop2x4/'));
  // Parameter values live in a buffer, not in the text: changing gamma keeps the rules' key.
  const s1 = IR.semdlmPlus(undefined, { gamma: 0.5 });
  const s2 = IR.semdlmPlus(undefined, { gamma: 0.9 });
  const opts = (s: typeof s1) => ({ rules: s.sampler.rules, params: s.params.map((p) => p.name), graphs: ['near'], W: 8, subgroups: true, hoist: true });
  assert.is(rulesProgram(opts(s1)).key, rulesProgram(opts(s2)).key);
  assert.ok(program('x', [8], wgslModule('m', 'fn m() {}')).key.startsWith('dlmk/kernel/x/'));
});

test.run();
