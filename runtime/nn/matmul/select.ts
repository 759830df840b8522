// Which variant runs a call: the call's `variant`, else DLMK_MATMUL, else the autotuned choice
// for (adapter, tune key), else a default by adapter kind.
import type { Gpu } from '../../gpu/index.ts';
import { adapterKey, lookupTuned } from './cache.ts';
import { MatmulError } from './errors.ts';
import type { KernelConfig, VariantImpl } from './kernel.ts';
import type { Problem } from './problem.ts';
import { MATMUL_VARIANTS, type MatmulVariant } from './types.ts';
import { VARIANTS } from './variants/index.ts';

export interface Choice {
  impl: VariantImpl;
  config: KernelConfig;
  source: 'call' | 'env' | 'tuned' | 'default';
}

/** Size class of one extent: the nearest power of two. */
function bucket(x: number): number {
  return 2 ** Math.round(Math.log2(x));
}

/** The autotune key: transposes, size classes, whether B is a weight mirror, whether f16 is allowed. */
export function tuneKey(p: Problem, bMirror: boolean): string {
  const batch = p.batchOuter * p.batchInner;
  return `${p.transA ? 'T' : 'N'}${p.transB ? 'T' : 'N'} M${bucket(p.M)} N${bucket(p.N)} K${bucket(p.K)} B${bucket(batch)}${bMirror ? ' mirror' : ''}${p.allowF16 ? ' f16' : ''}`;
}

function isVariant(x: string): x is MatmulVariant {
  return (MATMUL_VARIANTS as readonly string[]).includes(x);
}

/** The tuned config of `impl` for this key when the tuner picked it, else its first config. */
function configOf(gpu: Gpu, impl: VariantImpl, p: Problem, bMirror: boolean): KernelConfig {
  const t = lookupTuned(adapterKey(gpu), tuneKey(p, bMirror));
  return t && t.variant === impl.name ? t.config : impl.configs(gpu, p)[0]!;
}

// DLMK_MATMUL names a variant for the whole process; where it cannot run a call, the nearest
// sibling that can runs instead (f16 forms need the caller's allowF16).
const SIBLING: Record<MatmulVariant, MatmulVariant | undefined> = {
  'subgroup-f16': 'subgroup',
  'tiled-f16': 'tiled',
  subgroup: 'blocked',
  tiled: 'blocked',
  blocked: undefined,
};

export function forcedByEnv(): MatmulVariant | undefined {
  const v = process.env['DLMK_MATMUL'];
  if (!v || v === 'auto') return undefined;
  if (!isVariant(v)) throw new MatmulError(`unknown variant '${v}' (known: ${MATMUL_VARIANTS.join(', ')}, auto)`, 'DLMK_MATMUL');
  return v;
}

/** The variant to use; throws MatmulError when a per-call `variant` cannot run this call. */
export function chooseVariant(gpu: Gpu, p: Problem, opts: { variant?: MatmulVariant; bMirror: boolean }): Choice {
  if (opts.variant) {
    if (!isVariant(opts.variant)) throw new MatmulError(`unknown variant '${opts.variant}' (known: ${MATMUL_VARIANTS.join(', ')})`, 'variant');
    const impl = VARIANTS[opts.variant];
    const why = impl.unsupported(gpu, p);
    if (why) throw new MatmulError(`'${opts.variant}' cannot run this call: ${why}`, 'variant');
    return { impl, config: configOf(gpu, impl, p, opts.bMirror), source: 'call' };
  }
  let forced = forcedByEnv();
  while (forced) {
    const impl = VARIANTS[forced];
    if (!impl.unsupported(gpu, p)) return { impl, config: configOf(gpu, impl, p, opts.bMirror), source: 'env' };
    forced = SIBLING[forced];
  }
  const t = lookupTuned(adapterKey(gpu), tuneKey(p, opts.bMirror));
  if (t && !VARIANTS[t.variant].unsupported(gpu, p)) return { impl: VARIANTS[t.variant], config: t.config, source: 'tuned' };
  const impl = defaultVariant(gpu, p);
  return { impl, config: impl.configs(gpu, p)[0]!, source: 'default' };
}

/** Before tuning: the subgroup kernel on software adapters, shared-memory tiling on GPUs. */
export function defaultVariant(gpu: Gpu, p: Problem): VariantImpl {
  if (gpu.isSoftware && !VARIANTS.subgroup.unsupported(gpu, p)) return VARIANTS.subgroup;
  if (!gpu.isSoftware) return VARIANTS.tiled;
  return VARIANTS.blocked;
}
