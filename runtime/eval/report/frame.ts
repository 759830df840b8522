// The shared parts of a chart: plot-area geometry, grid lines, numeric axes and the legend.
import { esc } from './escape.ts';
import { markerPath, type Look } from './palette.ts';
import type { Scale } from './scale.ts';

export const WIDTH = 560;
export const HEIGHT = 330;
const TICK_FONT_PX = 11;

/** The plot area inside the SVG. */
export interface Box {
  readonly left: number;
  readonly top: number;
  readonly right: number;
  readonly bottom: number;
}

/** A rough width of a label in the tick font (no layout engine on the host). */
export function textWidth(s: string, px = TICK_FONT_PX): number {
  let w = 0;
  for (const c of s) w += /[0-9]/.test(c) ? 0.56 : /[.,:;il1|' ]/.test(c) ? 0.3 : /[A-Z@%mwMW]/.test(c) ? 0.78 : 0.55;
  return w * px;
}

export const n2 = (v: number) => Number(v.toFixed(2));

/** Left margin wide enough for the y tick labels and the rotated y label. */
export function leftMargin(y: Scale): number {
  const widest = Math.max(0, ...y.ticks.map((t) => textWidth(y.label(t))));
  return Math.ceil(widest + 8 + 26);
}

export function yPx(s: Scale, box: Box, v: number): number {
  return box.bottom - s.pos(v) * (box.bottom - box.top);
}

export function xPx(s: Scale, box: Box, v: number): number {
  return box.left + s.pos(v) * (box.right - box.left);
}

/** Horizontal grid lines, y ticks and labels, the y axis title. */
export function yAxis(s: Scale, box: Box, title: string): string {
  const parts: string[] = ['<g class="axis axis-y">'];
  for (const t of s.ticks) {
    const y = n2(yPx(s, box, t));
    parts.push(`<line class="grid" x1="${box.left}" x2="${box.right}" y1="${y}" y2="${y}"/>`);
    parts.push(`<text class="tick" x="${box.left - 7}" y="${y}" dy="0.32em" text-anchor="end">${esc(s.label(t))}</text>`);
  }
  const cy = n2((box.top + box.bottom) / 2);
  parts.push(`<text class="axis-title" transform="translate(13,${cy}) rotate(-90)" text-anchor="middle">${esc(title)}${s.log ? ' (log)' : ''}</text>`);
  parts.push('</g>');
  return parts.join('');
}

/** Vertical grid lines, x ticks and labels, the x axis title, and the frame's base line. */
export function xAxis(s: Scale, box: Box, title: string): string {
  const parts: string[] = ['<g class="axis axis-x">'];
  for (const t of s.ticks) {
    const x = n2(xPx(s, box, t));
    parts.push(`<line class="grid" x1="${x}" x2="${x}" y1="${box.top}" y2="${box.bottom}"/>`);
    parts.push(`<line class="tick-mark" x1="${x}" x2="${x}" y1="${box.bottom}" y2="${box.bottom + 4}"/>`);
    parts.push(`<text class="tick" x="${x}" y="${box.bottom + 17}" text-anchor="middle">${esc(s.label(t))}</text>`);
  }
  parts.push(`<text class="axis-title" x="${n2((box.left + box.right) / 2)}" y="${HEIGHT - 8}" text-anchor="middle">${esc(title)}${s.log ? ' (log)' : ''}</text>`);
  parts.push('</g>');
  return parts.join('');
}

/** The frame: left and bottom axis lines. */
export function frame(box: Box): string {
  return `<path class="frame" d="M${box.left},${box.top}V${box.bottom}H${box.right}"/>`;
}

export interface LegendEntry {
  readonly name: string;
  readonly look: Look;
  readonly line: boolean;
  readonly markers: boolean;
  readonly bar?: boolean;
  readonly empty: boolean;
}

export function legend(entries: readonly LegendEntry[]): string {
  if (entries.length === 0) return '';
  const items = entries.map((e) => {
    const { color, shape } = e.look;
    const icon = e.bar
      ? `<rect x="5" y="1" width="14" height="10" rx="2" fill="${color}"/>`
      : (e.line ? `<line x1="1" x2="23" y1="6" y2="6" stroke="${color}" stroke-width="2.2" stroke-linecap="round"/>` : '') +
        (e.markers || !e.line ? `<path d="${markerPath(shape, 12, 6, 3.6)}" fill="${color}" stroke="#fff" stroke-width="0.8"/>` : '');
    return `<li data-legend="${esc(e.name)}"${e.empty ? ' class="empty"' : ''}><svg width="24" height="12" aria-hidden="true">${icon}</svg>${esc(e.name)}${e.empty ? ' <span class="muted">(no data)</span>' : ''}</li>`;
  });
  return `<ul class="legend">${items.join('')}</ul>`;
}
