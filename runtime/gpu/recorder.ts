// The step recorder: every op of a training step is encoded into ONE command buffer, submitted
// once, and read back once into host arrays the caller allocated (PERF-NOTES: each submit+await
// costs ~76 µs and each dispatch ~25 µs, so a step must not submit per op).
//
// Encoding is synchronous, so a step is a plain function of the recorder. Pipelines are created
// synchronously on first use and cached by key; their compile errors are collected and thrown as
// ShaderCompileError by submit(), before anything reaches the queue. Uniforms of all dispatches
// go into a reused arena written once per submit, and bind groups are cached, so re-recording the
// same step creates no GPU objects after the first time.
//
// `rec.encoder` (the MatmulRecorder contract of runtime/nn/matmul) closes the recorder's open
// compute pass and hands out the command encoder; passes begun on it are profiled too.
import type { HostArray } from './buffers.ts';
import type { Gpu } from './device.ts';
import { ShaderCompileError } from './errors.ts';
import type { ProgramSource } from './program.ts';
import { BufferPool } from './pool.ts';
import { addSample, profilingEnabled } from './profiler.ts';
import type { UniformLayout } from './uniforms.ts';
import type { BufferRange } from './window.ts';

const MAP_READ = 0x01;
const COPY_SRC = 0x04;
const COPY_DST = 0x08;
const UNIFORM = 0x40;
const QUERY_RESOLVE = 0x200;

/** A run of 4-byte elements in a buffer; `offset` counts elements. Structurally a Tensor. */
export interface ElementRange {
  readonly buffer: GPUBuffer;
  readonly offset?: number;
}

export interface UniformData<F extends string> {
  readonly layout: UniformLayout<F>;
  readonly values: Readonly<Record<F, number>>;
}

export interface DispatchSpec<F extends string = string> {
  readonly program: ProgramSource;
  /** The profile table's row (default: the program key up to its first '|'). */
  readonly label?: string;
  /** Bound at @group(0) @binding(0) as `var<uniform>`. */
  readonly uniform?: UniformData<F>;
  /** Storage bindings, @binding(1..n) when there is a uniform, else @binding(0..n-1). */
  readonly bindings: readonly (BufferRange | GPUBuffer)[];
  readonly workgroups: readonly [number, number?, number?];
}

// ---- pipelines, created synchronously and cached by key per device ----

interface Built {
  pipeline: GPUComputePipeline;
  /** Resolves to an error when the WGSL did not compile. */
  check: Promise<ShaderCompileError | undefined>;
}
const pipelines = new WeakMap<GPUDevice, Map<string, Built>>();

function pipelineSync(gpu: Gpu, src: ProgramSource): Built {
  let byKey = pipelines.get(gpu.device);
  if (!byKey) pipelines.set(gpu.device, (byKey = new Map()));
  const key = src.constants ? `${src.key}|${JSON.stringify(src.constants)}` : src.key;
  let b = byKey.get(key);
  if (!b) {
    const { device } = gpu;
    device.pushErrorScope('validation');
    const module = device.createShaderModule({ code: src.code, label: src.key });
    const pipeline = device.createComputePipeline({
      label: src.key,
      layout: 'auto',
      compute: { module, entryPoint: src.entryPoint ?? 'main', constants: src.constants },
    });
    const scope = device.popErrorScope();
    const check = (async () => {
      const err = await scope;
      if (!err) return undefined;
      const info = await module.getCompilationInfo();
      const lines = src.code.split('\n');
      const msgs = info.messages
        .filter((m) => m.type === 'error')
        .map((m) => `${m.lineNum}:${m.linePos}: ${m.message}\n    ${lines[m.lineNum - 1] ?? ''}`);
      return new ShaderCompileError(src.key, msgs.length ? msgs : [err.message], src.code);
    })();
    b = { pipeline, check };
    byKey.set(key, b);
  }
  return b;
}

/** Compiles `src` now (awaiting errors) so a later recording finds it ready; throws ShaderCompileError. */
export async function preparePipeline(gpu: Gpu, src: ProgramSource): Promise<void> {
  const err = await pipelineSync(gpu, src).check;
  if (err) throw err;
}

// ---- object ids for cache keys ----

const ids = new WeakMap<object, number>();
let nextId = 1;
function idOf(o: object): number {
  let id = ids.get(o);
  if (id === undefined) ids.set(o, (id = nextId++));
  return id;
}

interface Staged {
  into: HostArray;
  chunk: number;
  offset: number;
}

export interface RecorderOptions {
  /** The pool temps come from (default: a new one). */
  pool?: BufferPool;
  /** Time every pass with timestamp queries (default: DLMK_PROFILE set and the feature present). */
  profile?: boolean;
  /**
   * Before awaiting a readback, sleep this fraction of the last step's GPU time: Node spins a
   * core while a mapAsync is pending, and on a software adapter that core is the GPU's.
   * Default 0.9 on software adapters, else 0.
   */
  sleepFraction?: number;
}

export class Recorder {
  readonly pool: BufferPool;
  readonly profiling: boolean;
  private enc: GPUCommandEncoder | undefined;
  private pass: GPUComputePassEncoder | undefined;
  private proxy: GPUCommandEncoder | undefined;
  private checks: Promise<Error | undefined>[] = [];
  private temps: GPUBuffer[] = [];
  private dispatches = 0;

  // Uniform arena: chunks of `uniformChunk` bytes, reused every recording.
  private readonly uniformAlign: number;
  private readonly uniformChunk = 65536;
  private uChunks: { buffer: GPUBuffer; host: ArrayBuffer; view: DataView }[] = [];
  private uChunk = 0;
  private uCursor = 0;

  // Readback staging: MAP_READ chunks, reused.
  private sChunks: { buffer: GPUBuffer; size: number; used: number }[] = [];
  private sCurrent = 0;
  private staged: Staged[] = [];

  // Timestamp queries (profiling).
  private qSets: GPUQuerySet[] = [];
  private qLabels: string[] = [];
  private qResolve: GPUBuffer | undefined;
  private qStaging: GPUBuffer | undefined;

  private groups = new Map<string, GPUBindGroup>();
  private lastGpuMs = 0;
  /** Submits with a readback so far; the first one usually pays pipeline compilation. */
  private readbacks = 0;
  private readonly sleepFraction: number;

  constructor(readonly gpu: Gpu, opts: RecorderOptions = {}) {
    this.pool = opts.pool ?? new BufferPool(gpu);
    this.profiling = (opts.profile ?? profilingEnabled()) && gpu.hasTimestamps;
    this.uniformAlign = Math.max(16, gpu.limits.minUniformBufferOffsetAlignment);
    this.sleepFraction = opts.sleepFraction ?? (gpu.isSoftware ? 0.9 : 0);
  }

  /** The command encoder, with no pass open (for encoders such as encodeMatmul that begin their own passes). */
  get encoder(): GPUCommandEncoder {
    this.endPass();
    const enc = this.open();
    if (!this.profiling) return enc;
    if (!this.proxy) {
      const timestamps = (label: string | undefined) => this.timestampWrites(label ?? 'pass');
      this.proxy = new Proxy(enc, {
        get(target, prop) {
          if (prop === 'beginComputePass') {
            return (desc?: GPUComputePassDescriptor) => target.beginComputePass({ ...desc, timestampWrites: timestamps(desc?.label) });
          }
          const v = Reflect.get(target, prop, target) as unknown;
          return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
        },
      });
    }
    return this.proxy;
  }

  /** Number of dispatches recorded since the last submit. */
  get dispatchCount(): number {
    return this.dispatches;
  }

  private open(): GPUCommandEncoder {
    if (!this.enc) this.enc = this.gpu.device.createCommandEncoder({ label: 'dlmk step' });
    return this.enc;
  }

  private endPass(): void {
    if (this.pass) {
      this.pass.end();
      this.pass = undefined;
    }
  }

  private timestampWrites(label: string): GPUComputePassTimestampWrites {
    const index = this.qLabels.length;
    const set = Math.floor((index * 2) / 4096);
    while (this.qSets.length <= set) this.qSets.push(this.gpu.device.createQuerySet({ type: 'timestamp', count: 4096 }));
    this.qLabels.push(label);
    const q = (index * 2) % 4096;
    return { querySet: this.qSets[set]!, beginningOfPassWriteIndex: q, endOfPassWriteIndex: q + 1 };
  }

  /** Encodes one compute dispatch. */
  dispatch<F extends string>(d: DispatchSpec<F>): void {
    const [x, y = 1, z = 1] = d.workgroups;
    for (const n of [x, y, z]) {
      if (!Number.isInteger(n) || n < 0 || n > this.gpu.limits.maxComputeWorkgroupsPerDimension) {
        throw new RangeError(`${d.program.key}: ${n} workgroups in one dimension (limit ${this.gpu.limits.maxComputeWorkgroupsPerDimension})`);
      }
    }
    if (x * y * z === 0) return;
    const built = pipelineSync(this.gpu, d.program);
    if (!this.checks.includes(built.check)) this.checks.push(built.check);

    const entries: GPUBindGroupEntry[] = [];
    const keyParts: (string | number)[] = [d.program.key];
    let binding = 0;
    if (d.uniform) {
      const { buffer, offset } = this.uniformSlot(d.uniform);
      entries.push({ binding: binding++, resource: { buffer, offset, size: d.uniform.layout.size } });
      keyParts.push(idOf(buffer), offset);
    }
    for (const b of d.bindings) {
      const r: BufferRange = 'buffer' in b ? b : { buffer: b, offset: 0, size: b.size };
      entries.push({ binding: binding++, resource: { buffer: r.buffer, offset: r.offset, size: r.size } });
      keyParts.push(idOf(r.buffer), r.offset, r.size);
    }
    const key = keyParts.join(',');
    let group = this.groups.get(key);
    if (!group) {
      if (this.groups.size > 8192) this.groups.clear();
      // Scoped: a bind group of a pipeline that failed to compile is invalid too, and that is
      // reported once, as the ShaderCompileError; any other validation error becomes an Error.
      const dev = this.gpu.device;
      dev.pushErrorScope('validation');
      group = dev.createBindGroup({ layout: built.pipeline.getBindGroupLayout(0), entries, label: d.program.key });
      const scope = dev.popErrorScope();
      this.checks.push(
        Promise.all([scope, built.check]).then(([e, compile]) => {
          if (e) this.groups.delete(key);
          return compile ?? (e ? new Error(`${d.label ?? d.program.key}: invalid bindings: ${e.message}`) : undefined);
        }),
      );
      this.groups.set(key, group);
    }
    const enc = this.open();
    let pass: GPUComputePassEncoder;
    if (this.profiling) {
      this.endPass();
      const label = d.label ?? d.program.key;
      pass = enc.beginComputePass({ label, timestampWrites: this.timestampWrites(label) });
    } else {
      if (!this.pass) this.pass = enc.beginComputePass({ label: 'dlmk ops' });
      pass = this.pass;
    }
    pass.setPipeline(built.pipeline);
    pass.setBindGroup(0, group);
    pass.dispatchWorkgroups(x, y, z);
    if (this.profiling) pass.end();
    this.dispatches++;
  }

  private uniformSlot<F extends string>(u: UniformData<F>): { buffer: GPUBuffer; offset: number } {
    const size = u.layout.size;
    if (this.uCursor + size > this.uniformChunk) {
      this.uChunk++;
      this.uCursor = 0;
    }
    while (this.uChunks.length <= this.uChunk) {
      const host = new ArrayBuffer(this.uniformChunk);
      this.uChunks.push({
        buffer: this.gpu.device.createBuffer({ size: this.uniformChunk, usage: UNIFORM | COPY_DST, label: 'dlmk uniforms' }),
        host,
        view: new DataView(host),
      });
    }
    const c = this.uChunks[this.uChunk]!;
    const offset = this.uCursor;
    u.layout.pack(c.view, offset, u.values);
    this.uCursor = Math.ceil((offset + size) / this.uniformAlign) * this.uniformAlign;
    return { buffer: c.buffer, offset };
  }

  /** A pooled buffer of at least `bytes`, given back to the pool by the next submit(). */
  temp(bytes: number, label?: string): GPUBuffer {
    const b = this.pool.acquire(bytes, label);
    this.temps.push(b);
    return b;
  }

  /** Gives a temp back early, so later commands of this recording may reuse its memory (queue order keeps this safe). */
  releaseTemp(buf: GPUBuffer): void {
    const i = this.temps.lastIndexOf(buf);
    if (i < 0) throw new Error(`releaseTemp: ${buf.label} is not a temp of this recording`);
    this.temps.splice(i, 1);
    this.pool.release(buf);
  }

  /** Zeroes a byte range (offset and size multiples of 4). */
  clear(buffer: GPUBuffer, byteOffset = 0, byteSize = buffer.size - byteOffset): void {
    if (byteSize <= 0) return;
    this.endPass();
    this.open().clearBuffer(buffer, byteOffset, byteSize);
  }

  /** Copies `count` elements. */
  copy(src: ElementRange, dst: ElementRange, count: number): void {
    if (count <= 0) return;
    this.endPass();
    this.open().copyBufferToBuffer(src.buffer, (src.offset ?? 0) * 4, dst.buffer, (dst.offset ?? 0) * 4, count * 4);
  }

  /**
   * Uploads host data. It goes through the queue, so it lands BEFORE every command of the
   * recording in progress (and after everything submitted earlier): use it for a step's inputs.
   */
  upload(dst: ElementRange, data: HostArray): void {
    this.gpu.device.queue.writeBuffer(dst.buffer, (dst.offset ?? 0) * 4, data.buffer, data.byteOffset, data.byteLength);
  }

  /** Schedules a copy of `into.length` elements of `src` into `into`; it is filled when submit() resolves. */
  read(src: ElementRange, into: HostArray): void {
    const bytes = into.byteLength;
    if (bytes === 0) return;
    this.endPass();
    let c = this.sChunks[this.sCurrent];
    if (c && c.used + bytes > c.size) c = this.sChunks[++this.sCurrent];
    if (c && c.used + bytes > c.size) {
      // A reused chunk too small for this read: replace it.
      c.buffer.destroy();
      this.sChunks.splice(this.sCurrent, 1);
      c = undefined;
    }
    if (!c) {
      const size = Math.max(1 << 20, Math.ceil(bytes / 256) * 256);
      c = { buffer: this.gpu.device.createBuffer({ size, usage: MAP_READ | COPY_DST, label: 'dlmk readback' }), size, used: 0 };
      this.sChunks.splice(this.sCurrent, 0, c);
    }
    this.open().copyBufferToBuffer(src.buffer, (src.offset ?? 0) * 4, c.buffer, c.used, bytes);
    this.staged.push({ into, chunk: this.sCurrent, offset: c.used });
    c.used += Math.ceil(bytes / 8) * 8;
  }

  /**
   * Finishes the command buffer and submits it. Resolves when the reads are in their host arrays
   * (and the profile is updated); with nothing to read it resolves at once unless `wait` is set.
   * Throws ShaderCompileError (before submitting) if a shader of this recording did not compile.
   */
  async submit(opts: { wait?: boolean } = {}): Promise<void> {
    this.endPass();
    const errors = await Promise.all(this.checks);
    this.checks = [];
    const bad = errors.find((e) => e !== undefined);
    if (bad) {
      this.abandon();
      throw bad;
    }
    const enc = this.open();
    const nQueries = this.qLabels.length * 2;
    if (nQueries) {
      const bytes = nQueries * 8;
      if (!this.qResolve || this.qResolve.size < bytes) {
        this.qResolve?.destroy();
        this.qStaging?.destroy();
        this.qResolve = this.gpu.device.createBuffer({ size: bytes, usage: QUERY_RESOLVE | COPY_SRC });
        this.qStaging = this.gpu.device.createBuffer({ size: bytes, usage: MAP_READ | COPY_DST });
      }
      for (let s = 0; s * 4096 < nQueries; s++) {
        const count = Math.min(4096, nQueries - s * 4096);
        enc.resolveQuerySet(this.qSets[s]!, 0, count, this.qResolve, s * 4096 * 8);
      }
      enc.copyBufferToBuffer(this.qResolve, 0, this.qStaging!, 0, bytes);
    }
    for (let i = 0; i <= this.uChunk && i < this.uChunks.length; i++) {
      const c = this.uChunks[i]!;
      const used = i < this.uChunk ? this.uniformChunk : this.uCursor;
      if (used > 0) this.gpu.device.queue.writeBuffer(c.buffer, 0, c.host, 0, used);
    }
    const cb = enc.finish();
    const t0 = performance.now();
    this.gpu.device.queue.submit([cb]);

    // Reset for the next recording; temps may be reused by commands recorded from now on.
    this.enc = undefined;
    this.proxy = undefined;
    this.uChunk = 0;
    this.uCursor = 0;
    for (const b of this.temps) this.pool.release(b);
    this.temps = [];
    this.dispatches = 0;
    const staged = this.staged;
    const used = this.sChunks.slice(0, this.sCurrent + 1).filter((c) => c.used > 0);
    this.staged = [];
    this.sCurrent = 0;
    const labels = this.qLabels;
    this.qLabels = [];

    if (staged.length === 0 && nQueries === 0) {
      for (const c of this.sChunks) c.used = 0;
      if (opts.wait) await this.gpu.device.queue.onSubmittedWorkDone();
      return;
    }
    // Sleep through most of the expected GPU time instead of spinning in mapAsync. The estimate
    // must not include our own sleep: when the map resolves at once, we overslept, so halve it.
    // The first readback (pipeline compilation) is not an estimate, and one slow step may at most
    // double it: an outlier would otherwise make every later step oversleep for several steps.
    const sleepMs = this.sleepFraction > 0 && this.lastGpuMs > 2 ? this.sleepFraction * this.lastGpuMs : 0;
    if (sleepMs > 0) await new Promise((r) => setTimeout(r, sleepMs));
    const t1 = performance.now();
    await Promise.all([
      ...used.map((c) => c.buffer.mapAsync(MAP_READ, 0, Math.ceil(c.used / 8) * 8)),
      ...(nQueries ? [this.qStaging!.mapAsync(MAP_READ, 0, nQueries * 8)] : []),
    ]);
    const t2 = performance.now();
    const measured = t2 - t0;
    if (this.readbacks++ === 0) this.lastGpuMs = 0;
    else if (sleepMs > 0 && t2 - t1 < 0.5) this.lastGpuMs *= 0.5;
    else this.lastGpuMs = this.lastGpuMs > 2 ? Math.min(measured, 2 * this.lastGpuMs) : measured;
    for (const s of staged) {
      const c = this.sChunks[s.chunk]!;
      const src = c.buffer.getMappedRange(s.offset, Math.ceil(s.into.byteLength / 8) * 8);
      new Uint8Array(s.into.buffer, s.into.byteOffset, s.into.byteLength).set(new Uint8Array(src, 0, s.into.byteLength));
    }
    for (const c of used) c.buffer.unmap();
    for (const c of this.sChunks) c.used = 0;
    if (nQueries) {
      const t = new BigInt64Array(this.qStaging!.getMappedRange(0, nQueries * 8).slice(0));
      this.qStaging!.unmap();
      for (let i = 0; i < labels.length; i++) addSample(labels[i]!, Math.max(0, Number(t[2 * i + 1]! - t[2 * i]!)));
    }
  }

  /** Drops what was recorded since the last submit (after an error). */
  abandon(): void {
    this.pass = undefined;
    this.enc = undefined;
    this.proxy = undefined;
    this.uChunk = 0;
    this.uCursor = 0;
    for (const b of this.temps) this.pool.release(b);
    this.temps = [];
    this.staged = [];
    for (const c of this.sChunks) c.used = 0;
    this.sCurrent = 0;
    this.qLabels = [];
    this.dispatches = 0;
    this.checks = [];
  }
}
