// Line charts in the terminal: series of (x, y) points on a character grid, one glyph per series,
// with the y range and x range printed on the axes. For curves printed by long commands (the demo's
// validation ELBO); the HTML report draws the real figures.
export interface ChartSeries {
  name: string;
  points: readonly (readonly [number, number])[];
}

const GLYPHS = ['●', '▲', '■', '◆', '✚', '○'];

function fmt(y: number): string {
  return Math.abs(y) >= 100 ? y.toFixed(0) : Math.abs(y) >= 10 ? y.toFixed(1) : y.toFixed(2);
}

export function asciiChart(series: readonly ChartSeries[], o: { width?: number; height?: number; yLabel?: string; xLabel?: string } = {}): string {
  const W = o.width ?? 60;
  const H = o.height ?? 12;
  const pts = series.flatMap((s) => s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y)));
  if (!pts.length) return '(no points)';
  let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
  for (const [x, y] of pts) [x0, x1, y0, y1] = [Math.min(x0, x), Math.max(x1, x), Math.min(y0, y), Math.max(y1, y)];
  if (x1 === x0) x1 = x0 + 1;
  if (y1 === y0) y1 = y0 + 1;
  const grid = Array.from({ length: H }, () => Array.from({ length: W }, () => ' '));
  series.forEach((s, si) => {
    const g = GLYPHS[si % GLYPHS.length]!;
    const ps = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    // Line segments between consecutive points, then the points on top.
    for (let i = 1; i < ps.length; i++) {
      const [ax, ay] = ps[i - 1]!;
      const [bx, by] = ps[i]!;
      const n = Math.max(2, Math.ceil((Math.abs(bx - ax) / (x1 - x0)) * W));
      for (let k = 0; k <= n; k++) {
        const c = Math.round((((ax + ((bx - ax) * k) / n) - x0) / (x1 - x0)) * (W - 1));
        const r = H - 1 - Math.round((((ay + ((by - ay) * k) / n) - y0) / (y1 - y0)) * (H - 1));
        if (grid[r]![c] === ' ') grid[r]![c] = '·';
      }
    }
    for (const [x, y] of ps) grid[H - 1 - Math.round(((y - y0) / (y1 - y0)) * (H - 1))]![Math.round(((x - x0) / (x1 - x0)) * (W - 1))] = g;
  });
  const lw = Math.max(fmt(y0).length, fmt(y1).length);
  const lines = grid.map((row, r) => `${(r === 0 ? fmt(y1) : r === H - 1 ? fmt(y0) : '').padStart(lw)} │${row.join('')}`);
  lines.push(`${' '.repeat(lw)} └${'─'.repeat(W)}`);
  const fx = (x: number) => (Number.isInteger(x) ? String(x) : fmt(x));
  const xl = fx(x0);
  const xr = `${fx(x1)}${o.xLabel ? ` ${o.xLabel}` : ''}`;
  lines.push(`${' '.repeat(lw + 2)}${xl}${' '.repeat(Math.max(1, W - xl.length - xr.length + (o.xLabel ? o.xLabel.length + 1 : 0)))}${xr}`);
  const legend = series.map((s, si) => `${GLYPHS[si % GLYPHS.length]} ${s.name}`).join('   ');
  return [...(o.yLabel ? [o.yLabel] : []), ...lines, `${' '.repeat(lw + 2)}${legend}`].join('\n');
}
