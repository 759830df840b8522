// The one uniform block every kernel shader reads (fields it does not need are ignored), so the
// host packs a single shape and shader text never varies with sizes.
import { uniformStructWgsl, type UniformStruct } from './layout.ts';
import { wgslModule } from './module.ts';

export const DIMS: UniformStruct = {
  name: 'Dims',
  fields: [
    ['V', 'u32'], // real tokens (rows of a column-layout matrix)
    ['C', 'u32'], // columns (a multiple of 4)
    ['cv', 'u32'], // C / 4
    ['act', 'u32'], // columns (or vec4 columns) this dispatch touches
    ['n', 'u32'], // hop index
    ['R', 'u32'], // rows per block of a column reduction
    ['nb', 'u32'], // blocks of a column reduction
    ['shift', 'u32'], // element offset of a windowed row-major binding
    ['seed0', 'u32'],
    ['seed1', 'u32'],
    ['stream', 'u32'], // caller's stream (training step, sampler step) for Philox counters
    ['mode', 'u32'],
    ['f0', 'f32'],
    ['f1', 'f32'],
    ['f2', 'f32'],
    ['f3', 'f32'],
  ],
};

export type DimsValues = Partial<Record<(typeof DIMS.fields)[number][0], number>>;

export const dimsModule = wgslModule('dims', `${uniformStructWgsl(DIMS)}\n@group(0) @binding(0) var<uniform> d: Dims;`);
