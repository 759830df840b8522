// Recording kernel dispatches into a caller's command encoder. Per-dispatch sizes go into one
// uniform arena created for the recording (never a shared buffer rewritten with writeBuffer, so
// two recordings in one command buffer cannot see each other's sizes); per-call tables are small
// buffers created mapped. Pipelines are compiled ahead (KernelPipelines.prepare) so encoding is
// synchronous, as the trainer's step recorder needs.
import type { Gpu } from '../gpu/index.ts';
import { ShaderCompileError } from '../gpu/index.ts';
import { profilingEnabled } from '../gpu/profiler.ts';
import type { BufferRange } from '../gpu/window.ts';
import { DIMS, type DimsValues } from '../../compiler/wgsl/dims.ts';
import { uniformSize } from '../../compiler/wgsl/layout.ts';
import type { WgslProgram } from '../../compiler/wgsl/module.ts';

const STORAGE = 0x80;
const COPY_SRC = 0x04;
const COPY_DST = 0x08;
const UNIFORM = 0x40;

export type Binding = GPUBuffer | BufferRange;

/** The bind group layout a shader declares (every declared binding, used or not), from its text. */
function declaredLayout(device: GPUDevice, code: string, label: string): GPUBindGroupLayout {
  const entries: GPUBindGroupLayoutEntry[] = [];
  const re = /@group\(0\)\s*@binding\((\d+)\)\s*var<(uniform|storage)(?:,\s*(read_write|read))?>/g;
  for (let m = re.exec(code); m; m = re.exec(code)) {
    const binding = Number(m[1]);
    const type: GPUBufferBindingType = m[2] === 'uniform' ? 'uniform' : m[3] === 'read_write' ? 'storage' : 'read-only-storage';
    entries.push({ binding, visibility: 0x4 /* COMPUTE */, buffer: { type } });
  }
  return device.createBindGroupLayout({ entries, label });
}

interface Built {
  pipeline: GPUComputePipeline;
  layout: GPUBindGroupLayout;
}

export class KernelPipelines {
  private ready = new Map<string, Built>();
  constructor(readonly gpu: Gpu) {}

  /** Compiles the programs now, reporting WGSL errors as ShaderCompileError. */
  async prepare(...progs: WgslProgram[]): Promise<void> {
    await Promise.all(
      progs.map(async (p) => {
        if (this.ready.has(p.key)) return;
        const { device } = this.gpu;
        device.pushErrorScope('validation');
        const module = device.createShaderModule({ code: p.code, label: p.key });
        const info = await module.getCompilationInfo();
        const scoped = await device.popErrorScope();
        const errors = info.messages.filter((m) => m.type === 'error');
        if (errors.length || scoped) {
          const lines = p.code.split('\n');
          throw new ShaderCompileError(
            p.key,
            errors.length ? errors.map((m) => `${m.lineNum}:${m.linePos}: ${m.message}\n    ${lines[m.lineNum - 1] ?? ''}`) : [scoped!.message],
            p.code,
          );
        }
        const layout = declaredLayout(device, p.code, p.key);
        device.pushErrorScope('validation');
        const pipeline = await device.createComputePipelineAsync({
          label: p.key,
          layout: device.createPipelineLayout({ bindGroupLayouts: [layout] }),
          compute: { module, entryPoint: p.entryPoint },
        });
        const err = await device.popErrorScope();
        if (err) throw new ShaderCompileError(p.key, [err.message], p.code);
        this.ready.set(p.key, { pipeline, layout });
      }),
    );
  }

  get(p: WgslProgram): Built {
    let b = this.ready.get(p.key);
    if (!b) {
      // Not prepared: compile synchronously (slow the first time; errors surface as validation errors).
      const { device } = this.gpu;
      const module = device.createShaderModule({ code: p.code, label: p.key });
      const layout = declaredLayout(device, p.code, p.key);
      const pipeline = device.createComputePipeline({
        layout: device.createPipelineLayout({ bindGroupLayouts: [layout] }),
        compute: { module, entryPoint: p.entryPoint },
        label: p.key,
      });
      this.ready.set(p.key, (b = { pipeline, layout }));
    }
    return b;
  }
}

const DIMS_SIZE = uniformSize(DIMS);

interface Pending {
  prog: WgslProgram;
  slot: number;
  bindings: Binding[];
  groups: [number, number, number];
}

/** The dispatches of one recording, encoded as one compute pass (dispatches in a pass run in order). */
export class KernelRecording {
  private pending: Pending[] = [];
  private dims: DimsValues[] = [];
  private readonly align: number;

  constructor(readonly gpu: Gpu, readonly pipelines: KernelPipelines) {
    this.align = Math.max(DIMS_SIZE, gpu.limits.minUniformBufferOffsetAlignment);
  }

  dispatch(prog: WgslProgram, dims: DimsValues, bindings: Binding[], groups: readonly [number, number?, number?]): void {
    const g: [number, number, number] = [groups[0], groups[1] ?? 1, groups[2] ?? 1];
    if (g[0] * g[1] * g[2] === 0) return;
    const lim = this.gpu.limits.maxComputeWorkgroupsPerDimension;
    if (g.some((x) => x > lim)) throw new RangeError(`${prog.key}: grid ${g.join('x')} exceeds ${lim} workgroups per dimension`);
    this.dims.push(dims);
    this.pending.push({ prog, slot: this.dims.length - 1, bindings, groups: g });
  }

  /** Creates the uniform arena and bind groups and encodes everything recorded so far. */
  encode(enc: GPUCommandEncoder): void {
    if (!this.pending.length) return;
    const { device } = this.gpu;
    const arena = device.createBuffer({ size: this.align * this.dims.length, usage: UNIFORM | COPY_DST, mappedAtCreation: true, label: 'dlmk kernel dims' });
    const view = new DataView(arena.getMappedRange());
    this.dims.forEach((v, i) => packDims(view, i * this.align, v));
    arena.unmap();
    // Profiling (DLMK_PROFILE): one pass per dispatch, labelled by its program, so a Recorder's
    // timestamp queries time each one.
    const split = profilingEnabled();
    let pass = enc.beginComputePass({ label: 'dlmk kernel' });
    for (const p of this.pending) {
      if (split) {
        pass.end();
        pass = enc.beginComputePass({ label: `kernel ${p.prog.key}` });
      }
      const { pipeline, layout } = this.pipelines.get(p.prog);
      const entries: GPUBindGroupEntry[] = [{ binding: 0, resource: { buffer: arena, offset: p.slot * this.align, size: DIMS_SIZE } }];
      p.bindings.forEach((b, i) => {
        const r = 'buffer' in b ? b : { buffer: b, offset: 0, size: b.size };
        entries.push({ binding: i + 1, resource: { buffer: r.buffer, offset: r.offset, size: r.size } });
      });
      const group = device.createBindGroup({ layout, entries, label: p.prog.key });
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, group);
      pass.dispatchWorkgroups(...p.groups);
    }
    pass.end();
    this.pending = [];
    this.dims = [];
  }
}

function packDims(view: DataView, at: number, v: DimsValues): void {
  DIMS.fields.forEach(([name, type], i) => {
    const x = (v as Record<string, number | undefined>)[name] ?? 0;
    if (type === 'f32') view.setFloat32(at + 4 * i, x, true);
    else if (type === 'u32') view.setUint32(at + 4 * i, x >>> 0, true);
    else view.setInt32(at + 4 * i, x | 0, true);
  });
}

/** A storage buffer holding `data`, created mapped (no queue write, so it is ready for any later command). */
export function tableBuffer(gpu: Gpu, data: Float32Array | Uint32Array | Int32Array, label?: string): GPUBuffer {
  const size = Math.max(16, Math.ceil(data.byteLength / 16) * 16);
  const buf = gpu.device.createBuffer({ size, usage: STORAGE | COPY_SRC | COPY_DST, mappedAtCreation: true, label });
  new Uint8Array(buf.getMappedRange()).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  buf.unmap();
  return buf;
}

export function emptyBuffer(gpu: Gpu, bytes: number, label?: string): GPUBuffer {
  return gpu.device.createBuffer({ size: Math.max(16, Math.ceil(bytes / 16) * 16), usage: STORAGE | COPY_SRC | COPY_DST, label });
}

/** Workgroup grid for `rows` rows of `wy` lanes each, folded into y and z within the per-dimension limit. */
export function rowGrid(xGroups: number, rows: number, wy: number, limit = 65535): [number, number, number] {
  const groups = Math.max(1, Math.ceil(rows / wy));
  if (groups <= limit) return [xGroups, groups, 1];
  const z = Math.ceil(groups / limit);
  return [xGroups, Math.ceil(groups / z), z];
}

