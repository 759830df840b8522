// docs/grammar.html is exactly what `dlmk diagrams` prints for the current grammar, and the page
// needs nothing from the network.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { diagramsHtml } from '../../grammar/index.ts';

test('docs/grammar.html equals a fresh generation (run `dlmk diagrams > docs/grammar.html` after a grammar change)', () => {
  const committed = readFileSync(fileURLToPath(new URL('../../docs/grammar.html', import.meta.url)), 'utf8');
  assert.ok(committed === diagramsHtml(), 'docs/grammar.html is stale: run `node cli/dlmk.mjs diagrams > docs/grammar.html`');
});

test('the page is self-contained: scripts and styles inline, no external resources', () => {
  const html = diagramsHtml();
  assert.not.match(html, /<script[^>]+src=/);
  assert.not.match(html, /<link[^>]+href=/);
  assert.match(html, /window\.serializedGrammar = /);
  for (const rule of ['kernelFile', 'paramDecl', 'channelDecl', 'samplerDecl', 'logitRule', 'expression']) assert.ok(html.includes(`"name": "${rule}"`), rule);
  assert.ok(html.includes('railroad'), 'the railroad-diagrams library is inlined');
});

test.run();
