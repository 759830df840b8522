export { getGpu, releaseGpu, type Gpu } from './device.ts';
export { GpuUnavailableError, ShaderCompileError } from './errors.ts';
export { getPipeline, type ProgramSource } from './program.ts';
export { storageBuffer, uniformBuffer, readBuffer, readF32, readU32, alignedSize, type HostArray } from './buffers.ts';
export { encodeDispatch, runDispatches, grid, type Dispatch } from './run.ts';
export { PHILOX_WGSL, philox4x32_10, randOpen01, seedKey } from './philox.ts';
