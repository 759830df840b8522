export { CheckpointError } from './errors.ts';
export { writeFileAtomic } from './atomic.ts';
export { encodeSafetensors, decodeSafetensors, numelOf, MAX_HEADER_BYTES, type NamedTensor, type SafeDType, type SafetensorsFile, type TensorEntry } from './safetensors.ts';
export {
  saveCheckpoint,
  loadCheckpoint,
  readManifest,
  optimizerTensorNames,
  MANIFEST,
  FILE_NAMES,
  type CheckpointInput,
  type LoadedCheckpoint,
  type LoadOptions,
  type ExpectedTensor,
  type FileRole,
} from './checkpoint.ts';
export { dlmkVersion } from './version.ts';
