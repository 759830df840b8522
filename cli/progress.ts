// Progress for long commands: on a terminal, one bar redrawn in place (with notices printed above
// it); elsewhere (logs, CI, pipes), a plain line every `every` updates, so that logs stay readable.
export interface ProgressFields {
  /** Completed units and the total. */
  done: number;
  total: number;
  /** Short key=value pairs shown after the bar, e.g. { loss: '3.21', 'tok/s': '1.2k' }. */
  fields: Record<string, string>;
}

export function formatDuration(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '?';
  if (s < 60) return `${Math.round(s)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export function formatCount(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (Math.abs(x) >= 1e6) return `${(x / 1e6).toFixed(2)}M`;
  if (Math.abs(x) >= 1e4) return `${(x / 1e3).toFixed(1)}k`;
  return x >= 100 ? x.toFixed(0) : x.toPrecision(3);
}

export class Progress {
  private readonly t0 = performance.now();
  private startDone: number | null = null;
  private drawn = false;
  private updates = 0;

  constructor(
    private readonly out: { write(s: string): unknown; isTTY?: boolean; columns?: number },
    private readonly label: string,
    private readonly every = 10,
  ) {}

  get tty(): boolean {
    return !!this.out.isTTY;
  }

  private eta(p: ProgressFields): number {
    if (this.startDone === null) this.startDone = p.done;
    const el = (performance.now() - this.t0) / 1000;
    const rate = (p.done - this.startDone) / Math.max(el, 1e-9);
    return rate > 0 ? (p.total - p.done) / rate : NaN;
  }

  update(p: ProgressFields): void {
    this.updates++;
    const fields = Object.entries(p.fields).map(([k, v]) => `${k} ${v}`).join(' | ');
    const eta = this.eta(p);
    if (this.tty) {
      const width = Math.max(10, Math.min(30, (this.out.columns ?? 80) - 70));
      const filled = Math.round((width * p.done) / Math.max(1, p.total));
      const bar = '█'.repeat(filled) + '░'.repeat(width - filled);
      const line = `${this.label} ${bar} ${p.done}/${p.total} | ${fields} | ETA ${formatDuration(eta)}`;
      this.out.write(`\r\x1b[2K${line.slice(0, (this.out.columns ?? 200) - 1)}`);
      this.drawn = true;
    } else if (this.updates % this.every === 0 || p.done === p.total) {
      this.out.write(`${this.label} ${p.done}/${p.total} | ${fields} | ETA ${formatDuration(eta)}\n`);
    }
  }

  /** A notice: above the bar on a terminal, a plain line otherwise. */
  note(line: string): void {
    if (this.tty && this.drawn) this.out.write(`\r\x1b[2K${line}\n`);
    else this.out.write(`${line}\n`);
    this.drawn = false;
  }

  done(): void {
    if (this.tty && this.drawn) this.out.write('\n');
    this.drawn = false;
  }
}
