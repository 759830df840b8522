/** Raised when no WebGPU adapter or device can be had; `message` says how to fix it. */
export class GpuUnavailableError extends Error {
  override readonly name = 'GpuUnavailableError';
  constructor(message: string, readonly reason?: string) {
    super(message);
  }
}

/** A WGSL module that failed to compile, with the generator's key and the compiler's messages. */
export class ShaderCompileError extends Error {
  override readonly name = 'ShaderCompileError';
  constructor(readonly key: string, readonly messages: string[], readonly code: string) {
    super(`shader '${key}' failed to compile:\n${messages.join('\n')}`);
  }
}
