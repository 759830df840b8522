// Conventions shared by the kernel shaders (documented here once):
//
// * Column layout ("T layout"): a batch of per-position V-vectors is stored token-major,
//   element (y, c) at y * C + c, C a multiple of 4 (padding columns are zero and ignored).
//   A hop of the sparse operator then reads contiguous vec4s of 4 positions per neighbour, so
//   index loads are shared by 4 positions and loads are vector loads (PERF-NOTES: storage loads
//   are per-lane scalar loads on lavapipe; vec4 loads are 4x cheaper per float). Lanes run along
//   columns, so neighbouring lanes touch neighbouring addresses on a real GPU too.
// * Column reductions run over row blocks: lane (c, b) sums rows [b * R, (b + 1) * R) of column c
//   with Kahan compensation and writes a partial; a second pass adds the partials pairwise.
// * Dispatch grids: x over columns, y (and z, past 65535 groups) over rows or blocks;
//   `row_of` folds y and z back into one index.
import { wgslModule } from './module.ts';

export const gridModule = wgslModule(
  'grid',
  /* wgsl */ `
fn row_of(g: vec3<u32>, nw: vec3<u32>, wy: u32) -> u32 {
  return g.y + g.z * nw.y * wy;
}
`,
);

/** A uniform struct of 4-byte fields; the host packs it with `packUniform` in the same order. */
export interface UniformStruct {
  readonly name: string;
  readonly fields: readonly (readonly [string, 'u32' | 'i32' | 'f32'])[];
}

export function uniformStructWgsl(u: UniformStruct): string {
  const pad = (4 - (u.fields.length % 4)) % 4;
  const fields = [...u.fields.map(([n, t]) => `  ${n}: ${t},`), ...Array.from({ length: pad }, (_, i) => `  _pad${i}: u32,`)];
  return `struct ${u.name} {\n${fields.join('\n')}\n}`;
}

/** Byte size of a uniform struct (a multiple of 16). */
export function uniformSize(u: UniformStruct): number {
  return Math.max(16, Math.ceil(u.fields.length / 4) * 16);
}
