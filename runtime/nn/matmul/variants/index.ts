import type { VariantImpl } from '../kernel.ts';
import type { MatmulVariant } from '../types.ts';
import { blocked } from './blocked.ts';
import { subgroup, subgroupF16 } from './subgroup.ts';

export const VARIANTS: Partial<Record<MatmulVariant, VariantImpl>> = { blocked, subgroup, 'subgroup-f16': subgroupF16 };
