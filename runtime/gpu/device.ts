// One WebGPU device per process, from Dawn through the `webgpu` npm package.
// Facts this file relies on (shared/design/PERF-NOTES.md):
//  - the object returned by create() must stay referenced while its device lives, or the process aborts;
//  - requesting the adapter's maximum limits matters (storage bindings of 128 MiB, big workgroups);
//  - the subgroup size follows LP_NATIVE_VECTOR_WIDTH on lavapipe (8 by default); Mesa's shader
//    cache must then be one per width (shaderCacheDirFor).
import { mkdirSync } from 'node:fs';
import { availableParallelism, homedir } from 'node:os';
import { join } from 'node:path';
import { create, globals } from 'webgpu';
import { GpuUnavailableError } from './errors.ts';

export interface Gpu {
  readonly device: GPUDevice;
  readonly adapter: GPUAdapter;
  /** e.g. "mesa software llvmpipe ..." */
  readonly description: string;
  /** true for CPU implementations such as lavapipe/llvmpipe/SwiftShader. */
  readonly isSoftware: boolean;
  readonly features: ReadonlySet<string>;
  readonly limits: GPUSupportedLimits;
  /** Smallest subgroup size the adapter reports (0 when subgroups are unavailable). */
  readonly subgroupMinSize: number;
  readonly subgroupMaxSize: number;
  readonly hasSubgroups: boolean;
  readonly hasF16: boolean;
  readonly hasTimestamps: boolean;
}

const wanted: GPUFeatureName[] = ['shader-f16', 'subgroups', 'timestamp-query'] as GPUFeatureName[];

// Held at module scope on purpose: see the first note above.
let gpuRoot: GPU | undefined;
let pending: Promise<Gpu> | undefined;
let current: Gpu | undefined;

const FIX =
  'dlmk needs a WebGPU adapter. On a machine without a GPU driver, install Mesa\'s software Vulkan driver: ' +
  'run `npm run bootstrap` as root (it installs mesa-vulkan-drivers and libvulkan1, from bookworm-backports on Debian 12), ' +
  'or run `node scripts/probe-gpu.mjs` to see what Dawn reports.';

/**
 * Where Mesa should keep its on-disk shader cache, or undefined to leave Mesa's default. Mesa
 * 25.0.7 does not key cache entries by LP_NATIVE_VECTOR_WIDTH: code compiled at one width is
 * loaded at another, and lavapipe at 512 bits then fetches texels with 256-bit code (scrambled
 * texels, wrong subgroup kernels; docs/perf.md). So when the width is set and the cache location
 * is not, each width gets a directory of its own under dlmk's cache.
 */
export function shaderCacheDirFor(env: Record<string, string | undefined>): string | undefined {
  const width = env['LP_NATIVE_VECTOR_WIDTH'];
  if (!width || env['MESA_SHADER_CACHE_DIR'] || !/^\d+$/.test(width)) return undefined;
  const base = env['XDG_CACHE_HOME'] || join(homedir(), '.cache');
  return join(base, 'dlmk', `mesa-lp${width}`);
}

async function open(): Promise<Gpu> {
  Object.assign(globalThis, globals);
  // Read by Mesa when the driver loads, like LP_NUM_THREADS below.
  const shaderCache = shaderCacheDirFor(process.env);
  if (shaderCache) {
    try {
      mkdirSync(shaderCache, { recursive: true });
      process.env['MESA_SHADER_CACHE_DIR'] = shaderCache;
    } catch {
      process.env['MESA_SHADER_CACHE_DISABLE'] = 'true'; // no separate cache: none rather than a shared one
    }
  }
  // lavapipe runs with one thread per core by default; 3-4 threads on 2 cores measured 10-40%
  // more throughput (PERF-NOTES.md; 1024^3 matmul 36.6 -> 44.2 GFLOP/s). Read when the driver
  // loads, so set before create(); a GPU driver ignores it, and a user's setting wins.
  if (!process.env['LP_NUM_THREADS']) process.env['LP_NUM_THREADS'] = String(Math.min(4, Math.max(2, 2 * availableParallelism())));
  try {
    gpuRoot = create([]);
  } catch (err) {
    throw new GpuUnavailableError(`could not load Dawn (the webgpu package): ${(err as Error).message}. ${FIX}`, 'dawn');
  }
  const adapter = await gpuRoot.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new GpuUnavailableError(`no WebGPU adapter was found. ${FIX}`, 'no-adapter');

  const requiredLimits: Record<string, number> = {};
  const limits = adapter.limits as unknown as Record<string, number>;
  for (const key in limits) {
    const v = limits[key];
    if (typeof v === 'number') requiredLimits[key] = v;
  }
  const requiredFeatures = wanted.filter((f) => adapter.features.has(f));
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({ requiredFeatures, requiredLimits });
  } catch (err) {
    throw new GpuUnavailableError(`the WebGPU adapter refused to create a device: ${(err as Error).message}. ${FIX}`, 'device');
  }
  device.lost.then((info) => {
    if (info.reason !== 'destroyed') console.error(`[dlmk] WebGPU device lost: ${info.message}`);
    if (current?.device === device) {
      current = undefined;
      pending = undefined;
    }
  });
  const info = adapter.info;
  const description = `${info.vendor} ${info.architecture} ${info.description}`.replace(/\s+/g, ' ').trim();
  const infoRec = info as unknown as Record<string, unknown>;
  const subgroupMinSize = Number(infoRec['subgroupMinSize'] ?? 0);
  const subgroupMaxSize = Number(infoRec['subgroupMaxSize'] ?? 0);
  const features = new Set<string>([...device.features].map(String));
  return {
    device,
    adapter,
    description,
    isSoftware: /llvmpipe|lavapipe|swiftshader|software/i.test(description),
    features,
    limits: device.limits,
    subgroupMinSize,
    subgroupMaxSize,
    hasSubgroups: features.has('subgroups'),
    hasF16: features.has('shader-f16'),
    hasTimestamps: features.has('timestamp-query'),
  };
}

/** The process's WebGPU device, created on first use. Throws GpuUnavailableError with a fix. */
export function getGpu(): Promise<Gpu> {
  if (current) return Promise.resolve(current);
  if (!pending) {
    pending = open().then(
      (g) => (current = g),
      (err) => {
        pending = undefined;
        throw err;
      },
    );
  }
  return pending;
}

/** Destroys the device (tests and CLI exit); a later getGpu() opens a new one. */
export function releaseGpu(): void {
  current?.device.destroy();
  current = undefined;
  pending = undefined;
}
