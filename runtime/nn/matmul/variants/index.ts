import type { VariantImpl } from '../kernel.ts';
import type { MatmulVariant } from '../types.ts';
import { blocked } from './blocked.ts';

export const VARIANTS: Partial<Record<MatmulVariant, VariantImpl>> = { blocked };
