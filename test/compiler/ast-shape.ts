// The syntax tree without locations (and without the `recovered` flag): what "parse(fmt(x))
// equals parse(x) modulo locations" compares. Comments are compared as a list of texts.
import type { KernelFile } from '../../grammar/index.ts';

export function astShape(ast: KernelFile): unknown {
  return JSON.parse(JSON.stringify({ statements: ast.statements, comments: ast.comments.map((c) => c.text) }, (k, v: unknown) => (k === 'loc' || k === 'recovered' || k === 'path' ? undefined : v)));
}
