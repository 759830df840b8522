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

const viewTextures = new WeakMap<GPUTextureView, GPUTexture>();
function textureOf(view: GPUTextureView): GPUTexture {
  const t = viewTextures.get(view);
  if (!t) throw new Error('matmul: a pack target view was not made by createPackView');
  return t;
}

/** A view of `texture` whose texture copies can find (pack targets must be made this way). */
export function createPackView(texture: GPUTexture): GPUTextureView {
  const view = texture.createView();
  viewTextures.set(view, texture);
  return view;
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
  const entry = { texture, view: createPackView(texture) };
  m.set(key, entry);
  return entry.view;
}

export function createPackTexture(gpu: Gpu, format: TexFormat, width: number, height: number, label: string): GPUTexture {
  // TEXTURE_BINDING | STORAGE_BINDING | COPY_DST
  return gpu.device.createTexture({ size: [width, height], format, usage: 0x04 | 0x08 | 0x02, label });
}

/**
 * A copy does the packing when the texture rows are the operand's rows unchanged: f32, not
 * transposed, no padding, rows 256-byte aligned (copyBufferToTexture's rule) and texel-aligned
 * start. Items are copied one region each, or as one region when they are back to back.
 */
function copyPlan(s: PackSpec, w: Window): { bytesPerRow: number; regions: { offset: number; y: number; rows: number }[] } | null {
  if (s.format !== 'rgba32float' || s.trans || s.cols !== s.width * 4 || s.rows !== s.rowsPad) return null;
  const bytesPerRow = s.ld * 4;
  if (bytesPerRow % 256 !== 0 || !(w.buffer.usage & 0x04)) return null; // COPY_SRC
  const base = w.byteOffset + w.elem * 4;
  const [n0, n1] = s.items;
  const regions: { offset: number; y: number; rows: number }[] = [];
  if (n0 * n1 === 1 || (s.strides[1] === s.rows * s.ld && (n0 === 1 || s.strides[0] === n1 * s.strides[1]))) {
    regions.push({ offset: base, y: 0, rows: n0 * n1 * s.rows });
  } else {
    for (let i = 0; i < n0; i++) for (let j = 0; j < n1; j++) regions.push({ offset: base + (i * s.strides[0] + j * s.strides[1]) * 4, y: (i * n1 + j) * s.rowsPad, rows: s.rows });
  }
  return regions.every((r) => r.offset % 16 === 0) ? { bytesPerRow, regions } : null;
}

/** Encodes the packing of operand window `w` into `view` (at least width x height): a copy where possible, else one compute pass. */
export function encodePack(gpu: Gpu, encoder: GPUCommandEncoder, s: PackSpec, w: Window, view: GPUTextureView, viewId: number): void {
  const plan = copyPlan(s, w);
  if (plan) {
    const texture = textureOf(view);
    for (const r of plan.regions) {
      encoder.copyBufferToTexture({ buffer: w.buffer, offset: r.offset, bytesPerRow: plan.bytesPerRow }, { texture, origin: [0, r.y] }, [s.width, r.rows]);
    }
    return;
  }
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

/**
 * How op(A) and op(B) are packed for a texture kernel, and the texture rows per batch index.
 * op(A) is packed as M rows of K. B is packed as stored when transB (N rows of K: the kernels'
 * "nk" layout), else as K rows of N ("kn"); either way K is the padded dimension when it runs
 * along rows of texels, and zero rows pad it when it runs down the texture.
 */
export function packSpecs(p: Problem, format: TexFormat, kChunk: number): { a: PackSpec; b: PackSpec; rows: TexRows } {
  const vpt = valuesPerTexel(format);
  const kp = Math.ceil(p.K / kChunk) * kChunk;
  const items = (st: [number, number]): [number, number] => [st[0] ? p.batchOuter : 1, st[1] ? p.batchInner : 1];
  const ia = items(p.strideA);
  const ib = items(p.strideB);
  const a: PackSpec = { format, trans: p.transA, rows: p.M, cols: p.K, rowsPad: p.M, width: kp / vpt, ld: p.lda, items: ia, strides: p.strideA };
  const b: PackSpec = p.transB
    ? { format, trans: false, rows: p.N, cols: p.K, rowsPad: p.N, width: kp / vpt, ld: p.ldb, items: ib, strides: p.strideB }
    : { format, trans: false, rows: p.K, cols: p.N, rowsPad: kp, width: Math.ceil(p.N / vpt), ld: p.ldb, items: ib, strides: p.strideB };
  const rows: TexRows = {
    kp,
    ta0: p.strideA[0] ? ia[1] * a.rowsPad : 0,
    ta1: p.strideA[1] ? a.rowsPad : 0,
    tb0: p.strideB[0] ? ib[1] * b.rowsPad : 0,
    tb1: p.strideB[1] ? b.rowsPad : 0,
  };
  return { a, b, rows };
}
