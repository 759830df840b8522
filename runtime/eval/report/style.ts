// The page's one stylesheet (inline; system fonts only, so the page needs nothing from outside).
export const CSS = `
:root {
  --fg: #1f2328; --muted: #59636e; --faint: #818b98; --line: #d1d9e0; --grid: #eaeef2;
  --bg: #f6f8fa; --card: #ffffff; --accent: #4269d0; --best: #e6f4ea;
  --sans: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", "Liberation Sans", Arial, sans-serif;
  --mono: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", "DejaVu Sans Mono", monospace;
}
* { box-sizing: border-box; }
html { background: var(--bg); }
body { margin: 0; color: var(--fg); font: 14px/1.5 var(--sans); -webkit-font-smoothing: antialiased; }
.page { max-width: 1180px; margin: 0 auto; padding: 28px 28px 40px; }
header.top { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 20px 24px 18px; margin-bottom: 22px; border-top: 4px solid var(--accent); }
header.top h1 { margin: 0; font-size: 24px; line-height: 1.25; font-weight: 650; letter-spacing: -0.01em; }
header.top .subtitle { margin: 4px 0 0; color: var(--muted); font-size: 15px; }
dl.settings { display: grid; grid-template-columns: repeat(auto-fill, minmax(200px, 1fr)); gap: 8px 18px; margin: 16px 0 0; padding: 14px 0 0; border-top: 1px solid var(--grid); }
dl.settings div { min-width: 0; }
dl.settings dt { color: var(--muted); font-size: 11.5px; text-transform: uppercase; letter-spacing: 0.04em; }
dl.settings dd { margin: 1px 0 0; font: 13px/1.4 var(--mono); overflow-wrap: anywhere; }
nav.toc { margin: 0 0 18px; font-size: 13px; color: var(--muted); }
nav.toc a { color: var(--accent); text-decoration: none; margin-right: 14px; white-space: nowrap; }
nav.toc a:hover { text-decoration: underline; }
h2 { font-size: 19px; font-weight: 650; margin: 30px 0 10px; padding-bottom: 6px; border-bottom: 1px solid var(--line); }
h3 { font-size: 15.5px; font-weight: 650; margin: 22px 0 8px; }
p.text { max-width: 80ch; margin: 8px 0; }
p.note { color: var(--muted); font-size: 12.5px; margin: 6px 2px 0; }
.muted { color: var(--faint); font-weight: normal; }
.figures { display: grid; grid-template-columns: repeat(auto-fill, minmax(500px, 1fr)); gap: 16px; margin: 12px 0; }
figure.fig { margin: 0; background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 14px 16px 12px; min-width: 0; }
figure.fig figcaption { font-weight: 600; font-size: 14.5px; margin-bottom: 4px; }
.chart-wrap { width: 100%; }
svg.chart { display: block; max-width: 100%; height: auto; overflow: visible; font-family: var(--sans); }
svg.chart .grid { stroke: var(--grid); stroke-width: 1; }
svg.chart .frame { fill: none; stroke: #8c959f; stroke-width: 1; }
svg.chart .tick-mark { stroke: #8c959f; }
svg.chart .zero { stroke: #8c959f; stroke-dasharray: 3 3; }
svg.chart text { fill: var(--muted); font-size: 11px; }
svg.chart text.axis-title { fill: var(--fg); font-size: 12px; font-weight: 500; }
svg.chart text.no-data { fill: var(--faint); font-size: 14px; }
svg.chart text.missing { fill: var(--faint); font-size: 9.5px; }
svg.chart .line { fill: none; stroke-width: 2; stroke-linejoin: round; stroke-linecap: round; }
svg.chart .pt { stroke: #fff; stroke-width: 1; }
svg.chart .pt:hover { stroke: var(--fg); stroke-width: 1.5; }
svg.chart .pt.hit { fill-opacity: 0; stroke-opacity: 0; }
svg.chart .pt.hit:hover { fill-opacity: 1; stroke-opacity: 1; }
svg.chart .bar:hover { filter: brightness(0.9); }
svg.chart .err { stroke: #30363d; stroke-width: 1.3; fill: none; }
ul.legend { list-style: none; display: flex; flex-wrap: wrap; gap: 2px 14px; padding: 0; margin: 2px 0 6px; font-size: 12.5px; }
ul.legend li { display: inline-flex; align-items: center; gap: 5px; }
ul.legend li.empty { color: var(--faint); }
ul.legend li.empty svg { opacity: 0.35; }
.table-block { margin: 12px 0; }
.table-wrap { overflow-x: auto; background: var(--card); border: 1px solid var(--line); border-radius: 10px; }
table.data { border-collapse: collapse; width: 100%; font-size: 13px; }
table.data caption { caption-side: top; text-align: left; font-weight: 600; font-size: 14.5px; padding: 12px 14px 6px; }
table.data th, table.data td { padding: 6px 14px; border-bottom: 1px solid var(--grid); text-align: left; white-space: nowrap; }
table.data thead th { color: var(--muted); font-weight: 600; font-size: 12px; border-bottom: 1px solid var(--line); background: #fbfcfd; }
table.data tbody tr:last-child td { border-bottom: none; }
table.data tbody tr:nth-child(even) td { background: #fafbfc; }
table.data tbody tr:hover td { background: #f0f4fa; }
table.data .num { text-align: right; font-variant-numeric: tabular-nums; }
table.data td.na { color: var(--faint); }
table.data td.best { font-weight: 700; background: var(--best) !important; }
table.data tr.empty td { color: var(--faint); text-align: center; }
section.samples { margin: 12px 0; }
.block-title { margin: 18px 0 8px; }
.samples-grid { display: grid; gap: 8px; align-items: stretch; }
.sample-head { font-weight: 600; font-size: 13px; padding: 0 2px; }
.sample-index { color: var(--faint); font-size: 12px; text-align: right; padding-top: 8px; }
pre.sample { margin: 0; white-space: pre-wrap; overflow-wrap: anywhere; font: 12.5px/1.5 var(--mono); background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 8px 10px; max-height: 16em; overflow: auto; }
.sample.none { border: 1px dashed var(--line); border-radius: 8px; }
footer { margin-top: 36px; padding-top: 12px; border-top: 1px solid var(--line); color: var(--faint); font-size: 12px; }
@media print { html { background: #fff; } .page { padding: 0; } figure.fig, .table-wrap, header.top { break-inside: avoid; } }
`;
