// Grouped bar charts with error bars as inline SVG: one band per group, one bar per series in
// it. Bars are <rect data-bar> in their series' <g data-series>; a missing (null) or undrawable
// value leaves a gap and a note.
import { esc } from './escape.ts';
import { formatNumber } from './format.ts';
import { frame, HEIGHT, leftMargin, legend, n2, textWidth, WIDTH, yAxis, yPx, type Box } from './frame.ts';
import { ReportError, type Axis, type BarSeries } from './model.ts';
import type { Looks } from './palette.ts';
import { countDrop, dropNote } from './plot.ts';
import { inRange, makeScale } from './scale.ts';

export function renderBars(b: { title: string; groups: readonly string[]; series: readonly BarSeries[]; y: Axis; note?: string }, looks: Looks, index: number): string {
  const G = b.groups.length;
  for (const s of b.series) {
    if (s.values.length !== G) throw new ReportError(`bars '${b.title}', series '${s.name}': ${s.values.length} values for ${G} groups`);
    if (s.errors && s.errors.length !== G) throw new ReportError(`bars '${b.title}', series '${s.name}': ${s.errors.length} errors for ${G} groups`);
  }
  const ok = (v: number | null | undefined): v is number => v !== null && v !== undefined && Number.isFinite(v) && (!b.y.log || v > 0);
  const vals: number[] = [];
  for (const s of b.series) {
    s.values.forEach((v, g) => {
      if (!ok(v)) return;
      vals.push(v);
      const e = s.errors?.[g];
      if (e !== null && e !== undefined && Number.isFinite(e) && e > 0) {
        vals.push(v + e);
        if (!b.y.log || v - e > 0) vals.push(v - e);
      }
    });
  }
  const sy = makeScale(vals, b.y, 5, !b.y.log);
  const S = Math.max(1, b.series.length);
  const plotW = WIDTH - 18 - leftMargin(sy);
  const band = plotW / Math.max(1, G);
  const widest = Math.max(0, ...b.groups.map((g) => textWidth(g)));
  const rotate = widest > band - 6;
  const bottomPad = rotate ? Math.min(110, Math.ceil(widest * 0.82) + 22) : 30;
  const box: Box = { left: leftMargin(sy), top: 12, right: WIDTH - 18, bottom: HEIGHT - bottomPad };
  const base = n2(b.y.log ? box.bottom : yPx(sy, box, Math.min(Math.max(0, sy.lo), sy.hi)));
  const inner = band * 0.78;
  const barW = inner / S;

  const drops = new Map<'non-finite' | 'log' | 'range', Map<string, number>>();
  const missing = new Map<string, number>();
  const layers: string[] = [];
  const entries = [];
  let drawn = 0;
  for (const [si, s] of b.series.entries()) {
    const look = looks.of(s.name);
    const parts: string[] = [];
    let count = 0;
    s.values.forEach((v, g) => {
      const x = box.left + g * band + (band - inner) / 2 + si * barW;
      if (v === null) {
        missing.set(s.name, (missing.get(s.name) ?? 0) + 1);
        parts.push(`<text class="missing" data-missing="${g}" x="${n2(x + barW / 2)}" y="${base - 4}" text-anchor="middle">n/a</text>`);
        return;
      }
      if (!Number.isFinite(v)) return countDrop(drops, 'non-finite', s.name);
      if (b.y.log && !(v > 0)) return countDrop(drops, 'log', s.name);
      if (!inRange(sy, v)) return countDrop(drops, 'range', s.name);
      const yv = n2(yPx(sy, box, v));
      const e = s.errors?.[g];
      const hasErr = e !== null && e !== undefined && Number.isFinite(e) && e > 0;
      const tip = `${s.name} — ${b.groups[g]!}\n${b.y.label}: ${formatNumber(v, 6)}${hasErr ? ` ± ${formatNumber(e, 4)}` : ''}`;
      const w = n2(Math.max(1, barW - 2));
      parts.push(
        `<rect class="bar" data-bar="${g}" data-group="${esc(b.groups[g]!)}" data-value="${v}" x="${n2(x + 1)}" y="${Math.min(yv, base)}" width="${w}" height="${n2(Math.abs(base - yv))}" fill="${look.color}"><title>${esc(tip)}</title></rect>`,
      );
      if (hasErr) {
        const clampY = (u: number) => n2(Math.max(box.top, Math.min(box.bottom, yPx(sy, box, u))));
        const lo = b.y.log && v - e <= 0 ? box.bottom : clampY(Math.max(v - e, sy.lo));
        const hi = clampY(Math.min(v + e, sy.hi));
        const cx = n2(x + barW / 2);
        const cap = n2(Math.min(5, barW / 3));
        parts.push(`<path class="err" data-error="${g}" d="M${cx},${lo}V${hi}M${n2(cx - cap)},${hi}h${n2(2 * cap)}M${n2(cx - cap)},${lo}h${n2(2 * cap)}"><title>${esc(tip)}</title></path>`);
      }
      count++;
    });
    drawn += count;
    layers.push(`<g class="series" data-series="${esc(s.name)}" data-series-index="${si}" data-bars="${count}">${parts.join('')}</g>`);
    entries.push({ name: s.name, look, line: false, markers: false, bar: true, empty: count === 0 });
  }
  const labels = b.groups.map((g, i) => {
    const cx = n2(box.left + (i + 0.5) * band);
    const y = box.bottom + 16;
    return rotate
      ? `<text class="tick group" x="${cx}" y="${y}" text-anchor="end" transform="rotate(-35 ${cx} ${y})">${esc(g)}</text>`
      : `<text class="tick group" x="${cx}" y="${y}" text-anchor="middle">${esc(g)}</text>`;
  });
  const zero = !b.y.log && sy.lo < 0 ? `<line class="zero" x1="${box.left}" x2="${box.right}" y1="${base}" y2="${base}"/>` : '';
  const empty = drawn === 0 ? `<text class="no-data" x="${n2((box.left + box.right) / 2)}" y="${n2((box.top + box.bottom) / 2)}" text-anchor="middle">No data</text>` : '';
  const svg =
    `<svg class="chart" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" role="img" aria-label="${esc(b.title)}">` +
    yAxis(sy, box, b.y.label) +
    `<g class="axis axis-x">${labels.join('')}</g>` +
    layers.join('') +
    zero +
    frame(box) +
    empty +
    '</svg>';
  const notes = [...(b.note ? [b.note] : []), ...dropNote(drops, 'value')];
  let nMissing = 0;
  for (const n of missing.values()) nMissing += n;
  if (nMissing) notes.push(`Missing: ${nMissing} value${nMissing === 1 ? '' : 's'} (n/a): ${[...missing].map(([k, n]) => `${k} (${n})`).join(', ')}.`);
  return (
    `<figure class="fig" id="fig-${index}" data-block="bars" data-title="${esc(b.title)}" data-drawn="${drawn}">` +
    `<figcaption>${esc(b.title)}</figcaption>` +
    legend(entries) +
    `<div class="chart-wrap">${svg}</div>` +
    notes.map((n) => `<p class="note">${esc(n)}</p>`).join('') +
    '</figure>'
  );
}
