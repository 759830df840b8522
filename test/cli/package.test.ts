// dlmk as a user gets it: `npm pack` (which builds dist/ through prepack), the tarball installed
// into a fresh project, and there the library imported by plain `node` (no tsx) and the `dlmk`
// bin run. Offline: the fresh project's lockfile is the tarball plus this repository's own
// lockfile entries of the runtime dependencies (their resolved URLs and integrity), so `npm ci
// --offline` takes every package from the npm cache that installing this repository filled, and
// asks the registry for nothing. Install scripts are off (--ignore-scripts: webgpu's stays denied,
// as package.json's allowScripts says; its prebuilt Dawn needs none).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { transformSync } from 'esbuild';

const root = fileURLToPath(new URL('../..', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'dlmk-package-'));
const project = join(tmp, 'project');
const env = { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false', npm_config_loglevel: 'error' };

function run(cmd: string, args: string[], cwd: string): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', timeout: 180_000 });
  if (r.error) throw r.error;
  return r;
}

function ok(r: SpawnSyncReturns<string>, what: string): string {
  assert.is(r.status, 0, `${what} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

const t0 = Date.now();
const timings: string[] = [];
const lap = (what: string, since: number) => timings.push(`${what} ${((Date.now() - since) / 1000).toFixed(1)}s`);

test('npm pack builds dist/ and ships what users need, not the sources or the tests', () => {
  const t = Date.now();
  const out = ok(run('npm', ['pack', '--json', '--pack-destination', tmp], root), 'npm pack');
  lap('pack (with the build)', t);
  const [info] = JSON.parse(out.slice(out.indexOf('['))) as { filename: string; files: { path: string }[] }[];
  const files = info!.files.map((f) => f.path);
  for (const f of ['package.json', 'README.md', 'cli/dlmk.mjs', 'dist/index.js', 'dist/index.d.ts', 'dist/bin/main.js', 'dist/specs/kernel.schema.json', 'dist/specs/run.base.json', 'dist/kernels/masking.kernel', 'dist/package.json', 'kernels/semdlm_plus.kernel', 'specs/run.schema.json', 'docs/api.md', 'docs/codegen.md']) {
    assert.ok(files.includes(f), `the tarball lacks ${f}`);
  }
  const stray = files.filter((f) => f.startsWith('test/') || f.includes('.dlmk-cache') || (f.endsWith('.ts') && !f.endsWith('.d.ts')));
  assert.equal(stray, [], 'tests, caches and TypeScript sources stay out of the tarball');
  writeFileSync(join(tmp, 'tarball'), info!.filename);
});

test('the tarball installs offline into a fresh project', () => {
  const t = Date.now();
  const tarball = readFileSync(join(tmp, 'tarball'), 'utf8');
  const spec = `file:../${tarball}`;
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, Record<string, unknown> & { dev?: boolean; link?: boolean }> };
  const self = lock.packages['']!;
  const packages: Record<string, unknown> = {
    '': { name: 'project', dependencies: { dlmk: spec } },
    'node_modules/dlmk': { version: self['version'], resolved: spec, license: self['license'], dependencies: self['dependencies'], bin: self['bin'], engines: self['engines'] },
  };
  for (const [k, v] of Object.entries(lock.packages)) if (k && !v.dev && !v.link) packages[k] = v;
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'project', private: true, type: 'module', dependencies: { dlmk: spec } }, null, 2));
  writeFileSync(join(project, 'package-lock.json'), JSON.stringify({ name: 'project', lockfileVersion: 3, requires: true, packages }, null, 2));
  ok(run('npm', ['ci', '--offline', '--ignore-scripts', '--no-audit', '--no-fund'], project), 'npm ci --offline');
  lap('install', t);
  assert.ok(existsSync(join(project, 'node_modules/dlmk/dist/index.js')));
  assert.not.ok(existsSync(join(project, 'node_modules/tsx')), 'tsx is a development tool, not a dependency');
});

test("docs/api.md's first example runs under plain node, importing 'dlmk' from the installed build", () => {
  const t = Date.now();
  const doc = readFileSync(join(root, 'docs/api.md'), 'utf8');
  const code = /```ts\n([\s\S]*?)```/.exec(doc)![1]!;
  // The example is TypeScript; strip its types (nothing else changes) to run it as a user's .mjs.
  writeFileSync(join(project, 'example.mjs'), transformSync(code, { loader: 'ts', format: 'esm' }).code);
  const lines = ok(run(process.execPath, ['example.mjs'], project), 'the example').trim().split('\n');
  lap('api example', t);
  assert.is(lines[0], '5 9');
  assert.is(lines[1]!.split(' ').slice(0, 2).join(' '), '128 51');
  assert.is(lines[2], '128 6400 384 true 128');
});

test('a compileKernel program in plain JavaScript, and the types for TypeScript users', () => {
  writeFileSync(
    join(project, 'compile.mjs'),
    "import { readFileSync } from 'node:fs';\nimport { compileKernel } from 'dlmk';\nconst spec = compileKernel(readFileSync('node_modules/dlmk/kernels/semdlm_plus.kernel', 'utf8'), { path: 'semdlm_plus.kernel', params: { gamma: 0.8 } });\nconsole.log(spec.format, spec.name, spec.params.find((p) => p.name === 'gamma').value);\n",
  );
  assert.is(ok(run(process.execPath, ['compile.mjs'], project), 'compile.mjs').trim(), 'dlmk.kernel/1 semdlm_plus 0.8');
  writeFileSync(join(project, 'typed.ts'), "import { compileKernel, type KernelSpec } from 'dlmk';\nconst spec: KernelSpec = compileKernel('', { path: 'x.kernel' });\nconst n: number = spec.channels.length;\n// @ts-expect-error: the types are real, not any\nconst s: string = spec.channels.length;\nexport { n, s };\n");
  const tsc = join(root, 'node_modules/typescript/bin/tsc');
  writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, noEmit: true, skipLibCheck: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', types: [] }, files: ['typed.ts'] }));
  ok(run(process.execPath, [tsc, '-p', '.'], project), 'tsc on a consumer file');
});

test('npx dlmk runs the compiled CLI: check on a shipped kernel, help, and a usage error', () => {
  const t = Date.now();
  const check = run('npx', ['--no-install', 'dlmk', 'check', 'node_modules/dlmk/kernels/masking.kernel'], project);
  lap('npx dlmk check', t);
  assert.is(ok(check, 'npx dlmk check').trim(), 'node_modules/dlmk/kernels/masking.kernel: ok (kernel masking: mask, schedule loglinear, loss elbo, sampler ancestral)');
  const bin = join(project, 'node_modules/.bin/dlmk');
  assert.match(ok(run(bin, ['compile', '--help'], project), 'dlmk compile --help'), /--wgsl DIR/);
  const bad = run(bin, ['check', 'node_modules/dlmk/kernels/masking.kernel', '--t', '1'], project);
  assert.is(bad.status, 2);
  assert.match(bad.stderr, /^dlmk check: unknown option '--t'/);
  assert.match(ok(run(bin, ['demo', '--check-only'], project), 'dlmk demo --check-only'), /5 of 5 kernels checked, compiled and validated\./);
});

test.after(() => {
  process.stderr.write(`  package test: ${timings.join(', ')}; ${((Date.now() - t0) / 1000).toFixed(1)}s in all\n`);
  rmSync(tmp, { recursive: true, force: true });
});

test.run();
