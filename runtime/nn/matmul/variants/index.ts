import type { VariantImpl } from '../kernel.ts';
import type { MatmulVariant } from '../types.ts';
import { blocked } from './blocked.ts';
import { subgroup, subgroupF16 } from './subgroup.ts';
import { tiled, tiledF16 } from './tiled.ts';

export const VARIANTS: Record<MatmulVariant, VariantImpl> = { blocked, subgroup, 'subgroup-f16': subgroupF16, tiled, 'tiled-f16': tiledF16 };
