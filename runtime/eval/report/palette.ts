// One colour and marker shape per series name for the whole report, so that a kernel has the
// same look in every plot and bar chart. Colours: Observable's 10-colour categorical scheme
// (distinct in hue and lightness); shapes cycle every 6 (a colour-shape pair is unique for 30 series) and help where colours are
// hard to tell apart.

export const PALETTE: readonly string[] = ['#4269d0', '#efb118', '#ff725c', '#6cc5b0', '#3ca951', '#ff8ab7', '#a463f2', '#97bbf5', '#9c6b4e', '#9498a0'];

export type Shape = 'circle' | 'square' | 'diamond' | 'triangle' | 'triangle-down' | 'cross';
const SHAPES: readonly Shape[] = ['circle', 'square', 'diamond', 'triangle', 'triangle-down', 'cross'];

export interface Look {
  readonly color: string;
  readonly shape: Shape;
}

/** Looks by series name, in order of first appearance. */
export class Looks {
  private readonly byName = new Map<string, Look>();
  of(name: string): Look {
    let l = this.byName.get(name);
    if (!l) {
      const i = this.byName.size;
      l = { color: PALETTE[i % PALETTE.length]!, shape: SHAPES[i % SHAPES.length]! };
      this.byName.set(name, l);
    }
    return l;
  }
}

const f = (v: number) => Number(v.toFixed(2));

/** SVG path data of a marker of size r (about a circle's radius) centred at (x, y). */
export function markerPath(shape: Shape, x: number, y: number, r: number): string {
  switch (shape) {
    case 'circle':
      return `M${f(x - r)},${f(y)}a${r},${r} 0 1,0 ${f(2 * r)},0a${r},${r} 0 1,0 ${f(-2 * r)},0Z`;
    case 'square': {
      const s = r * 0.88;
      return `M${f(x - s)},${f(y - s)}h${f(2 * s)}v${f(2 * s)}h${f(-2 * s)}Z`;
    }
    case 'diamond': {
      const s = r * 1.25;
      return `M${f(x)},${f(y - s)}L${f(x + s)},${f(y)}L${f(x)},${f(y + s)}L${f(x - s)},${f(y)}Z`;
    }
    case 'triangle': {
      const s = r * 1.2;
      return `M${f(x)},${f(y - s)}L${f(x + s)},${f(y + s * 0.8)}L${f(x - s)},${f(y + s * 0.8)}Z`;
    }
    case 'triangle-down': {
      const s = r * 1.2;
      return `M${f(x)},${f(y + s)}L${f(x + s)},${f(y - s * 0.8)}L${f(x - s)},${f(y - s * 0.8)}Z`;
    }
    case 'cross': {
      const s = r * 1.1;
      const t = s * 0.38;
      return `M${f(x - t)},${f(y - s)}h${f(2 * t)}v${f(s - t)}h${f(s - t)}v${f(2 * t)}h${f(t - s)}v${f(s - t)}h${f(-2 * t)}v${f(t - s)}h${f(t - s)}v${f(-2 * t)}h${f(s - t)}Z`;
    }
  }
}
