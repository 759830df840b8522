// Packing of matmul operands into textures for the subgroup kernels (PERF-NOTES: on lavapipe a
// texel fetch is a branch-free gather, about 4x cheaper per float than a storage load).
//
// A packed operand is op(X) as a row-major matrix of `rows` x `cols`, one batch item after
// another (items are stacked vertically, `rowsPad` rows each), columns zero-padded to the
// texture width. rgba32float holds 4 columns per texel; rgba32uint holds 8 as f16 pairs
// (pack2x16float), for the f16 variant. Zero padding along K lets the kernels skip every k tail.
import type { Gpu } from '../../gpu/index.ts';
import { bindGroupFor, uniformFor, type Window } from './bindings.ts';
import { MatmulError } from './errors.ts';
import { pipelineNow } from './pipelines.ts';
import type { Problem, TexRows } from './problem.ts';

export type TexFormat = 'rgba32float' | 'rgba32uint';

/** One operand's packing: where its elements are and what texture rows it fills. */
export interface PackSpec {
  format: TexFormat;
  /** The operand is stored transposed: logical element (r, c) is at c * ld + r. */
  trans: boolean;
  rows: number;
  cols: number;
  /** Texture rows per batch item (>= rows; rows beyond `rows` are zero). */
  rowsPad: number;
  /** Texels per texture row (covers cols, zero-padded). */
  width: number;
  ld: number;
  /** Packed batch items along [outer, inner] (1 where the operand is broadcast) and their element strides. */
  items: [number, number];
  strides: [number, number];
}

export function valuesPerTexel(f: TexFormat): number {
  return f === 'rgba32float' ? 4 : 8;
}

export function textureHeight(s: PackSpec): number {
  return s.items[0] * s.items[1] * s.rowsPad;
}

/** Why `s` does not fit this device's textures, or null. */
export function packUnfit(gpu: Gpu, s: PackSpec): string | null {
  const max = gpu.limits.maxTextureDimension2D;
  if (s.width > max) return `a packed row needs ${s.width} texels, over the ${max} texture limit`;
  if (textureHeight(s) > max) return `the packed operand needs ${textureHeight(s)} texture rows, over the ${max} limit`;
  return null;
}

function packCode(s: PackSpec): string {
  const n = valuesPerTexel(s.format);
  const load = (q: number) => `select(0.0, X[min(base + (c0 + ${q}u) * sc + rr, P.last)], r < P.rows && c0 + ${q}u < P.cols)`;
  const vals = Array.from({ length: n }, (_, q) => load(q));
  const value =
    s.format === 'rgba32float'
      ? `vec4f(${vals.join(', ')})`
      : `vec4u(${[0, 1, 2, 3].map((i) => `pack2x16float(vec2f(${vals[2 * i]}, ${vals[2 * i + 1]}))`).join(', ')})`;
  return /* wgsl */ `
struct PackParams { rows: u32, cols: u32, rows_pad: u32, width: u32, ld: u32, off: u32, n1: u32, s0: u32, s1: u32, height: u32, last: u32, trans: u32 }
@group(0) @binding(0) var<uniform> P: PackParams;
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var T: texture_storage_2d<${s.format}, write>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let x = gid.x;
  let y = gid.y + gid.z * 65535u;
  if (x >= P.width || y >= P.height) { return; }
  let item = y / P.rows_pad;
  let r = y - item * P.rows_pad;
  let zo = item / P.n1;
  let zi = item - zo * P.n1;
  let base = P.off + zo * P.s0 + zi * P.s1;
  let c0 = x * ${n}u;
  // Element (r, c) is at base + r * ld + c, or base + c * ld + r when stored transposed.
  let sc = select(1u, P.ld, P.trans != 0u);
  let rr = select(r * P.ld, r, P.trans != 0u);
  textureStore(T, vec2u(x, y), ${value});
}`;
}

/** Per device and role, one scratch texture that grows as needed (reused by every call in order). */
const scratch = new WeakMap<GPUDevice, Map<string, { texture: GPUTexture; view: GPUTextureView }>>();

export function scratchTexture(gpu: Gpu, role: string, format: TexFormat, width: number, height: number): GPUTextureView {
  let m = scratch.get(gpu.device);
  if (!m) scratch.set(gpu.device, (m = new Map()));
  const key = `${role}|${format}`;
  const have = m.get(key);
  if (have && have.texture.width >= width && have.texture.height >= height) return have.view;
  const w = Math.max(width, have?.texture.width ?? 0);
  const h = Math.max(height, have?.texture.height ?? 0);
  // The old texture is not destroyed: commands already encoded may still read it.
  const texture = createPackTexture(gpu, format, w, h, `matmul scratch ${key}`);
  const entry = { texture, view: texture.createView() };
  m.set(key, entry);
  return entry.view;
}

export function createPackTexture(gpu: Gpu, format: TexFormat, width: number, height: number, label: string): GPUTexture {
  // TEXTURE_BINDING | STORAGE_BINDING | COPY_DST
  return gpu.device.createTexture({ size: [width, height], format, usage: 0x04 | 0x08 | 0x02, label });
}

/** Encodes one pass that fills `view` (at least width x height) from the operand window `w`. */
export function encodePack(gpu: Gpu, encoder: GPUCommandEncoder, s: PackSpec, w: Window, view: GPUTextureView, viewId: number): void {
  const key = `matmul/pack/${s.format}`;
  const pipeline = pipelineNow(gpu, { key, code: packCode(s) });
  const height = textureHeight(s);
  const params = new Uint32Array([
    s.rows, s.cols, s.rowsPad, s.width, s.ld, w.elem, s.items[1], s.strides[0], s.strides[1], height, w.byteSize / 4 - 1, s.trans ? 1 : 0,
  ]);
  if (s.width > 65535 * 64) throw new MatmulError(`${s.width} texels per row is too wide to pack`, 'K');
  const u = uniformFor(gpu, params.buffer);
  const group = bindGroupFor(gpu, pipeline, key, [{ uniform: u.buffer }, { window: w }, { texture: view, id: viewId }]);
  const pass = encoder.beginComputePass({ label: key });
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, group);
  const gz = Math.ceil(height / 65535);
  pass.dispatchWorkgroups(Math.ceil(s.width / 64), Math.min(height, 65535), gz);
  pass.end();
}

/** How op(A) and op(B) are packed for a texture kernel, and the texture rows per batch index. */
export function packSpecs(p: Problem, format: TexFormat, kChunk: number): { a: PackSpec; b: PackSpec; rows: TexRows } {
  const vpt = valuesPerTexel(format);
  const kp = Math.ceil(p.K / kChunk) * kChunk;
  const items = (st: [number, number]): [number, number] => [st[0] ? p.batchOuter : 1, st[1] ? p.batchInner : 1];
  const ia = items(p.strideA);
  const ib = items(p.strideB);
  const a: PackSpec = { format, trans: p.transA, rows: p.M, cols: p.K, rowsPad: p.M, width: kp / vpt, ld: p.lda, items: ia, strides: p.strideA };
  const b: PackSpec = { format, trans: p.transB, rows: p.K, cols: p.N, rowsPad: kp, width: Math.ceil(p.N / vpt), ld: p.ldb, items: ib, strides: p.strideB };
  const rows: TexRows = {
    kp,
    ta0: p.strideA[0] ? ia[1] * p.M : 0,
    ta1: p.strideA[1] ? p.M : 0,
    tb0: p.strideB[0] ? ib[1] * kp : 0,
    tb1: p.strideB[1] ? kp : 0,
  };
  return { a, b, rows };
}

