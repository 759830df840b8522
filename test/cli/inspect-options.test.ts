// dlmk inspect's declared options: bounds rejected up front with the flag and the bound named,
// repeated flags refused, and reset("FILE") laws loaded (beside the kernel, or --dist).
// The float64 reference only (--reference): no GPU.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import inspect from '../../cli/commands/inspect.ts';
import { UsageError } from '../../cli/command.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'dlmk-inspect-'));
const masking = join(root, 'kernels/masking.kernel');

async function run(...argv: string[]): Promise<{ json?: Record<string, unknown>; error?: UsageError }> {
  let out = '';
  try {
    await inspect.run({ argv, debug: false, stdout: (s) => void (out += s), stderr: () => {} });
    return { json: JSON.parse(out) as Record<string, unknown> };
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    return { error: err };
  }
}

test('bounds: --H, --vocab, --step and repeated flags fail before anything is allocated', async () => {
  const base = [masking, '--t', '0.5', '--x0', '1', '--reference'];
  const cases: Array<[string[], RegExp]> = [
    [['--vocab', '8', '--H', '1e9'], /--H must be <= 4096; got 1e9/],
    [['--vocab', '8', '--H', '20000'], /--H must be <= 4096; got 20000/],
    [['--vocab', '1e9'], /--vocab must be <= 16777216; got 1e9/],
    [['--vocab', '4294967296'], /--vocab must be <= 16777216; got 4294967296/],
    [['--vocab', '1'], /--vocab must be >= 2; got 1/],
    [['--vocab', '8', '--t', '0.4'], /--t is given 2 times; give it once/],
    [['--vocab', '8', '--rules', '--step', '-1'], /--step must be >= 0; got -1/],
    [['--vocab', '8', '--H', '2.5'], /--H takes a whole number; got '2\.5'/],
    [['--vocab', '8', '--nope'], /unknown option '--nope'; this command takes --vocab, /],
  ];
  for (const [extra, want] of cases) {
    const r = await run(...base, ...extra);
    assert.ok(r.error, `${extra.join(' ')} should fail`);
    assert.match(r.error!.message, want);
    assert.is(r.error!.code, 2);
  }
  const missing = await run('--vocab', '8', '--t', '0.5', '--x0', '1');
  assert.match(missing.error!.message, /^name one kernel \(\.kernel or compiled \.spec\.json\): dlmk inspect KERNEL /);
});

test('reset("FILE"): read beside the kernel by default, or from --dist; a missing law says how to pass it', async () => {
  const V = 6;
  const kernel = join(tmp, 'freq.kernel');
  writeFileSync(kernel, 'kernel freq "resets to a law from a file"\nschedule loglinear(eps = 1e-3)\nchannel reset("law.json") weight 1\nloss elbo\nsampler ancestral(steps = 8) { denoise argmax }\n');
  const law = [1, 2, 3, 4, 5, 5];
  writeFileSync(join(tmp, 'law.json'), JSON.stringify(law));
  const other = [6, 5, 4, 3, 2, 0];
  writeFileSync(join(tmp, 'other.json'), JSON.stringify(other));
  const argv = [kernel, '--vocab', String(V), '--t', '1', '--s', '0.9', '--x0', '0', '--reference', '--json'];
  const beside = await run(...argv);
  assert.not.ok(beside.error, beside.error?.message);
  const z = law.reduce((a, b) => a + b, 0);
  const prior = beside.json!['prior'] as number[];
  law.forEach((x, i) => assert.ok(Math.abs(prior[i]! - x / z) < 1e-9, `prior[${i}] ${prior[i]} vs ${x / z}`));
  assert.ok((beside.json!['notes'] as string[]).some((n) => n.includes('reset("law.json"): read from')));
  const given = await run(...argv, '--dist', join(tmp, 'other.json'));
  const z2 = other.reduce((a, b) => a + b, 0);
  const prior2 = given.json!['prior'] as number[];
  other.forEach((x, i) => assert.ok(Math.abs(prior2[i]! - x / z2) < 1e-9, `prior[${i}] ${prior2[i]} vs ${x / z2}`));
  const named = await run(...argv, '--dist', `law.json=${join(tmp, 'other.json')}`);
  assert.equal(named.json!['prior'], prior2);
  rmSync(join(tmp, 'law.json'));
  const absent = await run(...argv);
  assert.match(absent.error!.message, /the kernel resets to "law\.json", which is not at .*law\.json: pass it with --dist FILE/);
  const wrong = await run(masking, '--vocab', '8', '--t', '0.5', '--x0', '1', '--reference', '--dist', join(tmp, 'other.json'));
  assert.match(wrong.error!.message, /--dist: the kernel has no reset\("FILE"\) channel/);
});

test.after(() => rmSync(tmp, { recursive: true, force: true }));

test.run();
