// Per-op GPU time from timestamp queries. With DLMK_PROFILE=1 the Recorder wraps every compute
// pass in a pair of timestamps and adds the durations here under the pass's label; the table is
// printed when the process exits (or on demand with `profileTable()`).

interface Row {
  count: number;
  ns: number;
}

const rows = new Map<string, Row>();
let hooked = false;

export function profilingEnabled(): boolean {
  const v = process.env['DLMK_PROFILE'];
  return v !== undefined && v !== '' && v !== '0';
}

/** Adds one pass's duration; labels are grouped by their text before the first '|'. */
export function addSample(label: string, ns: number): void {
  const name = label.split('|')[0] || label;
  let r = rows.get(name);
  if (!r) rows.set(name, (r = { count: 0, ns: 0 }));
  r.count++;
  r.ns += ns;
  if (!hooked) {
    hooked = true;
    process.on('exit', () => {
      if (rows.size) process.stderr.write(profileTable() + '\n');
    });
  }
}

export interface ProfileEntry {
  label: string;
  count: number;
  totalMs: number;
  share: number;
}

export function profileEntries(): ProfileEntry[] {
  let total = 0;
  for (const r of rows.values()) total += r.ns;
  return [...rows.entries()]
    .map(([label, r]) => ({ label, count: r.count, totalMs: r.ns / 1e6, share: total ? r.ns / total : 0 }))
    .sort((a, b) => b.totalMs - a.totalMs);
}

/** The per-op table: count, total ms, share of the GPU time measured. */
export function profileTable(): string {
  const e = profileEntries();
  const w = Math.max(8, ...e.map((x) => x.label.length));
  const lines = [`${'op'.padEnd(w)}  ${'count'.padStart(8)}  ${'total ms'.padStart(11)}  ${'share'.padStart(6)}`];
  let total = 0;
  for (const x of e) {
    total += x.totalMs;
    lines.push(`${x.label.padEnd(w)}  ${String(x.count).padStart(8)}  ${x.totalMs.toFixed(3).padStart(11)}  ${(x.share * 100).toFixed(1).padStart(5)}%`);
  }
  lines.push(`${'total'.padEnd(w)}  ${''.padStart(8)}  ${total.toFixed(3).padStart(11)}  100.0%`);
  return `[dlmk] GPU profile (timestamp queries)\n${lines.join('\n')}`;
}

export function resetProfile(): void {
  rows.clear();
}
