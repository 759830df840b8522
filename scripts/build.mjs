#!/usr/bin/env node
// The package build: `node scripts/build.mjs` (npm run build; npm pack and npm publish run it
// through prepack). dist/ is rebuilt from scratch every time, so it is never half old:
//  1. the library: JavaScript ESM and declaration files, with the tree's layout (dist/index.js,
//     dist/compiler/..., dist/runtime/...; tsc with tsconfig.build.json);
//  2. the files modules read relative to themselves at run time (import.meta.url), copied beside
//     them: the JSON schemas and example specs (dist/specs/), the shipped kernels (dist/kernels/),
//     the package's version (dist/package.json, read by runtime/io/version.ts);
//  3. the CLI as one esbuild bundle split per command (dist/bin/main.js and chunks): one file to
//     load instead of ~750 (chevrotain's lodash-es alone is 650), so `dlmk check` starts in a
//     fraction of a second. Dependencies stay external except chevrotain and lodash-es; every
//     `import.meta.url` of a bundled source file is rewritten to the URL of its compiled twin in
//     dist/, so relative reads find the files of step 2.
// The development checkout does not need dist/: tests and the `dlmk` bin run from the sources.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');
const t0 = Date.now();
rmSync(dist, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
try {
  execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { cwd: root, stdio: 'inherit' });
} catch {
  console.error('[dlmk build] tsc failed (above); dist/ is incomplete');
  process.exit(1);
}
/** The files of `from` (not its subfolders: no caches) whose names end with `ext`. */
function copyFiles(from, to, ext) {
  mkdirSync(join(dist, to), { recursive: true });
  for (const f of readdirSync(join(root, from))) if (f.endsWith(ext)) cpSync(join(root, from, f), join(dist, to, f));
}
copyFiles('specs', 'specs', '.json');
copyFiles('specs/examples', 'specs/examples', '.json');
copyFiles('kernels', 'kernels', '.kernel');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
writeFileSync(join(dist, 'package.json'), JSON.stringify({ name: `${pkg.name}-dist`, version: pkg.version, type: 'module', private: true }, null, 2) + '\n');

const outdir = join(dist, 'bin');
const { build } = await import('esbuild');
const INLINE = /^(chevrotain|@chevrotain\/[^/]+|lodash-es|ajv|fast-deep-equal|fast-uri|json-schema-traverse|require-from-string)(\/|$)/;
await build({
  entryPoints: [join(root, 'cli', 'main.ts')],
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  outdir,
  logLevel: 'warning',
  banner: { js: '// dlmk CLI, bundled by scripts/build.mjs from cli/main.ts; do not edit.' },
  plugins: [
    {
      name: 'dlmk-cli',
      setup(b) {
        b.onResolve({ filter: /^[^./]/ }, (a) => (a.path.startsWith('node:') || !INLINE.test(a.path) ? { path: a.path, external: true } : undefined));
        b.onLoad({ filter: /\.ts$/ }, (a) => {
          const src = readFileSync(a.path, 'utf8');
          if (!src.includes('import.meta.url')) return undefined;
          const twin = relative(outdir, join(dist, relative(root, a.path))).replace(/\.ts$/, '.js').split('\\').join('/');
          return { contents: src.replaceAll('import.meta.url', `new URL(${JSON.stringify(twin)}, import.meta.url).href`), loader: 'ts' };
        });
      },
    },
  ],
});
console.error(`[dlmk build] dist/ written in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
