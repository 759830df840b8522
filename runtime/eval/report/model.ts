// The document model of the comparison report: what `dlmk compare` (or any caller) assembles.
// renderReport (render.ts) turns it into one self-contained HTML page. docs/eval.md, "Report".

/** A plot axis. `min`/`max` fix the range (points outside it are left out and noted); otherwise it is the data's range, widened to round ticks. */
export interface Axis {
  readonly label: string;
  /** Base-10 log scale; values <= 0 are left out and noted. */
  readonly log?: boolean;
  readonly min?: number;
  readonly max?: number;
}

/** One series of a line/scatter plot. A series' colour is fixed by its name across the whole report. */
export interface Series {
  readonly name: string;
  /** [x, y] pairs, drawn in the given order; a non-finite coordinate leaves the point out (and breaks a line there). */
  readonly points: readonly (readonly [number, number])[];
  /** 'markers' (default), 'line' (markers only as hover targets), or 'both'. */
  readonly mode?: 'line' | 'markers' | 'both';
  /** Per-point text for the tooltip (same length as points). */
  readonly labels?: readonly string[];
}

export interface BarSeries {
  readonly name: string;
  /** One value per group; null = missing (no bar, noted). */
  readonly values: readonly (number | null)[];
  /** Half-widths of error bars (e.g. standard errors), one per group; null or absent = none. */
  readonly errors?: readonly (number | null)[];
}

export type Cell = string | number | null;

export type ReportBlock =
  | { readonly kind: 'heading'; readonly text: string; readonly level?: 2 | 3 }
  /** Plain text; blank lines separate paragraphs. Escaped, never read as HTML. */
  | { readonly kind: 'text'; readonly text: string }
  | {
      readonly kind: 'table';
      readonly caption?: string;
      readonly columns: readonly string[];
      /** Each row has one cell per column; numbers are right-aligned and rounded to `digits` significant digits (default 4); null shows as a dash. */
      readonly rows: readonly (readonly Cell[])[];
      readonly note?: string;
      readonly digits?: number;
      /** Columns (by name) whose best numeric value is shown in bold: 'min' or 'max' is best. */
      readonly best?: Readonly<Record<string, 'min' | 'max'>>;
    }
  | { readonly kind: 'plot'; readonly title: string; readonly x: Axis; readonly y: Axis; readonly series: readonly Series[]; readonly note?: string }
  | { readonly kind: 'bars'; readonly title: string; readonly groups: readonly string[]; readonly series: readonly BarSeries[]; readonly y: Axis; readonly note?: string }
  /** Texts side by side: column c's i-th text sits next to the other columns' i-th. */
  | { readonly kind: 'samples'; readonly title: string; readonly columns: readonly { readonly name: string; readonly texts: readonly string[] }[]; readonly note?: string };

export interface ReportDocument {
  readonly title: string;
  readonly subtitle?: string;
  /** Shown as a key/value panel under the title (run settings, seeds, versions, date). */
  readonly settings: Readonly<Record<string, string>>;
  readonly blocks: readonly ReportBlock[];
  /** A line at the foot of the page. */
  readonly footer?: string;
}

/** A document that cannot be drawn as given (a row of the wrong length, min >= max, ...). */
export class ReportError extends Error {
  override readonly name = 'ReportError';
}
