// Which variant runs a call: the call's `variant`, else DLMK_MATMUL, else the autotuned choice
// for (adapter, shape class, transposes), else a default by adapter kind.
import type { Gpu } from '../../gpu/index.ts';
import { MatmulError } from './errors.ts';
import type { VariantImpl } from './kernel.ts';
import type { Problem } from './problem.ts';
import { MATMUL_VARIANTS, type MatmulArgs, type MatmulVariant } from './types.ts';
import { VARIANTS } from './variants/index.ts';

function impl(name: MatmulVariant): VariantImpl | undefined {
  return VARIANTS[name];
}

/** The variant to use; throws MatmulError when a per-call `variant` cannot run this call. */
export function chooseVariant(gpu: Gpu, p: Problem, args: Pick<MatmulArgs, 'variant' | 'b'>): VariantImpl {
  if (args.variant) {
    const v = impl(args.variant);
    if (!v) throw new MatmulError(`unknown variant '${args.variant}' (known: ${MATMUL_VARIANTS.join(', ')})`, 'variant');
    const why = v.unsupported(gpu, p);
    if (why) throw new MatmulError(`'${args.variant}' cannot run this call: ${why}`, 'variant');
    return v;
  }
  const forced = process.env['DLMK_MATMUL'];
  if (forced) {
    const v = impl(forced as MatmulVariant);
    if (v && !v.unsupported(gpu, p)) return v;
  }
  return defaultVariant(gpu, p);
}

export function defaultVariant(_gpu: Gpu, _p: Problem): VariantImpl {
  return VARIANTS.blocked!;
}
