// The autotune cache on disk: $DLMK_CACHE_DIR/autotune.json (default ~/.cache/dlmk/), one
// section per adapter description, one entry per tune key (shape class and layout). A cache
// that cannot be read or written costs a re-tune, never a failed run.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { KernelConfig } from './kernel.ts';
import type { MatmulVariant } from './types.ts';

/** Bump when kernels change enough that old measurements no longer describe them. */
export const KERNELS_VERSION = 6;

export interface TunedEntry {
  variant: MatmulVariant;
  config: KernelConfig;
  /** Measured GFLOP/s of the winner on the tuned shape. */
  gflops: number;
  /** Every candidate tried: "variant {config}" -> GFLOP/s. */
  tried: Record<string, number>;
  /** The shape measured (M x N x K x batch). */
  shape: string;
  at: string;
  version: number;
}

interface CacheFile {
  adapters: Record<string, Record<string, TunedEntry>>;
}

/**
 * The adapter as the cache knows it: its description plus the subgroup sizes (lavapipe describes
 * itself the same at any LP_NATIVE_VECTOR_WIDTH, and its kernels and speeds differ).
 */
export function adapterKey(gpu: { description: string; subgroupMinSize: number; subgroupMaxSize: number }): string {
  return `${gpu.description} [subgroups ${gpu.subgroupMinSize}..${gpu.subgroupMaxSize}]`;
}

export function cachePath(): string {
  const dir = process.env['DLMK_CACHE_DIR'] || join(homedir(), '.cache', 'dlmk');
  return join(dir, 'autotune.json');
}

function read(path: string): CacheFile {
  try {
    const doc = JSON.parse(readFileSync(path, 'utf8')) as Partial<CacheFile>;
    if (doc && typeof doc === 'object' && doc.adapters && typeof doc.adapters === 'object') return { adapters: doc.adapters };
  } catch {
    // Missing or unreadable: start afresh.
  }
  return { adapters: {} };
}

const memory = new Map<string, Map<string, TunedEntry>>();
let warned = false;

function section(adapter: string): Map<string, TunedEntry> {
  const path = cachePath();
  const id = `${path}\n${adapter}`;
  let m = memory.get(id);
  if (!m) {
    m = new Map();
    for (const [k, e] of Object.entries(read(path).adapters[adapter] ?? {})) if (e.version === KERNELS_VERSION) m.set(k, e);
    memory.set(id, m);
  }
  return m;
}

export function lookupTuned(adapter: string, key: string): TunedEntry | undefined {
  return section(adapter).get(key);
}

export function storeTuned(adapter: string, key: string, entry: TunedEntry): void {
  section(adapter).set(key, entry);
  const path = cachePath();
  try {
    mkdirSync(dirname(path), { recursive: true });
    const doc = read(path); // merge with what other processes wrote meanwhile
    (doc.adapters[adapter] ??= {})[key] = entry;
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(doc, null, 1));
    renameSync(tmp, path);
  } catch (err) {
    if (!warned) console.warn(`[dlmk] matmul autotune cache ${path} not written: ${(err as Error).message}`);
    warned = true;
  }
}

/** Forgets the in-memory copy (tests that point DLMK_CACHE_DIR elsewhere). */
export function resetTunedMemory(): void {
  memory.clear();
}
