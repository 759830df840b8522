// Uniform blocks declared once, in one place, for both sides: the WGSL struct and the host packer
// come from the same field list, so they cannot drift apart. Only 4-byte scalars: each field sits
// at 4 * its index, which is WGSL's uniform layout for a struct of scalars (size rounded to 16).

export type ScalarType = 'u32' | 'i32' | 'f32';

export interface UniformLayout<F extends string> {
  readonly name: string;
  readonly fields: readonly F[];
  /** Bytes, a multiple of 16. */
  readonly size: number;
  /** `struct NAME { ... }` */
  readonly wgsl: string;
  /** Writes `values` at byte `offset` of `view`. */
  pack(view: DataView, offset: number, values: Readonly<Record<F, number>>): void;
}

export function uniformLayout<const T extends Record<string, ScalarType>>(name: string, spec: T): UniformLayout<Extract<keyof T, string>> {
  type F = Extract<keyof T, string>;
  const fields = Object.keys(spec) as F[];
  const types = fields.map((f) => spec[f] as ScalarType);
  const size = Math.max(16, Math.ceil((fields.length * 4) / 16) * 16);
  const wgsl = `struct ${name} {\n${fields.map((f, i) => `  ${f}: ${types[i]},`).join('\n')}\n}`;
  return {
    name,
    fields,
    size,
    wgsl,
    pack(view, offset, values) {
      for (let i = 0; i < fields.length; i++) {
        const v = values[fields[i]!];
        const at = offset + 4 * i;
        const t = types[i];
        if (t === 'f32') view.setFloat32(at, v, true);
        else if (t === 'u32') {
          if (!(v >= 0 && v <= 0xffffffff) || !Number.isInteger(v)) throw new RangeError(`uniform ${name}.${fields[i]}: ${v} is not a u32`);
          view.setUint32(at, v, true);
        } else {
          if (!Number.isInteger(v) || v < -(2 ** 31) || v >= 2 ** 31) throw new RangeError(`uniform ${name}.${fields[i]}: ${v} is not an i32`);
          view.setInt32(at, v, true);
        }
      }
    },
  };
}
