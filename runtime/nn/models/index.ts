// runtime/nn/models: the denoisers (MDLM/DUO's DiT and its autoregressive twin), their tensors and
// checkpoints, and a training step. docs/checkpoint.md describes the files.
export { MODEL_SIZES, ditConfig, arConfig, checkModelConfig, inputVocab, type ModelConfig, type DitConfig, type ArConfig, type ModelSize } from './config.ts';
export { modelTensors, registryShape, paramCount, type TensorSpec, type TensorKind } from './params.ts';
export { toCheckpointTensors, fromCheckpointTensors } from './layout.ts';
export { timeEmbedding } from './time.ts';
export { TransformerModel, dropoutStream, maxSequencesPerCall, type ModelInputs, type ForwardPass } from './transformer.ts';
export { createDit } from './dit.ts';
export { createAr, nextTokenTargets, nextTokenLoss, NO_TARGET } from './ar.ts';
export { crossEntropyLoss, recordTrainStep, trainStep, type LossFn, type LossRecord, type StepState, type StepResult } from './train-step.ts';
export { saveModelCheckpoint, loadModelCheckpoint, expectedTensors, type TrainingMeta } from './checkpoint.ts';
