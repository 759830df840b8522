// Numbers as people read them in tables, ticks and tooltips.

function group(intPart: string): string {
  return intPart.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

function trimExp(s: string): string {
  // 1.500e-4 -> 1.5e-4, 2.000e+6 -> 2e6
  const [m, e] = s.split('e');
  const mant = m!.includes('.') ? m!.replace(/0+$/, '').replace(/\.$/, '') : m!;
  return `${mant}e${Number(e)}`;
}

/** `digits` significant digits; integers grouped (12,345); very large or small values in e-notation. */
export function formatNumber(v: number, digits = 4): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '-∞';
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e15 || a < 1e-3) return trimExp(v.toExponential(digits - 1));
  if (Number.isInteger(v)) return a >= 1e4 ? (v < 0 ? '-' : '') + group(String(a)) : String(v);
  if (a >= 1e6) return trimExp(v.toExponential(digits - 1));
  const s = v.toPrecision(digits);
  if (s.includes('e')) return trimExp(s);
  const [i, f] = s.replace('-', '').split('.');
  return (v < 0 ? '-' : '') + (a >= 1e4 ? group(i!) : i!) + (f !== undefined ? '.' + f : '');
}

/** A tick label: as many decimals as the tick step needs, no more. */
export function formatTick(v: number, step: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e6 || a < 1e-3) return trimExp(v.toExponential(Math.max(0, Math.min(6, Math.ceil(Math.log10(a) - Math.log10(step) - 1e-9)))));
  const decimals = Math.max(0, Math.ceil(-Math.log10(step) - 1e-9));
  const s = Math.abs(v).toFixed(decimals);
  const [i, f] = s.split('.');
  return (v < 0 ? '-' : '') + (a >= 1e4 ? group(i!) : i!) + (f !== undefined ? '.' + f : '');
}
