// One dispatch of an op: its storage bindings are declared from a slot list, with the access
// mode chosen per call. WebGPU forbids a buffer bound read-only and writable in one dispatch
// (even at disjoint ranges) and two overlapping writable bindings; read-only bindings may overlap
// freely. So an input is declared `read` unless an output of the same dispatch lives in its
// buffer; then it is `read_write` and must not overlap that output. The access pattern goes into
// the program key (a kernel has one or two variants in practice).
import type { Recorder, UniformData, Window } from '../gpu/index.ts';
import { NnError } from './errors.ts';
import { program } from './wgsl.ts';

export interface Slot {
  /** WGSL variable name. */
  readonly name: string;
  /** The kernel writes it. */
  readonly write?: boolean;
  /** Element type; default f32. */
  readonly type?: string;
}

export interface OpDispatch<F extends string> {
  /** Program key without the access suffix (must identify the text made by `make`). */
  key: string;
  label: string;
  /** Declared at @binding(1..n) in this order; windows[i] is bound to slots[i]. */
  slots: readonly Slot[];
  windows: readonly Window[];
  uniform: UniformData<F>;
  workgroups: readonly [number, number?, number?];
  /** The module text, given the storage declarations. */
  make: (decls: string) => string;
  /** For error messages: the argument name of each slot. */
  fields?: readonly string[];
}

function overlap(a: Window, b: Window): boolean {
  const x = a.range;
  const y = b.range;
  return x.buffer === y.buffer && x.offset < y.offset + y.size && y.offset < x.offset + x.size;
}

export function dispatchOp<F extends string>(rec: Recorder, d: OpDispatch<F>): void {
  const n = d.slots.length;
  if (d.windows.length !== n) throw new Error(`${d.key}: ${d.windows.length} windows for ${n} slots`);
  const field = (i: number) => d.fields?.[i] ?? d.slots[i]!.name;
  const rw = d.slots.map((s) => !!s.write);
  for (let i = 0; i < n; i++) {
    if (rw[i]) continue;
    for (let j = 0; j < n; j++) if (d.slots[j]!.write && d.windows[j]!.range.buffer === d.windows[i]!.range.buffer) rw[i] = true;
  }
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      if ((rw[i] || rw[j]) && overlap(d.windows[i]!, d.windows[j]!)) {
        const w = d.slots[j]!.write ? j : i;
        const other = w === j ? i : j;
        throw new NnError(d.label, field(w), `overlaps ${field(other)} in the same buffer (bindings start at aligned offsets); use a separate buffer or a disjoint, aligned range`);
      }
    }
  }
  const mask = rw.map((x) => (x ? 'w' : 'r')).join('');
  const decls = d.slots
    .map((s, i) => `@group(0) @binding(${i + 1}) var<storage, ${rw[i] ? 'read_write' : 'read'}> ${s.name}: array<${s.type ?? 'f32'}>;`)
    .join('\n');
  rec.dispatch({
    program: program(`${d.key}|${mask}`, () => d.make(decls)),
    label: d.label,
    uniform: d.uniform,
    bindings: d.windows.map((w) => w.range),
    workgroups: d.workgroups,
  });
}
