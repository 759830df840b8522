// Generates the TypeScript types of every specs/*.schema.json into specs/types/*.ts, so the
// schemas stay the one source of truth (STYLE.md). `--check` exits 1 when a file is stale.
// specs/run.schema.json is itself generated first: specs/run.base.json with the built-in plugins'
// option schemas composed in (runtime/train/spec.ts composeRunSchema).
// Usage: tsx scripts/gen-types.ts [--check]
import { compile } from 'json-schema-to-typescript';
import { readFileSync, readdirSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const specs = fileURLToPath(new URL('../specs', import.meta.url));
const outDir = join(specs, 'types');
const check = process.argv.includes('--check');

export async function generate(file: string): Promise<string> {
  const schema = JSON.parse(readFileSync(join(specs, file), 'utf8'));
  return compile(schema, schema.title ?? file, {
    bannerComment: `/* Generated from specs/${file} by scripts/gen-types.ts. Do not edit: change the schema and rerun. */`,
    additionalProperties: false,
    unreachableDefinitions: true,
    strictIndexSignatures: true,
    style: { singleQuote: true, printWidth: 120 },
  });
}

/** specs/run.schema.json as the built-in plugins compose it. */
export async function composedRunSchema(): Promise<string> {
  const { composeRunSchema } = await import('../runtime/train/spec.ts');
  return JSON.stringify(composeRunSchema(), null, 2) + '\n';
}

async function main(): Promise<void> {
  mkdirSync(outDir, { recursive: true });
  let stale = 0;
  const runTarget = join(specs, 'run.schema.json');
  const run = await composedRunSchema();
  if ((existsSync(runTarget) ? readFileSync(runTarget, 'utf8') : '') !== run) {
    if (check) {
      console.error(`stale: ${runTarget} (run: npx tsx scripts/gen-types.ts)`);
      stale++;
    } else {
      writeFileSync(runTarget, run);
      console.log(`wrote ${runTarget}`);
    }
  }
  for (const file of readdirSync(specs).filter((f) => f.endsWith('.schema.json')).sort()) {
    const target = join(outDir, file.replace('.schema.json', '.ts'));
    const text = await generate(file);
    const old = existsSync(target) ? readFileSync(target, 'utf8') : '';
    if (old === text) continue;
    if (check) {
      console.error(`stale: ${target} (run: npx tsx scripts/gen-types.ts)`);
      stale++;
    } else {
      writeFileSync(target, text);
      console.log(`wrote ${target}`);
    }
  }
  if (stale) process.exit(1);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
