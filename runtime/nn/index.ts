// runtime/nn: tensors, the step recorder, the ops (forward and backward), Linear, parameters and
// optimizers. docs/nn.md explains how to record a training step with them.
export { Recorder, BufferPool, type RecorderOptions } from '../gpu/index.ts';
export { NnError } from './errors.ts';
export {
  type Tensor, type DType, tensor, allocTensor, freeTensor, tempTensor, reshape, narrow, chunkLast, numel, denseStrides, stridesOf,
  isContiguous, extentOf,
} from './tensor.ts';
export { targetOf, setReductionPathForTests, type Target } from './wgsl.ts';

export { add, addInto, scale, fill, geluForward, geluBackward, siluForward, siluBackward } from './ops/elementwise.ts';
export { layerNormForward, layerNormBackward, type LayerNormSaved, type LayerNormForwardArgs, type LayerNormBackwardArgs } from './ops/layernorm.ts';
export {
  modulateForward, modulateBackward, gatedResidualForward, gatedResidualBackward, type ModulateBackwardArgs, type GatedResidualBackwardArgs,
} from './ops/modulate.ts';
export { embeddingForward, embeddingBackward, type EmbeddingBackwardArgs } from './ops/embedding.ts';
export { ropeForward, ropeBackward, createRopeTable, ropeTableData, type RopeArgs } from './ops/rope.ts';
export { attentionForward, attentionBackward, type AttentionArgs, type AttentionBackwardArgs } from './ops/attention.ts';
export { crossEntropy, type CrossEntropyArgs } from './ops/cross_entropy.ts';
export { positionMask, type PositionMaskArgs } from './ops/position_mask.ts';
export { dropoutForward, dropoutBackward, dropoutThreshold, type DropoutArgs } from './ops/dropout.ts';
export { clipGradNorm, adamw, emaUpdate, type ClipArgs, type AdamWArgs, type AdamWHyper } from './ops/optim.ts';
export { sumAll } from './ops/reduce.ts';
export { columnSum } from './ops/colsum.ts';

export { ParamRegistry, Param, type ParamSpec } from './params.ts';
export { type Init, initValues } from './init.ts';
export { Linear, type LinearOptions } from './linear.ts';
export { AdamWOptimizer, EmaWeights, type AdamWOptions } from './optimizer.ts';
