// The test entry (`npm test`): runs every test/**/*.test.ts in its own process (a crash or a
// hung GPU call then fails one file, not the suite) and ends with the line CI reads:
// `N passed, N failed`.
// Usage: tsx test/run.ts [SUBSTRING...]   (only files whose path contains one of the substrings)
// Files run DLMK_TEST_JOBS at a time (default 2: most of a file's time is single-threaded host work
// or shader compilation, so two keep both cores busy); each file's output is printed whole when it ends.
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const filters = process.argv.slice(2);
const perFileTimeoutMs = Number(process.env.DLMK_TEST_TIMEOUT_MS ?? 15 * 60 * 1000);

function walk(dir: string, out: string[]): string[] {
  for (const name of readdirSync(dir).sort()) {
    if (name === 'fixtures' || name === 'node_modules') continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

// The longest files start first, so that with several jobs none of them is left to run alone at the end.
const SLOW = ['train/learn-graph', 'train/learn', 'sample/exact-', 'cli/train', 'cli/hostile', 'cli/compare', 'cli/package', 'cli/demo', 'train/resume', 'cli/sample', 'eval/likelihood'];
const rank = (f: string) => {
  const i = SLOW.findIndex((s) => f.includes(s));
  return i < 0 ? SLOW.length : i;
};
const files = walk(join(root, 'test'), [])
  .filter((f) => filters.length === 0 || filters.some((s) => relative(root, f).includes(s)))
  .sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));

const DAWN_NOISE = /^Warning: maxDynamic(Uniform|Storage)BuffersPerPipelineLayout artificially reduced/;

interface Counts { passed: number; failed: number; skipped: number }

function runFile(file: string): Promise<Counts & { ms: number; output: string }> {
  return new Promise((resolve) => {
    let output = '';
    const print = (text: string) => (jobs > 1 ? (output += text) : process.stdout.write(text));
    const printErr = (text: string) => (jobs > 1 ? (output += text) : process.stderr.write(text));
    const t0 = Date.now();
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'test', 'child.ts'), file], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, FORCE_COLOR: process.env.FORCE_COLOR ?? '0' },
    });
    let tail = '';
    child.stdout.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      tail = (tail + text).slice(-4096);
      print(text.replace(/\n?@@dlmk-result .*\n?/g, '\n'));
    });
    // Dawn prints two lines about dynamic-offset limits whenever an adapter is requested: noise.
    let errTail = '';
    child.stderr.on('data', (chunk: Buffer) => {
      const lines = (errTail + chunk.toString()).split('\n');
      errTail = lines.pop() ?? '';
      const kept = lines.filter((l) => !DAWN_NOISE.test(l));
      if (kept.length) printErr(kept.join('\n') + '\n');
    });
    const timer = setTimeout(() => {
      printErr(`\n  timed out after ${perFileTimeoutMs / 1000}s: ${relative(root, file)}\n`);
      child.kill('SIGKILL');
    }, perFileTimeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (errTail && !DAWN_NOISE.test(errTail)) printErr(errTail + '\n');
      const m = /@@dlmk-result (\{.*\})/.exec(tail);
      const ms = Date.now() - t0;
      if (!m) {
        printErr(`\n  ${relative(root, file)} ended without a result (exit ${code ?? signal})\n`);
        resolve({ passed: 0, failed: 1, skipped: 0, ms, output });
        return;
      }
      resolve({ ...(JSON.parse(m[1]!) as Counts), ms, output });
    });
  });
}

const total: Counts = { passed: 0, failed: 0, skipped: 0 };
const timings: string[] = [];
const jobs = Math.max(1, Number(process.env['DLMK_TEST_JOBS'] ?? 2));
let next = 0;
async function worker(): Promise<void> {
  while (next < files.length) {
    const file = files[next++]!;
    if (jobs === 1) process.stdout.write(`\n── ${relative(root, file)}\n`);
    const r = await runFile(file);
    if (jobs > 1) process.stdout.write(`\n── ${relative(root, file)}\n${r.output}`);
    total.passed += r.passed;
    total.failed += r.failed;
    total.skipped += r.skipped;
    timings.push(`${(r.ms / 1000).toFixed(1).padStart(7)}s  ${relative(root, file)}${r.failed ? '  FAILED' : ''}`);
  }
}
await Promise.all(Array.from({ length: Math.min(jobs, files.length) }, () => worker()));
console.log('\nfiles:\n' + timings.join('\n'));
if (files.length === 0) {
  console.log('no test files matched');
  total.failed += 1;
}
console.log(`${total.passed} passed, ${total.failed} failed` + (total.skipped ? `, ${total.skipped} skipped` : ''));
process.exit(total.failed ? 1 : 0);
