// `dlmk compare` end to end at a tiny size (two kernels on the toy corpus, a few steps): the runs,
// results.json, results.md and report.html; the report rendered in headless Chromium has data in
// every plot, bars in every bar chart, rows in every table, makes no request, and is saved as a
// screenshot. A rerun reuses the finished runs. `dlmk eval` on one of the runs, with samples.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { withChromium } from '../helpers/chromium.ts';
import { toySpec, writeToyCorpus } from '../runtime/train/toy-corpus.ts';

const root = mkdtempSync(join(tmpdir(), 'dlmk-compare-cli-'));
const corpus = writeToyCorpus(join(root, 'corpus'), 100, 24);
const base = toySpec(corpus, 'masking', { budget: { steps: 12 }, validation: { every: 6, rows: 8, grid: 4 }, checkpoint: { every: 6, keep: 2 } });
delete base['format'];
delete base['kernel'];
delete base['seed'];
(base['data'] as Record<string, unknown>)['cacheDir'] = join(root, 'cache');
const experiment = join(root, 'exp.json');
writeFileSync(
  experiment,
  JSON.stringify({
    format: 'dlmk.experiment/1',
    name: 'mini',
    base,
    kernels: [{ path: 'masking' }, { path: 'semdlm_plus', name: 'plus' }],
    sampling: { steps: [4, 8], samples: 4, show: 2 },
    evaluation: { likelihood: { rows: 4, nodes: 4, strata: 4 }, variance: { batches: 2 }, posterior: { rows: 4, times: [0.3, 0.7] }, repair: { rows: 4, steps: 4, times: [0.5] } },
    synthetic: { enabled: true, budget: { steps: 20 }, samples: 32, steps: 4, documents: { train: 128, validation: 16, test: 16 } },
  }),
);
const out = join(root, 'out');
const dlmk = (args: string[]) => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], { encoding: 'utf8' });
  assert.not.match(r.stderr, /\n\s+at .*\(/, 'no stack trace');
  return r;
};

test('dlmk compare trains, evaluates and samples each kernel; prints the table and where the report is', () => {
  const r = dlmk(['compare', experiment, '--out', out, '--quiet']);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /\| kernel \| val NELBO \(nats\/tok\) \| PPL bound \| test NELBO \(quadrature\)/);
  for (const k of ['masking', 'plus', 'held-out data', 'AR reference']) assert.match(r.stdout, new RegExp(`\\| ${k}`));
  assert.match(r.stdout, /report: .*report\.html/);
  const res = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as { runs: { label: string; sampling?: { steps: number; quality: { genPpl: number; entropy: number } }[]; evaluation?: { likelihood: { quadrature: { nats: number } } } }[] };
  assert.equal(res.runs.map((x) => x.label), ['masking', 'plus', 'ar']);
  for (const run of res.runs.slice(0, 2)) {
    assert.equal(run.sampling!.map((s) => s.steps), [4, 8]);
    for (const s of run.sampling!) assert.ok(s.quality.genPpl > 1 && s.quality.entropy > 0);
    assert.ok(run.evaluation!.likelihood.quadrature.nats > 0);
  }
  for (const f of ['results.md', 'report.html', 'runs/masking-s0/run.json', 'runs/plus-s0/kernel.spec.json', 'runs/ar-s0/run.json', 'synthetic/plus/run.json']) assert.ok(existsSync(join(out, f)), f);
  // The synthetic decomposition: the three parts sum to the total, for each kernel.
  const syn = (JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as { synthetic: { kernels: { name: string; decomposition: { parts: Record<string, { value: number }> } }[] } }).synthetic;
  assert.equal(syn.kernels.map((k) => k.name), ['masking', 'plus']);
  for (const k of syn.kernels) {
    const p = k.decomposition.parts;
    assert.ok(Math.abs(p['approximation']!.value + p['sampling']!.value + p['mismatch']!.value - p['total']!.value) < 1e-12);
  }
});

test('report.html in headless Chromium: every plot has points, every bar chart bars, every table rows; no request', async () => {
  await withChromium(async (ctx) => {
    const page = ctx.pages()[0] ?? (await ctx.newPage());
    const requests: string[] = [];
    page.on('request', (x) => requests.push(x.url()));
    const url = pathToFileURL(join(out, 'report.html')).href;
    await page.goto(url, { waitUntil: 'load' });
    const got = (await page.evaluate(`(() => {
      const q = (root, sel) => Array.from(root.querySelectorAll(sel));
      return {
        plots: q(document, 'figure[data-block="plot"]').map((f) => f.querySelectorAll('[data-point]').length),
        bars: q(document, 'figure[data-block="bars"]').map((f) => f.querySelectorAll('rect[data-bar]').length),
        tables: q(document, 'table[data-table]').map((t) => t.querySelectorAll('tbody tr[data-row]').length),
        samples: q(document, 'pre.sample[data-sample]').length,
      };
    })()`)) as { plots: number[]; bars: number[]; tables: number[]; samples: number };
    assert.ok(got.plots.length >= 6, `plots: ${got.plots}`);
    got.plots.forEach((n, i) => assert.ok(n > 0, `plot ${i} has no point`));
    assert.ok(got.bars.length >= 4, `bar charts: ${got.bars}`);
    got.bars.forEach((n, i) => assert.ok(n > 0, `bar chart ${i} has no bar`));
    assert.ok(got.tables.length >= 2);
    got.tables.forEach((n, i) => assert.ok(n >= 2, `table ${i} has ${n} rows`));
    assert.is(got.samples, 2 * 2);
    assert.equal(requests, [url], 'the page loads nothing else');
    const shot = join(root, 'report.png');
    await page.screenshot({ path: shot, fullPage: true });
    console.log(`  screenshot: ${shot}`);
  });
});

test('a rerun reuses the finished runs', () => {
  const t0 = performance.now();
  const r = dlmk(['compare', experiment, '--out', out]);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stderr, /training masking \(seed 0\)/);
  assert.not.match(r.stderr, /checkpoint .*step-00000012/, 'nothing retrained');
  console.log(`  rerun: ${((performance.now() - t0) / 1000).toFixed(0)} s`);
});

test('dlmk eval: the likelihood of a run, and the quality of its samples under the AR reference; bad input', () => {
  const samples = join(root, 's.jsonl');
  assert.is(dlmk(['sample', join(out, 'runs/masking-s0'), '--n', '4', '--steps', '8', '--out', samples, '--quiet']).status, 0);
  const r = dlmk(['eval', join(out, 'runs/masking-s0'), '--parts', 'likelihood', '--rows', '4', '--samples', samples, '--reference', join(out, 'runs/ar-s0')]);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /test NELBO: [\d.]+ ± [\d.]+ nats\/token by quadrature, [\d.]+ ± [\d.]+ by Monte Carlo/);
  assert.match(r.stdout, /samples \(4\): gen-PPL [\d.]+, entropy [\d.]+, distinct-1\/2\/3/);
  const bad = dlmk(['eval', join(out, 'runs/masking-s0'), '--parts', 'likelihod']);
  assert.is(bad.status, 2);
  assert.match(bad.stderr, /unknown part 'likelihod'/);
  const notAr = dlmk(['eval', join(out, 'runs/masking-s0'), '--parts', 'none', '--samples', samples, '--reference', join(out, 'runs/plus-s0')]);
  assert.is(notAr.status, 1);
  assert.match(notAr.stderr, /is not an autoregressive run/);
  const badExp = dlmk(['compare', experiment, '--set', 'kernels=[]', '--out', join(root, 'x')]);
  assert.is(badExp.status, 1);
  assert.match(badExp.stderr, /\$\.kernels: must NOT have fewer than 1 items/);
});

test.run();
