// The report renderer: the HTML as a string (escaping, determinism, errors, round ticks), then the
// page in headless Chromium (playwright-core, /usr/bin/chromium): every plot has its points, every
// bar chart its bars, every table its rows, no request leaves the page, no console error; a
// screenshot is saved to a temp dir and its path printed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { withChromium } from '../../helpers/chromium.ts';
import { formatNumber, renderReport, ReportError, type ReportBlock, type ReportDocument } from '../../../runtime/eval/index.ts';
import { makeScale } from '../../../runtime/eval/report/scale.ts';

const KERNELS = ['masking', 'uniform', 'semdlm', 'semdlm_plus'];

function demo(): ReportDocument {
  const steps = [16, 32, 64, 128, 256, 512, 1024];
  const ppl: Record<string, number[]> = {
    masking: [162.1, 121.4, 98.2, 84.9, 78.3, 74.6, 72.8],
    uniform: [141.3, 118.9, 104.2, 97.5, 93.1, 91.8, 90.9],
    semdlm: [128.4, 101.7, 86.1, 77.2, NaN, 70.4, 69.9],
    semdlm_plus: [118.2, 94.3, 79.6, 71.8, 67.5, 65.9, Infinity],
  };
  const entropy: Record<string, number[]> = {
    masking: [5.61, 5.58, 5.55, 5.52, 5.49, 5.47, 5.46],
    uniform: [5.66, 5.64, 5.63, 5.61, 5.6, 5.6, 5.59],
    semdlm: [5.59, 5.55, 5.5, 5.46, 5.43, 5.41, 5.4],
    semdlm_plus: [5.63, 5.6, 5.57, 5.55, 5.53, 5.52, 5.52],
  };
  const blocks: ReportBlock[] = [
    { kind: 'heading', text: 'Summary' },
    {
      kind: 'text',
      text: 'Four kernels trained for 200k steps on the same corpus, sampled with 1024 steps.\n\nLow gen-PPL with low entropy is collapse, not quality: read the two together. <script>alert("not run")</script> & other "markup" stays text.',
    },
    {
      kind: 'table',
      caption: 'Generation metrics (1024 steps, 256 samples of 128 tokens)',
      columns: ['kernel', 'gen-PPL', 'entropy', 'distinct-2', 'self-BLEU', 'seq-rep-4', 'basin', 'tokens/s'],
      rows: [
        ['masking', 72.84, 5.462, 0.8731, 0.2914, 0.0121, 0.4112, 18234],
        ['uniform', 90.91, 5.591, 0.9012, 0.2533, 0.0087, 0.3826, 17920],
        ['semdlm', 69.93, 5.401, 0.8544, 0.3105, 0.0168, 0.5231, null],
        ['semdlm_plus', 65.87, 5.521, 0.8893, 0.2788, 0.0102, 0.4967, 16011],
      ],
      best: { 'gen-PPL': 'min', entropy: 'max', 'self-BLEU': 'min' },
      note: 'gen-PPL under a GPT-2 small reference model; entropy in nats per sample.',
    },
    { kind: 'heading', text: 'Quality and diversity' },
    {
      kind: 'plot',
      title: 'Generative perplexity vs sampling steps',
      x: { label: 'sampling steps', log: true },
      y: { label: 'gen-PPL', log: true },
      series: KERNELS.map((k) => ({ name: k, mode: 'both' as const, points: steps.map((s, i) => [s, ppl[k]![i]!] as [number, number]) })),
    },
    {
      kind: 'plot',
      title: 'Entropy vs gen-PPL (frontier)',
      x: { label: 'gen-PPL' },
      y: { label: 'unigram entropy (nats)' },
      series: KERNELS.map((k) => ({
        name: k,
        mode: 'markers' as const,
        points: steps.map((_, i) => [ppl[k]![i]!, entropy[k]![i]!] as [number, number]),
        labels: steps.map((s) => `${s} steps`),
      })),
      note: 'Each point is one step count; up and to the left is better.',
    },
    {
      kind: 'bars',
      title: 'distinct-n (mean ± s.e. over 5 seeds)',
      groups: ['distinct-1', 'distinct-2', 'distinct-3'],
      y: { label: 'unique / total n-grams', min: 0, max: 1 },
      series: [
        { name: 'masking', values: [0.412, 0.873, 0.967], errors: [0.004, 0.006, 0.003] },
        { name: 'uniform', values: [0.445, 0.901, 0.978], errors: [0.005, 0.004, 0.002] },
        { name: 'semdlm', values: [0.398, 0.854, null], errors: [0.006, 0.007, null] },
        { name: 'semdlm_plus', values: [0.431, 0.889, 0.972], errors: [0.004, 0.005, 0.003] },
      ],
    },
    {
      kind: 'plot',
      title: 'Training loss',
      x: { label: 'step' },
      y: { label: 'ELBO (nats/token)', min: 2.5 },
      series: [
        ...KERNELS.map((k, i) => ({
          name: k,
          mode: 'line' as const,
          points: Array.from({ length: 41 }, (_, t) => [t * 5000, 2.6 + 4.8 * Math.exp(-t / (6 + i)) + 0.05 * i + 0.02 * Math.sin(t)] as [number, number]),
        })),
        { name: 'AR baseline', mode: 'line' as const, points: [] },
      ],
    },
    {
      kind: 'bars',
      title: 'Basin score and community entropy',
      groups: ['basin score', 'community entropy / 4'],
      y: { label: 'value' },
      series: KERNELS.map((k, i) => ({ name: k, values: [0.41 - 0.03 * i + 0.1 * (i >> 1), 0.62 + 0.04 * i], errors: [0.01, 0.02] })),
    },
    { kind: 'heading', text: 'Samples' },
    {
      kind: 'samples',
      title: 'First three samples of each kernel',
      columns: KERNELS.slice(0, 3).map((k, i) => ({
        name: k,
        texts: [
          `The committee said on Tuesday that the ${k} proposal would be reviewed <again> & "soon".`,
          'a b c '.repeat(12 + 4 * i),
          ...(i === 1 ? [] : ['Line one\nline two\n\tindented line three']),
        ],
      })),
    },
    { kind: 'heading', text: 'Edge cases', level: 3 },
    {
      kind: 'plot',
      title: 'A plot with nothing to draw',
      x: { label: 'x' },
      y: { label: 'y', log: true },
      series: [
        { name: 'all bad', points: [[NaN, 1], [1, -2], [2, 0], [Infinity, 3]] },
        { name: 'empty', points: [] },
      ],
    },
    { kind: 'table', columns: ['a', 'b'], rows: [] },
  ];
  return {
    title: 'dlmk compare: masking vs uniform vs SemDLM vs SemDLM+',
    subtitle: 'OpenWebText, small DiT (12 layers, d = 768), L = 128',
    settings: { corpus: 'openwebtext (tokens 0..50256)', 'reference model': 'gpt2', samples: '256 × 128 tokens', seeds: '0, 1, 2, 3, 4', 'sampling steps': '16 … 1024', date: '2026-01-01' },
    blocks,
    footer: 'dlmk 0.1.0',
  };
}

/** What the page shows, read from its DOM in the browser. */
interface Probe {
  plots: number[][];
  plotDrawnAttr: number[][];
  bars: number[][];
  errorBars: number;
  legends: number[];
  tables: number[];
  samples: number;
  scripts: number;
  bodyText: string;
  ticks: { log: boolean; labels: string[] }[];
  tooltips: number;
  points: number;
  overflow: boolean;
}

const PROBE = `(() => {
  const q = (root, sel) => Array.from(root.querySelectorAll(sel));
  return {
    plots: q(document, 'figure[data-block="plot"]').map((f) => q(f, 'g[data-series]').map((g) => g.querySelectorAll('[data-point]').length)),
    plotDrawnAttr: q(document, 'figure[data-block="plot"]').map((f) => q(f, 'g[data-series]').map((g) => Number(g.getAttribute('data-points')))),
    bars: q(document, 'figure[data-block="bars"]').map((f) => q(f, 'g[data-series]').map((g) => g.querySelectorAll('rect[data-bar]').length)),
    errorBars: q(document, '[data-error]').length,
    legends: q(document, 'figure').map((f) => f.querySelectorAll('[data-legend]').length),
    tables: q(document, 'table[data-table]').map((t) => t.querySelectorAll('tbody tr[data-row]').length),
    samples: q(document, 'pre.sample[data-sample]').length,
    scripts: document.querySelectorAll('script').length,
    bodyText: document.body.innerText,
    ticks: q(document, 'svg .axis').filter((a) => !a.querySelector('text.group')).map((a) => ({
      log: (a.querySelector('.axis-title')?.textContent || '').endsWith('(log)'),
      labels: q(a, 'text.tick').map((t) => t.textContent || ''),
    })),
    tooltips: q(document, '[data-point] > title, rect[data-bar] > title').length,
    points: document.querySelectorAll('[data-point]').length + document.querySelectorAll('rect[data-bar]').length,
    // Every chart fits its card: the page does not scroll sideways.
    overflow: document.documentElement.scrollWidth > document.documentElement.clientWidth,
  };
})()`;

/** What each plot and bar chart should draw, computed from the document (not from the renderer). */
function expected(doc: ReportDocument) {
  const plots: number[][] = [];
  const bars: number[][] = [];
  const tables: number[] = [];
  let samples = 0;
  for (const b of doc.blocks) {
    if (b.kind === 'plot') {
      const ok = (v: number, log?: boolean, min?: number, max?: number) => Number.isFinite(v) && (!log || v > 0) && (min === undefined || v >= min) && (max === undefined || v <= max);
      plots.push(b.series.map((s) => s.points.filter(([x, y]) => ok(x, b.x.log, b.x.min, b.x.max) && ok(y, b.y.log, b.y.min, b.y.max)).length));
    } else if (b.kind === 'bars') bars.push(b.series.map((s) => s.values.filter((v) => v !== null && Number.isFinite(v)).length));
    else if (b.kind === 'table') tables.push(b.rows.length);
    else if (b.kind === 'samples') samples += b.columns.reduce((n, c) => n + c.texts.length, 0);
  }
  return { plots, bars, tables, samples };
}

test('HTML: self-contained, escaped, deterministic', () => {
  const doc = demo();
  const html = renderReport(doc);
  assert.is(renderReport(doc), html, 'same document, same bytes');
  assert.not.match(html, /<script/i);
  assert.not.match(html, /(src|href)="(https?:)?\/\//i);
  assert.not.match(html, /url\(/i);
  assert.ok(html.includes('&lt;script&gt;alert(&quot;not run&quot;)&lt;/script&gt; &amp; other &quot;markup&quot; stays text.'));
  assert.ok(html.includes('&lt;again&gt; &amp; &quot;soon&quot;'));
  assert.ok(html.includes("Content-Security-Policy\" content=\"default-src 'none'"));
  // The notes name what was left out.
  assert.ok(html.includes('Left out: 2 points with a non-finite value (NaN or ±Infinity): semdlm (1), semdlm_plus (1).'), 'NaN note');
  assert.ok(html.includes('Missing: 1 value (n/a): semdlm (1).'));
  assert.ok(html.includes('No data'));
});

test('documents that cannot be drawn are ReportErrors naming the block', () => {
  const bad = (blocks: ReportBlock[], text: string) => {
    try {
      renderReport({ title: 't', settings: {}, blocks });
    } catch (err) {
      assert.instance(err, ReportError);
      assert.ok((err as Error).message.includes(text), (err as Error).message);
      return;
    }
    assert.unreachable(text);
  };
  bad([{ kind: 'table', caption: 'T', columns: ['a', 'b'], rows: [[1]] }], "table 'T': row 0 has 1 cells for 2 columns");
  bad([{ kind: 'table', columns: ['a'], rows: [[1]], best: { z: 'min' } }], "'best' names column 'z'");
  bad([{ kind: 'plot', title: 'P', x: { label: 'x', min: 2, max: 1 }, y: { label: 'y' }, series: [] }], "axis 'x': min (2) must be below max (1)");
  bad([{ kind: 'plot', title: 'P', x: { label: 'x' }, y: { label: 'y' }, series: [{ name: 's', points: [[1, 1]], labels: [] }] }], "plot 'P', series 's': 0 labels for 1 points");
  bad([{ kind: 'bars', title: 'B', groups: ['g1', 'g2'], y: { label: 'y' }, series: [{ name: 's', values: [1] }] }], "bars 'B', series 's': 1 values for 2 groups");
});

test('round ticks: steps of 1, 2, 5 x 10^k, ranges widened to whole steps; log decades', () => {
  assert.equal(makeScale([0.13, 9.7], { label: '' }, 5).ticks, [0, 2, 4, 6, 8, 10]);
  assert.equal(makeScale([2.61, 7.4], { label: '' }, 5).ticks, [2, 3, 4, 5, 6, 7, 8]);
  const s = makeScale([0.0123, 0.0871], { label: '' }, 5);
  assert.equal(s.ticks, [0, 0.02, 0.04, 0.06, 0.08, 0.1]);
  assert.equal(s.ticks.map((t) => s.label(t)), ['0', '0.02', '0.04', '0.06', '0.08', '0.10']);
  assert.equal(makeScale([3, 3], { label: '' }, 5).ticks, [2.7, 2.8, 2.9, 3, 3.1, 3.2, 3.3]);
  assert.equal(makeScale([0.4], { label: '', min: 0, max: 1 }, 5).ticks, [0, 0.2, 0.4, 0.6, 0.8, 1]);
  const lg = makeScale([16, 1024], { label: '', log: true }, 6);
  assert.equal([lg.lo, lg.hi], [10, 2000]);
  assert.equal(lg.ticks, [10, 20, 50, 100, 200, 500, 1000, 2000]);
  assert.equal(lg.ticks.map((t) => lg.label(t)).slice(-2), ['1000', '2000']);
  const narrow = makeScale([65.9, 162.1], { label: '', log: true }, 5);
  assert.equal([narrow.lo, narrow.hi], [50, 200]);
  assert.equal(narrow.ticks, [50, 60, 80, 100, 150, 200]);
  assert.equal(makeScale([3e4, 2e5], { label: '', log: true }, 5).ticks.map((t) => formatNumber(t)), ['20,000', '30,000', '50,000', '100,000', '200,000']);
  assert.equal(makeScale([1e-6, 1e6], { label: '', log: true }, 6).ticks, [1e-6, 1e-4, 0.01, 1, 100, 1e4, 1e6]);
  assert.equal([formatNumber(72.8412), formatNumber(18234), formatNumber(0.000123), formatNumber(-1.5), formatNumber(NaN)], ['72.84', '18,234', '1.23e-4', '-1.500', 'NaN']);
});

test('in headless Chromium: every point, bar, row and sample is there; no request leaves the page; screenshot', async () => {
  const doc = demo();
  const want = expected(doc);
  const dir = mkdtempSync(join(tmpdir(), 'dlmk-report-'));
  const file = join(dir, 'report.html');
  writeFileSync(file, renderReport(doc));
  await withChromium(async (ctx) => {
    const page = ctx.pages()[0] ?? (await ctx.newPage());
    const requests: string[] = [];
    const problems: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    const url = pathToFileURL(file).href;
    await page.goto(url, { waitUntil: 'load' });

    // A string, not a function: tsx would wrap a function's inner arrows in a helper the page lacks.
    const got = (await page.evaluate(PROBE)) as Probe;
    assert.equal(got.plots, want.plots, 'points per series of each plot');
    assert.equal(got.plotDrawnAttr, want.plots, 'data-points attributes');
    assert.equal(got.bars, want.bars, 'bars per series of each bar chart');
    assert.is(got.errorBars, 4 * 3 - 1 + 4 * 2);
    assert.equal(got.tables, want.tables, 'rows per table');
    assert.is(got.samples, want.samples);
    assert.is(got.tooltips, got.points, 'every point and bar has a tooltip');
    assert.equal(got.legends, doc.blocks.flatMap((b) => (b.kind === 'plot' || b.kind === 'bars' ? [b.series.length] : [])));
    assert.is(got.scripts, 0);
    assert.ok(got.bodyText.includes('<script>alert("not run")</script> & other "markup" stays text.'));
    assert.not.ok(got.overflow, 'the page scrolls horizontally');
    // Round ticks: a linear axis steps by 1, 2 or 5 x 10^k from a multiple of the step; a log axis
    // shows 1, 1.5, 2, 3, 4, 5, 6 or 8 x 10^k.
    const mantissa = (v: number) => Number((Math.abs(v) / 10 ** Math.floor(Math.log10(Math.abs(v)))).toPrecision(6));
    for (const { log, labels } of got.ticks) {
      const v = labels.map((t) => Number(t.replace(/,/g, '')));
      assert.ok(v.length >= 2 && v.every(Number.isFinite), `ticks ${labels.join(' ')}`);
      if (log) assert.ok(v.every((x) => [1, 1.5, 2, 3, 4, 5, 6, 8].includes(mantissa(x))), `log ticks ${labels.join(' ')}`);
      else {
        const step = v[1]! - v[0]!;
        assert.ok([1, 2, 5].includes(mantissa(step)), `step of ${labels.join(' ')}`);
        assert.ok(v.every((x, i) => Math.abs(x - v[0]! - i * step) < 1e-9 * Math.abs(step) * v.length && Math.abs(x / step - Math.round(x / step)) < 1e-6), `ticks ${labels.join(' ')}`);
      }
    }
    assert.equal(requests, [url], `requests other than the page itself: ${requests.filter((r) => r !== url).join(', ')}`);
    assert.equal(problems, [], 'console errors (a blocked fetch would be one)');

    const shot = join(dir, 'report.png');
    await page.screenshot({ path: shot, fullPage: true });
    console.log(`  report: ${file}\n  screenshot: ${shot}`);
  });
});

test.run();
