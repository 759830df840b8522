// The text blocks of a report: headings, paragraphs, tables and side-by-side samples.
import { esc } from './escape.ts';
import { formatNumber } from './format.ts';
import { ReportError, type Cell } from './model.ts';

/** An id for a heading: its index and a slug of its text. */
export function headingId(index: number, text: string): string {
  const slug = text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 40);
  return `s${index}${slug ? '-' + slug : ''}`;
}

export function renderHeading(text: string, level: 2 | 3, index: number): string {
  if (level !== 2 && level !== 3) throw new ReportError(`heading '${text}': level must be 2 or 3`);
  return `<h${level} id="${headingId(index, text)}" data-block="heading">${esc(text)}</h${level}>`;
}

/** Blank lines separate paragraphs; a single newline is a line break. */
export function renderText(text: string): string {
  const paras = text
    .split(/\n[ \t]*\n/)
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
  return paras.map((p) => `<p class="text" data-block="text">${p.split('\n').map(esc).join('<br>')}</p>`).join('');
}

export function renderTable(
  b: { caption?: string; columns: readonly string[]; rows: readonly (readonly Cell[])[]; note?: string; digits?: number; best?: Readonly<Record<string, 'min' | 'max'>> },
  index: number,
): string {
  const C = b.columns.length;
  const where = `table${b.caption ? ` '${b.caption}'` : ` ${index}`}`;
  b.rows.forEach((r, i) => {
    if (r.length !== C) throw new ReportError(`${where}: row ${i} has ${r.length} cells for ${C} columns`);
  });
  const digits = b.digits ?? 4;
  if (!(Number.isInteger(digits) && digits >= 1 && digits <= 17)) throw new ReportError(`${where}: digits must be an integer in 1..17`);
  // A column is numeric when every non-null cell is a number.
  const numeric = b.columns.map((_, c) => b.rows.some((r) => r[c] !== null) && b.rows.every((r) => r[c] === null || typeof r[c] === 'number'));
  const bestValue = new Map<number, number>();
  for (const [name, dir] of Object.entries(b.best ?? {})) {
    const c = b.columns.indexOf(name);
    if (c < 0) throw new ReportError(`${where}: 'best' names column '${name}', which the table does not have`);
    if (dir !== 'min' && dir !== 'max') throw new ReportError(`${where}: best['${name}'] must be 'min' or 'max'`);
    const vals = b.rows.map((r) => r[c]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
    if (vals.length) bestValue.set(c, dir === 'min' ? Math.min(...vals) : Math.max(...vals));
  }
  const head = b.columns.map((c, i) => `<th scope="col"${numeric[i] ? ' class="num"' : ''}>${esc(c)}</th>`).join('');
  const body = b.rows.map((r, i) => {
    const cells = r.map((v, c) => {
      if (v === null) return `<td class="${numeric[c] ? 'num ' : ''}na">—</td>`;
      if (typeof v === 'number') {
        const best = bestValue.get(c) === v ? ' best' : '';
        return `<td class="num${best}" title="${esc(String(v))}">${esc(formatNumber(v, digits))}</td>`;
      }
      return `<td${numeric[c] ? ' class="num"' : ''}>${esc(v)}</td>`;
    });
    return `<tr data-row="${i}">${cells.join('')}</tr>`;
  });
  const empty = b.rows.length === 0 ? `<tr class="empty"><td colspan="${Math.max(1, C)}">No rows</td></tr>` : '';
  const notes = [b.note, bestValue.size ? `Bold: the best value of ${[...bestValue.keys()].map((c) => `‘${b.columns[c]!}’ (${b.best![b.columns[c]!]})`).join(', ')}.` : undefined].filter((n): n is string => !!n);
  return (
    `<div class="table-block" data-block="table"><div class="table-wrap"><table class="data" data-table="${index}" data-rows="${b.rows.length}">` +
    (b.caption ? `<caption>${esc(b.caption)}</caption>` : '') +
    `<thead><tr>${head}</tr></thead><tbody>${body.join('')}${empty}</tbody></table></div>` +
    notes.map((n) => `<p class="note">${esc(n)}</p>`).join('') +
    '</div>'
  );
}

export function renderSamples(b: { title: string; columns: readonly { name: string; texts: readonly string[] }[]; note?: string }): string {
  const N = b.columns.length;
  const rows = Math.max(0, ...b.columns.map((c) => c.texts.length));
  const cells: string[] = ['<div class="sample-head"></div>'];
  for (const c of b.columns) cells.push(`<div class="sample-head" data-samples-column="${esc(c.name)}">${esc(c.name)} <span class="muted">(${c.texts.length})</span></div>`);
  for (let i = 0; i < rows; i++) {
    cells.push(`<div class="sample-index">${i + 1}</div>`);
    for (const c of b.columns) {
      const t = c.texts[i];
      cells.push(t === undefined ? '<div class="sample none"></div>' : `<pre class="sample" data-sample="${i}" data-column="${esc(c.name)}">${esc(t)}</pre>`);
    }
  }
  return (
    `<section class="samples" data-block="samples"><h3 class="block-title">${esc(b.title)}</h3>` +
    (N === 0 || rows === 0 ? '<p class="note">No samples.</p>' : `<div class="samples-grid" style="grid-template-columns: 2.2em repeat(${N}, minmax(0, 1fr))">${cells.join('')}</div>`) +
    (b.note ? `<p class="note">${esc(b.note)}</p>` : '') +
    '</section>'
  );
}
