// Line and scatter plots as inline SVG. Every drawn point is a <path data-point> inside its
// series' <g data-series>, with an SVG <title> tooltip; points that cannot be drawn (non-finite,
// <= 0 on a log axis, outside a fixed range) are left out and counted in a note under the plot.
import { esc } from './escape.ts';
import { formatNumber } from './format.ts';
import { frame, HEIGHT, leftMargin, legend, n2, WIDTH, xAxis, xPx, yAxis, yPx, type Box } from './frame.ts';
import { ReportError, type Axis, type Series } from './model.ts';
import { markerPath, type Looks } from './palette.ts';
import { inRange, makeScale } from './scale.ts';

type Drop = 'non-finite' | 'log' | 'range';

const REASON: Record<Drop, string> = {
  'non-finite': 'with a non-finite value (NaN or ±Infinity)',
  log: 'with a value ≤ 0 on a log axis',
  range: 'outside the fixed axis range',
};

/** "3 points with ...: a (2), b (1)." for each reason with drops. */
export function dropNote(drops: Map<Drop, Map<string, number>>, what = 'point'): string[] {
  const out: string[] = [];
  for (const [reason, bySeries] of drops) {
    let total = 0;
    for (const n of bySeries.values()) total += n;
    if (total === 0) continue;
    const list = [...bySeries].map(([name, n]) => `${name} (${n})`).join(', ');
    out.push(`Left out: ${total} ${what}${total === 1 ? '' : 's'} ${REASON[reason]}: ${list}.`);
  }
  return out;
}

export function countDrop(drops: Map<Drop, Map<string, number>>, reason: Drop, series: string): void {
  let m = drops.get(reason);
  if (!m) drops.set(reason, (m = new Map()));
  m.set(series, (m.get(series) ?? 0) + 1);
}

export function renderPlot(b: { title: string; x: Axis; y: Axis; series: readonly Series[]; note?: string }, looks: Looks, index: number): string {
  b.series.forEach((s) => {
    if (s.labels && s.labels.length !== s.points.length) throw new ReportError(`plot '${b.title}', series '${s.name}': ${s.labels.length} labels for ${s.points.length} points`);
    const m = s.mode ?? 'markers';
    if (m !== 'line' && m !== 'markers' && m !== 'both') throw new ReportError(`plot '${b.title}', series '${s.name}': mode must be 'line', 'markers' or 'both'`);
  });
  const drops = new Map<Drop, Map<string, number>>();
  const usable = (v: number, log: boolean | undefined) => Number.isFinite(v) && (!log || v > 0);
  const xs: number[] = [];
  const ys: number[] = [];
  for (const s of b.series) {
    for (const [x, y] of s.points) {
      if (usable(x, b.x.log) && usable(y, b.y.log)) {
        xs.push(x);
        ys.push(y);
      }
    }
  }
  const sx = makeScale(xs, b.x, 6);
  const sy = makeScale(ys, b.y, 5);
  const box: Box = { left: leftMargin(sy), top: 12, right: WIDTH - 18, bottom: HEIGHT - 46 };

  const layers: string[] = [];
  const entries = [];
  let drawn = 0;
  for (const [si, s] of b.series.entries()) {
    const look = looks.of(s.name);
    const mode = s.mode ?? 'markers';
    const pts: string[] = [];
    let d = '';
    let pen = false;
    for (const [j, [x, y]] of s.points.entries()) {
      let reason: Drop | null = null;
      if (!Number.isFinite(x) || !Number.isFinite(y)) reason = 'non-finite';
      else if ((b.x.log && !(x > 0)) || (b.y.log && !(y > 0))) reason = 'log';
      else if (!inRange(sx, x) || !inRange(sy, y)) reason = 'range';
      if (reason) {
        countDrop(drops, reason, s.name);
        pen = false;
        continue;
      }
      const px = n2(xPx(sx, box, x));
      const py = n2(yPx(sy, box, y));
      d += `${pen ? 'L' : 'M'}${px},${py}`;
      pen = true;
      const tip = `${s.name}\n${b.x.label}: ${formatNumber(x, 6)}\n${b.y.label}: ${formatNumber(y, 6)}${s.labels ? '\n' + s.labels[j]! : ''}`;
      const cls = mode === 'line' ? 'pt hit' : 'pt';
      pts.push(`<path class="${cls}" data-point="${j}" data-x="${x}" data-y="${y}" d="${markerPath(look.shape, px, py, 4)}" fill="${look.color}"><title>${esc(tip)}</title></path>`);
    }
    drawn += pts.length;
    const line = mode !== 'markers' && d ? `<path class="line" d="${d}" stroke="${look.color}"/>` : '';
    layers.push(`<g class="series" data-series="${esc(s.name)}" data-series-index="${si}" data-points="${pts.length}">${line}${pts.join('')}</g>`);
    entries.push({ name: s.name, look, line: mode !== 'markers', markers: mode !== 'line', empty: pts.length === 0 });
  }
  const empty = drawn === 0 ? `<text class="no-data" x="${n2((box.left + box.right) / 2)}" y="${n2((box.top + box.bottom) / 2)}" text-anchor="middle">No data</text>` : '';
  const svg =
    `<svg class="chart" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" role="img" aria-label="${esc(b.title)}">` +
    yAxis(sy, box, b.y.label) +
    xAxis(sx, box, b.x.label) +
    frame(box) +
    layers.join('') +
    empty +
    '</svg>';
  const notes = [...(b.note ? [b.note] : []), ...dropNote(drops)];
  return (
    `<figure class="fig" id="fig-${index}" data-block="plot" data-title="${esc(b.title)}" data-drawn="${drawn}">` +
    `<figcaption>${esc(b.title)}</figcaption>` +
    legend(entries) +
    `<div class="chart-wrap">${svg}</div>` +
    notes.map((n) => `<p class="note">${esc(n)}</p>`).join('') +
    '</figure>'
  );
}
