// Float64 references of the runtime/nn ops (for differential tests and tiny CPU runs).
export * from './elementwise.ts';
export * from './layernorm.ts';
export * from './modulate.ts';
export * from './embedding.ts';
export * from './rope.ts';
export * from './attention.ts';
export * from './cross_entropy.ts';
export * from './position_mask.ts';
export * from './dropout.ts';
export * from './optim.ts';
export * from './linear.ts';
export { numericGrad, dot, maxRelErr } from './gradcheck.ts';
