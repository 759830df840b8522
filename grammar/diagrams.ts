// Syntax diagrams of the .kernel grammar as one self-contained HTML page (`dlmk diagrams`).
// chevrotain's page loads its scripts and stylesheet from a CDN; we inline them from
// node_modules so that the page works offline and the committed docs/grammar.html is exactly
// reproducible (a test compares it with a fresh generation).
import { createSyntaxDiagramsCode } from 'chevrotain';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { kernelParser } from './parser.ts';

/** chevrotain/diagrams: the package exports only its API, so find the folder from the entry. */
function diagramsDir(): string {
  let dir = dirname(fileURLToPath(import.meta.resolve('chevrotain')));
  for (let i = 0; i < 6; i++) {
    try {
      readFileSync(join(dir, 'diagrams', 'diagrams.css'));
      return join(dir, 'diagrams');
    } catch {
      dir = dirname(dir);
    }
  }
  throw new Error('cannot find chevrotain/diagrams in node_modules');
}

const RESOURCE_BASE = 'dlmk-inline:';
const CSS = 'dlmk-inline:diagrams.css';

export function diagramsHtml(): string {
  const dir = diagramsDir();
  const read = (rel: string) => readFileSync(join(dir, rel), 'utf8').replace(/<\/script/gi, '<\\/script');
  let html = createSyntaxDiagramsCode(kernelParser.getSerializedGastProductions(), { resourceBase: RESOURCE_BASE, css: CSS });
  html = html.replace(`<link rel='stylesheet' href='${CSS}'>`, () => `<style>\n${read('diagrams.css')}\n</style>`);
  html = html.replace(/<script src='dlmk-inline:([^']+)'><\/script>/g, (_, rel: string) => `<script>\n${read(rel)}\n</script>`);
  html = html.replace('<meta charset="utf-8">', '<meta charset="utf-8">\n<title>dlmk: the .kernel grammar</title>');
  if (html.includes('dlmk-inline:')) throw new Error('a diagrams resource was not inlined');
  return html;
}
