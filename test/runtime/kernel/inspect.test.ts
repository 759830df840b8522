// `dlmk inspect`: the example command line of docs/inspect.md runs, prints every documented key,
// and the GPU output agrees with --reference.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import inspect from '../../../cli/commands/inspect.ts';
import { UsageError } from '../../../cli/command.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const doc = readFileSync(root + 'docs/inspect.md', 'utf8');

async function run(argv: string[]): Promise<Record<string, unknown>> {
  let out = '';
  const code = await inspect.run({ argv, debug: false, stdout: (s) => (out += s), stderr: () => {} });
  assert.is(code, 0);
  return JSON.parse(out) as Record<string, unknown>;
}

function close(a: unknown, b: unknown, tol: number, path: string): void {
  if (Array.isArray(a) && Array.isArray(b)) {
    assert.is(a.length, b.length, `${path}: length`);
    a.forEach((x, i) => close(x, b[i], tol, `${path}[${i}]`));
  } else if (typeof a === 'number' && typeof b === 'number') {
    assert.ok(Math.abs(a - b) <= tol * Math.max(Math.abs(b), 1e-3), `${path}: ${a} vs ${b}`);
  } else if (a && b && typeof a === 'object' && typeof b === 'object') {
    for (const k of Object.keys(b)) close((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], tol, `${path}.${k}`);
  } else assert.equal(a, b, path);
}

test('the documented example runs, has every documented key, and matches --reference', async () => {
  const line = /```sh\n(dlmk inspect [^\n]*)\n```/.exec(doc)?.[1];
  assert.ok(line, 'docs/inspect.md has an example command');
  const argv = line!.split(/\s+/).slice(2).map((a) => (a.endsWith('.kernel') ? root + a : a));
  const gpu = await run(argv);
  const keys = [...doc.matchAll(/^\| `([a-zA-Z]+)`/gm)].map((m) => m[1]!);
  for (const k of keys) if (k !== 'device' || gpu.backend === 'gpu') assert.ok(k in gpu, `key '${k}' missing`);
  assert.is(gpu.backend, 'gpu');
  assert.is(gpu.logits, 'uniform');
  const ref = await run([...argv, '--reference']);
  assert.is(ref.backend, 'reference');
  for (const k of ['row', 'column', 'posterior', 'reverse', 'rates', 'prior', 'mixture']) close(gpu[k], ref[k], 1e-5, k);
  for (const k of ['elbo', 'grad', 'priorKL']) close(gpu[k], ref[k], 1e-4, k);
  for (const k of ['H', 'truncationBound', 'Hs', 'Hst', 'lambdas']) close(gpu[k], ref[k], 1e-9, k);
});

test('a graph kernel from a .kernel file with the seeded embedding: same graph hash, same numbers', async () => {
  const argv = [root + 'kernels/semdlm_plus.kernel', '--vocab', '24', '--t', '0.7', '--s', '0.5', '--x0', '5', '--xt', '9', '--json', '--set', 'k=4'];
  const gpu = await run(argv);
  const ref = await run([...argv, '--reference']);
  close(gpu.graphs, ref.graphs, 0, 'graphs');
  assert.ok((gpu.notes as string[]).some((n) => n.includes('seeded stand-in embedding')));
  for (const k of ['row', 'column', 'posterior', 'reverse', 'mixture']) close(gpu[k], ref[k], 1e-5, k);
  for (const k of ['elbo', 'grad']) close(gpu[k], ref[k], 1e-4, k);
});

test('a graph within lexical classes: --classes loads the partition; GPU and reference agree; missing or wrong files are clear errors', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dlmk-inspect-'));
  const kernel = join(dir, 'classy.kernel');
  writeFileSync(
    kernel,
    [
      'kernel classy "Semantic jumps within lexical classes"',
      'param k: int = 3 in [1, 256]',
      'graph near = knn(embeddings, k = k, bandwidth = 0.3, classes = "pos")',
      'schedule loglinear(eps = 1e-3)',
      'channel jump(near)',
      'loss elbo',
      'sampler ancestral(steps = 16) { denoise argmax }',
      '',
    ].join('\n'),
  );
  const V = 24;
  const cls = join(dir, 'pos.json');
  writeFileSync(cls, JSON.stringify(Array.from({ length: V }, (_, i) => i % 3)));
  const argv = [kernel, '--vocab', String(V), '--t', '0.6', '--x0', '4', '--xt', '7', '--json', '--classes', cls];
  const gpu = await run(argv);
  const ref = await run([...argv, '--reference']);
  close(gpu.graphs, ref.graphs, 0, 'graphs');
  for (const k of ['row', 'column', 'posterior', 'reverse', 'mixture']) close(gpu[k], ref[k], 1e-5, k);
  // Within classes of i mod 3, a token's row reaches only its own class.
  const row = gpu.row as number[];
  for (let y = 0; y < V; y++) if (y % 3 !== 4 % 3) assert.ok(row[y]! < 1e-12, `row[${y}] = ${row[y]} outside x0's class`);
  await usageError([...argv.slice(0, -2)], "pass --classes FILE");
  writeFileSync(cls, JSON.stringify(Array.from({ length: V }, (_, i) => (i === 5 ? 1.5 : 0))));
  await usageError(argv, 'entry 5 is 1.5');
  await usageError([...argv.slice(0, -1), `other=${cls}`], "no graph uses a partition 'other'");
  rmSync(dir, { recursive: true, force: true });
});

test('--rules: the reverse step from the logits after the sampler\'s rules, GPU and reference agree', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dlmk-inspect-'));
  const V = 24;
  const logits = join(dir, 'logits.json');
  writeFileSync(logits, JSON.stringify(Array.from({ length: V }, (_, i) => 2 * Math.sin(1.7 * i))));
  const tokens = join(dir, 'tokens.json');
  writeFileSync(tokens, JSON.stringify([3, 9, 9, 5, 9, 14, 3]));
  const base = [root + 'kernels/semdlm_plus.kernel', '--vocab', String(V), '--t', '0.7', '--s', '0.6', '--x0', '5', '--xt', '9', '--json', '--set', 'k=4', '--logits', logits];
  const plain = await run(base);
  assert.is(plain.ruled, null);
  const argv = [...base, '--rules', '--tokens', tokens, '--step', '3'];
  const gpu = await run(argv);
  const ref = await run([...argv, '--reference']);
  for (const k of ['ruled', 'reverse', 'mixture']) close(gpu[k], ref[k], 1e-5, k);
  // The semantic-frequency penalty moved mass away from the repeated token 9, and top-p dropped the tail.
  const ruled = gpu.ruled as number[];
  const mx = Math.max(...JSON.parse(readFileSync(logits, 'utf8')) as number[]);
  const raw = (JSON.parse(readFileSync(logits, 'utf8')) as number[]).map((x) => Math.exp(x - mx));
  const z = raw.reduce((a, b) => a + b, 0);
  assert.ok(ruled[9]! < raw[9]! / z, `p(9) ${ruled[9]} after rules vs ${raw[9]! / z}`);
  assert.ok(ruled.some((p) => p === 0), 'top-p leaves some tokens at 0');
  assert.ok((gpu.notes as string[]).some((n) => n.includes("after the sampler's rules")));
  close(gpu.elbo, plain.elbo, 0, 'the ELBO reads the raw logits');
  await usageError([...base, '--tokens', tokens], '--tokens and --step go with --rules');
  rmSync(dir, { recursive: true, force: true });
});

async function usageError(argv: string[], text: string): Promise<void> {
  try {
    await inspect.run({ argv, debug: false, stdout: () => {}, stderr: () => {} });
  } catch (e) {
    assert.instance(e, UsageError);
    assert.ok((e as Error).message.includes(text), (e as Error).message);
    return;
  }
  assert.unreachable(`expected an error with "${text}"`);
}

test('usage errors are one clear paragraph', async () => {
  const err = usageError;
  const k = root + 'kernels/masking.kernel';
  await err([k, '--t', '0.5', '--x0', '1'], '--vocab is required');
  await err([k, '--vocab', '8', '--t', '0.5', '--x0', '9'], '--x0 9 is not a token (0..7)');
  await err([k, '--vocab', '8', '--t', '1.5', '--x0', '1'], 'times must satisfy 0 <= s <= t <= 1');
  await err([k, '--vocab', '8', '--t', '0.5', '--x0', '1', '--xt', '9'], '--xt 9 is not a state (0..8; [MASK] is 8)');
});

test.run();
