// dlmk validate SPEC.json: checks a compiled spec against its JSON Schema, chosen by the
// document's `format` field (each specs/*.schema.json that fixes `format` is a known format).
import { readdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Command, CommandContext } from '../command.ts';
import { checkAgainst, jsonErrorWhere, schemaPath } from '../../specs/validate.ts';
import { kernelSpecIssues } from '../../specs/kernel-check.ts';
import { parseCommand, type CommandDecl } from '../options.ts';
import { readText } from '../io.ts';

const decl = {
  name: 'validate',
  summary: 'check a compiled spec (JSON) against its schema, with JSON-path messages',
  positionals: [{ name: 'SPEC.json', variadic: true, missing: 'name a spec file' }],
  options: {},
  examples: ['dlmk validate out/semdlm_plus.spec.json', 'dlmk validate specs/examples/tiny.json'],
} as const satisfies CommandDecl;

/** format value -> schema name, from every schema whose `format` property is a constant. */
function knownFormats(): Map<string, string> {
  const dir = dirname(schemaPath('kernel'));
  const out = new Map<string, string>();
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.schema.json')).sort()) {
    try {
      const schema = JSON.parse(readFileSync(`${dir}/${f}`, 'utf8')) as { properties?: { format?: { const?: unknown } } };
      const c = schema.properties?.format?.const;
      if (typeof c === 'string') out.set(c, f.replace(/\.schema\.json$/, ''));
    } catch {
      // A schema that does not parse is not a format we can offer.
    }
  }
  return out;
}

const validate: Command = {
  name: 'validate',
  summary: decl.summary,
  decl,
  async run(ctx: CommandContext): Promise<number> {
    const { positionals: files } = parseCommand(decl, ctx.argv);
    const formats = knownFormats();
    let failed = 0;
    for (const file of files) {
      const text = readText(file);
      let doc: unknown;
      try {
        doc = JSON.parse(text);
      } catch (err) {
        const msg = (err as Error).message;
        ctx.stderr(`${file}: not JSON${jsonErrorWhere(text, msg)}: ${msg}`);
        failed++;
        continue;
      }
      const format = typeof doc === 'object' && doc !== null && !Array.isArray(doc) ? (doc as Record<string, unknown>)['format'] : undefined;
      const known = [...formats.keys()].map((f) => `'${f}'`).join(', ');
      if (format === undefined) {
        ctx.stderr(`${file}: this JSON has no "format" field, so dlmk cannot tell what it is; a spec states its format, one of ${known}`);
        failed++;
        continue;
      }
      const schema = typeof format === 'string' ? formats.get(format) : undefined;
      if (!schema) {
        ctx.stderr(`${file}: unknown format ${JSON.stringify(format)}; dlmk validates ${known}`);
        failed++;
        continue;
      }
      if (schema === 'run') {
        // Run specs: the same validation as `dlmk train` (plugins composed in, semantic checks, the kernel compiled).
        const { checkRunDoc } = await import('../../runtime/train/index.ts');
        const r = checkRunDoc(doc, file);
        if (r.ok) ctx.stdout(`${file}: valid run spec (${format}): ${r.summary}`);
        else {
          failed++;
          ctx.stderr(r.message);
        }
        continue;
      }
      // Kernel specs: the schema, then the semantic check (specs/kernel-check.ts), as every command that reads one.
      const issues = schema === 'kernel' ? kernelSpecIssues(doc) : checkAgainst(schema, doc);
      if (issues.length === 0) {
        ctx.stdout(`${file}: valid ${schema} spec (${format})`);
        continue;
      }
      failed++;
      ctx.stderr(`${file}: not a valid ${schema} spec (${format}); ${issues.length} problem${issues.length === 1 ? '' : 's'}:\n` + issues.map((i) => `  ${i.path}: ${i.message}`).join('\n'));
    }
    return failed ? 1 : 0;
  },
};

export default validate;
